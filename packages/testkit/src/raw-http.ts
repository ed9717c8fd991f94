import { connect } from 'node:net'

export interface RawExchange {
  status: number
  headers: Record<string, string>
  body: string
  /** The server closed the connection (within the wait). */
  closed: boolean
  /** Body bytes the client managed to send before the answer or the close. */
  sent: number
  ms: number
}

export interface RawBody {
  /** Bytes to send in total, written as `chunk` again and again (one buffer, no copies). */
  total: number
  chunk: Buffer
  /** Pause between chunks: a trickle. */
  intervalMs?: number
}

/**
 * One HTTP/1.1 exchange over a plain socket, for what fetch will not do: trickled bodies, bodies
 * that keep coming after the answer, huge headers. Resolves when the server closes the connection
 * or `waitMs` has passed.
 */
export function rawExchange(
  url: string,
  head: string,
  body?: RawBody,
  waitMs = 20_000,
): Promise<RawExchange> {
  const { hostname, port } = new URL(url)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const received: Buffer[] = []
    let sent = 0
    let closed = false
    let answered = false

    const finish = () => {
      clearTimeout(deadline)
      socket.destroy()
      const text = Buffer.concat(received).toString('utf8')
      const [headText = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = headText.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        closed,
        sent,
        ms: performance.now() - started,
      })
    }
    const deadline = setTimeout(finish, waitMs)

    socket.on('data', (data) => {
      answered = true
      received.push(data)
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset a connection whose body it refused: the answer came first.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error)
    })

    socket.write(head)
    if (!body) return
    const pump = () => {
      while (sent < body.total && !answered && !socket.destroyed) {
        const piece =
          body.total - sent >= body.chunk.length
            ? body.chunk
            : body.chunk.subarray(0, body.total - sent)
        sent += piece.length
        const more = socket.write(piece)
        if (body.intervalMs) {
          setTimeout(pump, body.intervalMs)
          return
        }
        if (!more) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}
