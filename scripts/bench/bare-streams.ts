// The watchers bench's floor (`pnpm bench:watchers --baseline`): plain node:http holding
// text/event-stream responses and writing each broadcast to every socket in one loop — no Hono,
// no hub, no time slices, no database; it frames its own chunks rather than import the API's
// `Frames`, so nothing of votelab's is in what it measures. What Node itself costs per stream
// (memory) and per event (CPU) on this machine, to set the API's figures against in the same run.
//   GET  /stream?bytes=B             an event stream; its first event at once, as the API's
//   POST /broadcast?total=N&bytes=B  one event of B bytes carrying "totalVotes":N to every stream
import { createServer, type ServerResponse } from 'node:http'

const streams = new Set<ServerResponse>()

/** One HTTP/1.1 chunk holding an SSE event of about `bytes` bytes (the API's frame size). */
const chunk = (total: number, bytes: number) => {
  const head = `event: counts\ndata: {"totalVotes":${String(total)},"pad":"`
  const tail = '"}\n\n'
  const event = Buffer.from(
    head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail,
  )
  return Buffer.concat([
    Buffer.from(`${event.length.toString(16)}\r\n`),
    event,
    Buffer.from('\r\n'),
  ])
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const bytes = Number(url.searchParams.get('bytes') ?? 100)
  if (url.pathname === '/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.flushHeaders()
    res.socket?.write(chunk(0, bytes))
    streams.add(res)
    res.once('close', () => streams.delete(res))
  } else if (url.pathname === '/broadcast' && req.method === 'POST') {
    const frame = chunk(Number(url.searchParams.get('total')), bytes)
    for (const stream of streams) stream.socket?.write(frame)
    res.writeHead(204).end()
  } else {
    res.writeHead(url.pathname === '/healthz' ? 200 : 404).end()
  }
}).listen(Number(process.argv[2]), '127.0.0.1')
