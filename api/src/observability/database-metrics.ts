import type { Meter } from '@opentelemetry/api'
import type { DatabaseHandle } from '../db/client.ts'

/**
 * The database as the API sees it: the pool's connections by state and the requests waiting for
 * one (OpenTelemetry's `db.client.connection.*`), and how often the LISTEN connection that moves
 * live results had to be re-established (each time, notifications may have been missed).
 */
export function observeDatabase(meter: Meter, database: DatabaseHandle) {
  const connections = database.connections?.bind(database)
  if (connections) {
    meter
      .createObservableUpDownCounter('db.client.connection.count', {
        description: 'Connections in the pool, by state',
        unit: '{connection}',
      })
      .addCallback((result) => {
        const now = connections()
        result.observe(now.used, { 'db.client.connection.state': 'used' })
        result.observe(now.idle, { 'db.client.connection.state': 'idle' })
      })
    meter
      .createObservableUpDownCounter('db.client.connection.pending_requests', {
        description: 'Queries waiting for a free connection',
        unit: '{request}',
      })
      .addCallback((result) => {
        result.observe(connections().pending)
      })
  }
  const reconnects = meter.createCounter('votelab.db.listen.reconnects', {
    description: 'Times the LISTEN connection for live results was lost and re-established',
    unit: '{reconnect}',
  })
  return {
    reconnected: () => {
      reconnects.add(1)
    },
  }
}
