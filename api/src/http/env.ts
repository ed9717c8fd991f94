import type { Logger } from 'pino'
import type { Principal } from '../auth/verify.ts'

/** The Hono environment every route and middleware shares. */
export interface AppEnv {
  Variables: {
    requestId: string
    /** The process logger; log lines about a request carry `requestId`. */
    logger: Logger
    /** Set when a valid bearer token came with the request. */
    principal: Principal | undefined
    /** The bearer token itself, for asking the issuer about its owner (auth/verified-email.ts). */
    accessToken: string | undefined
  }
}
