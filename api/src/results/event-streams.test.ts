import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EventStreams, Frames } from './event-streams.ts'

// Real sockets and Node's own HTTP server: frames written past `res.write` must still be valid
// HTTP for both kinds of client, and one timer must serve every stream.

let server: Server | undefined
afterEach(() => {
  server?.closeAllConnections()
  server?.close()
  server = undefined
})

async function serve(streams: EventStreams, lifetimeMs: number, event: Frames) {
  server = createServer((_req, res) => {
    const stream = streams.start(res, Date.now() + lifetimeMs, {
      'content-type': 'text/event-stream',
    })
    stream.write(event)
    stream.write(event)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Everything the server sends on one connection, until it closes it. */
function rawResponse(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
  })
}

/** Decodes a chunked body strictly: every size line must match the bytes that follow it. */
function dechunk(body: string): { data: string; terminated: boolean } {
  let data = ''
  let rest = body
  for (;;) {
    const line = rest.indexOf('\r\n')
    if (line < 0) return { data, terminated: false }
    const size = Number.parseInt(rest.slice(0, line), 16)
    if (!Number.isFinite(size)) throw new Error(`bad chunk size line: ${rest.slice(0, line)}`)
    if (size === 0) return { data, terminated: rest.slice(line) === '\r\n\r\n' }
    const chunk = rest.slice(line + 2, line + 2 + size)
    if (rest.slice(line + 2 + size, line + 4 + size) !== '\r\n') throw new Error('chunk overrun')
    data += chunk
    rest = rest.slice(line + 4 + size)
  }
}

describe('event streams written straight to the socket', () => {
  const event = new Frames('event: results\ndata: {"total":1,"label":"é"}\n\n')

  it('frames them as HTTP/1.1 chunks, heartbeats included, and ends with the closing chunk', async () => {
    const port = await serve(new EventStreams(40), 150, event)
    const response = await rawResponse(
      port,
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    const split = response.indexOf('\r\n\r\n')
    const head = response.slice(0, split)
    const body = response.slice(split + 4)
    expect(head).toMatch(/^HTTP\/1\.1 200/)
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked')
    const { data, terminated } = dechunk(body)
    expect(terminated).toBe(true)
    const text = Buffer.from(data, 'latin1').toString('utf8')
    expect(text.startsWith(`${event.raw.toString()}${event.raw.toString()}`)).toBe(true)
    // 150 ms of life with a 40 ms heartbeat: a few beats, then the end.
    expect(text.split(': heartbeat\n\n').length - 1).toBeGreaterThanOrEqual(2)
  })

  it('sends the bytes as they are to an HTTP/1.0 client (nginx’s default), which reads to the close', async () => {
    const port = await serve(new EventStreams(40), 120, event)
    const response = await rawResponse(port, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n')
    const body = response.slice(response.indexOf('\r\n\r\n') + 4)
    expect(response).toMatch(/^HTTP\/1\.1 200/)
    expect(response.toLowerCase()).not.toContain('transfer-encoding')
    const text = Buffer.from(body, 'latin1').toString('utf8')
    expect(text.startsWith(`${event.raw.toString()}${event.raw.toString()}`)).toBe(true)
    expect(text).toContain(': heartbeat\n\n')
  })

  it('beats every stream from one timer, and stops it when the last stream closes', async () => {
    const streams = new EventStreams(1_234)
    const port = await serve(streams, 60_000, event)
    const started = vi.spyOn(globalThis, 'setInterval')
    const stopped = vi.spyOn(globalThis, 'clearInterval')
    const sockets = Array.from({ length: 50 }, () => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      )
      return socket
    })
    await expect.poll(() => streams.size, { timeout: 5_000 }).toBe(50)
    expect(started.mock.calls.filter((call) => call[1] === 1_234)).toHaveLength(1)
    const timer: unknown =
      started.mock.results[started.mock.calls.findIndex((call) => call[1] === 1_234)]?.value
    for (const socket of sockets) socket.destroy()
    await expect.poll(() => streams.size, { timeout: 5_000 }).toBe(0)
    expect(stopped.mock.calls.some((call) => call[0] === timer)).toBe(true)
    started.mockRestore()
    stopped.mockRestore()
  })
})
