import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Open `text/event-stream` responses, written straight to their sockets (issue 21): a broadcast
 * is one `socket.write` of bytes encoded once for every watcher — not `res.write`, which frames
 * each write as an HTTP chunk of its own (three writes and a header string per socket) — and one
 * timer per process sends every stream's heartbeat and ends the ones past their lifetime, instead
 * of a timer per stream. Node's own response still writes the headers and, at `end()`, the
 * closing chunk, so the wire stays valid HTTP/1.1 (chunked) or HTTP/1.0 (until close).
 */
export class EventStreams {
  private readonly open = new Set<EventStream>()
  private heartbeat: NodeJS.Timeout | undefined
  private readonly heartbeatFrames = new Frames(': heartbeat\n\n')
  private readonly heartbeatMs: number

  constructor(heartbeatMs: number) {
    this.heartbeatMs = heartbeatMs
  }

  get size(): number {
    return this.open.size
  }

  /** Sends the headers and keeps the stream until it closes or `endsAt` (epoch ms) passes. */
  start(res: ServerResponse, endsAt: number, headers: Record<string, string>): EventStream {
    res.writeHead(200, headers)
    res.flushHeaders()
    const stream = new EventStream(res, endsAt)
    this.open.add(stream)
    res.once('close', () => {
      this.open.delete(stream)
      if (this.open.size === 0) this.stopHeartbeat()
    })
    this.heartbeat ??= setInterval(() => this.beat(), this.heartbeatMs)
    return stream
  }

  /** Ends every open stream (shutdown). */
  endAll(): void {
    for (const stream of this.open) stream.end()
  }

  private beat(): void {
    const now = Date.now()
    for (const stream of this.open) {
      if (now >= stream.endsAt) stream.end()
      else stream.write(this.heartbeatFrames)
    }
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }
}

/** One open stream: its response (for `end()`), its socket (for frames). */
export class EventStream {
  private readonly res: ServerResponse
  private readonly socket: Socket | null
  readonly endsAt: number

  constructor(res: ServerResponse, endsAt: number) {
    this.res = res
    this.socket = res.socket
    this.endsAt = endsAt
  }

  write(frames: Frames): void {
    const socket = this.socket
    if (!socket || this.res.writableEnded || socket.destroyed) return
    // Node frames the body as chunks when the client speaks HTTP/1.1; an HTTP/1.0 client (nginx
    // by default) reads until the connection closes, so the bytes go as they are.
    socket.write(this.res.chunkedEncoding ? frames.chunked : frames.raw)
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end()
  }
}

/** An event's bytes, encoded once: as they are, and as one HTTP/1.1 chunk. */
export class Frames {
  readonly raw: Buffer
  readonly chunked: Buffer

  constructor(event: string) {
    this.raw = Buffer.from(event)
    this.chunked = Buffer.concat([
      Buffer.from(`${this.raw.length.toString(16)}\r\n`),
      this.raw,
      Buffer.from('\r\n'),
    ])
  }
}
