import type { Api, Me } from './api.ts'
import type { Auth } from './auth.ts'

export interface AppContext {
  api: Api
  auth: Auth
  /** Who is signed in, or undefined. */
  me: Me | undefined
  isAdmin: boolean
  /** Admins may invite people by email (the local provider). */
  invitations: boolean
  navigate(path: string): void
  /** Called when a page goes away: stop streams and timers. */
  onLeave(cleanup: () => void): void
}
