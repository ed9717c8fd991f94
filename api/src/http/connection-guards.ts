import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { errorBody } from './errors.ts'

export interface ConnectionGuardOptions {
  /** A request body must have arrived in full this long after its headers, or the client gets 408. */
  bodyTimeoutMs: number
  logger: Logger
}

/** What Node refuses before Hono sees a request, in the project's error shape. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: 'Request headers are larger than 16 KiB',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'The request did not arrive in time',
  },
  ERR_HTTP_HEADERS_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'The request headers did not arrive in time',
  },
}
const BAD_REQUEST = { status: 400, code: 'bad_request', message: 'Malformed HTTP request' }

function writeJsonAndClose(socket: Socket, status: number, code: string, message: string) {
  const body = JSON.stringify(errorBody(code, message))
  socket.end(
    `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${String(Buffer.byteLength(body))}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}

const mayHaveBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')

/**
 * Node-level protections the app cannot give itself:
 * - requests Node refuses (oversized headers, malformed HTTP, timeouts) get a JSON error, not a
 *   bare status line;
 * - a body that trickles in gets 408 and a closed socket after `bodyTimeoutMs`, whatever the
 *   handler is waiting for (Node's own `requestTimeout` is only checked every 30 s).
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy()
      return
    }
    const known = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST
    writeJsonAndClose(socket, known.status, known.code, known.message)
  })

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!mayHaveBody(req)) return
    const timer = setTimeout(() => {
      if (req.complete || req.socket.destroyed) return
      options.logger.warn(
        { method: req.method, path: req.url?.split('?')[0], ms: options.bodyTimeoutMs },
        'request body too slow; closing the connection',
      )
      // Answered already (a handler that did not need the body): just stop the trickle.
      if (res.headersSent) {
        req.socket.destroy()
        return
      }
      const body = JSON.stringify(
        errorBody('request_timeout', 'The request body did not arrive in time'),
      )
      res.writeHead(408, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      })
      res.end(body, () => req.socket.destroy())
    }, options.bodyTimeoutMs)
    timer.unref()
    req.once('end', () => {
      clearTimeout(timer)
    })
  })
}
