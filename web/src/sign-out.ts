import type { AuthorizationServer } from 'oauth4webapi'
import type { WebConfig } from './config.ts'

/**
 * Where signing out ends the provider's session too: the standard RP-initiated logout when the
 * issuer publishes an `end_session_endpoint` (the local provider), otherwise Cognito's `/logout`,
 * which takes `client_id` and `logout_uri` instead. Undefined when neither exists.
 */
export function signOutUrl(
  config: WebConfig,
  server: Pick<AuthorizationServer, 'end_session_endpoint'>,
  idToken: string | undefined,
  origin: string,
  state?: string,
): URL | undefined {
  const home = `${origin}/`
  if (server.end_session_endpoint) {
    const url = new URL(server.end_session_endpoint)
    url.search = new URLSearchParams({
      client_id: config.clientId,
      post_logout_redirect_uri: home,
      ...(idToken ? { id_token_hint: idToken } : {}),
      // Comes back only when the provider did sign out: "No, stay signed in" returns without it.
      ...(state ? { state } : {}),
    }).toString()
    return url
  }
  if (config.signOutUrl) {
    const url = new URL(config.signOutUrl)
    url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: home }).toString()
    return url
  }
  return undefined
}
