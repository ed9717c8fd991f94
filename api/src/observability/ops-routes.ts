import { createRoute } from '@hono/zod-openapi'
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { requireAdmin } from '../auth/middleware.ts'
import { bearerAuth, createRouter, errorResponse } from '../http/openapi.ts'
import { opsSnapshot, OpsSnapshotSchema } from './ops-snapshot.ts'

const snapshotRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'This API process’s metrics, for the operations page (admins)',
  description:
    'Cumulative since the process started: two snapshots give rates. One replica’s view — Prometheus (`pnpm stack:local`) or CloudWatch sums them all.',
  security: bearerAuth,
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: 'The snapshot',
      content: { 'application/json': { schema: OpsSnapshotSchema } },
    },
    401: errorResponse('No valid token'),
    403: errorResponse('Not an admin'),
  },
})

/** The admins' operations page reads this process's own metrics here. */
export function opsRoutes(collect: () => Promise<ResourceMetrics>) {
  return createRouter().openapi(snapshotRoute, async (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json(opsSnapshot(await collect()), 200)
  })
}
