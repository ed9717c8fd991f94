import { runLoad, percentile } from './load.ts'
const [path, method = 'GET', token = '', body] = process.argv.slice(2)
const r = await runLoad('http://127.0.0.1:3200', { connections: 64, durationSeconds: 4, nextRequest: () => ({ method: method as 'GET', path: path ?? '/', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body }) })
console.log(path, method, Math.round([...r.statuses.values()].reduce((a, b) => a + b, 0) / r.elapsedSeconds), 'req/s', [...r.statuses], 'p99', percentile(r.latencies, 99).toFixed(1))
