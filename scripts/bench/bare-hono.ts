// The bench's ceiling (baselines.ts): a Hono POST that parses a vote and answers 201, nothing else.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
  .get('/healthz', (c) => c.json({ status: 'ok' }))
  .post('/votes', async (c) => {
    const { optionId } = await c.req.json<{ optionId: string }>()
    return c.json({ optionId }, 201)
  })
serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: '127.0.0.1' })
