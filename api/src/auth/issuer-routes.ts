import { Hono } from 'hono'
import type { AppEnv } from '../http/env.ts'
import type { LocalIssuer } from './local-issuer.ts'

/**
 * The local issuer's public face at `/auth`: discovery and keys, at the same paths Cognito uses,
 * so anything that verifies Cognito tokens can verify ours.
 */
export function localIssuerRoutes(issuer: LocalIssuer): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get('/.well-known/openid-configuration', (c) =>
    c.json({
      issuer: issuer.issuer,
      jwks_uri: `${issuer.issuer}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
    }),
  )
  routes.get('/.well-known/jwks.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300')
    return c.json(issuer.jwks)
  })
  return routes
}
