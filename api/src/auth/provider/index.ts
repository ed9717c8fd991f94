import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { Db } from '../../db/database.ts'
import type { StoredKey } from '../local-issuer.ts'
import { findAccount } from './accounts.ts'
import { databaseAdapter } from './adapter.ts'
import { errorPage, signedOutPage, signOutPage } from './pages.ts'

export const WEB_CLIENT_ID = 'votelab-web'
/** The scopes Cognito's app client grants, and that access tokens carry. */
export const SCOPES = 'openid email profile'

export interface SignInProviderOptions {
  /** `<PUBLIC_URL>/auth`: the same issuer the API verifies tokens against. */
  issuer: string
  /** The resource indicator access tokens are issued for (their `aud`). */
  apiResource: string
  db: Db
  signingKey: StoredKey
  cookieKeys: string[]
  redirectUris: readonly string[]
  postLogoutRedirectUris: readonly string[]
  /** Lifetime of authorization codes; tests shorten it to see codes expire. */
  authorizationCodeTtlSeconds?: number
}

const HOUR = 3600
const DAY = 24 * HOUR

/**
 * The laptop's Amazon Cognito: a certified OpenID provider (oidc-provider) configured like a
 * Cognito user pool with one public app client — code flow with PKCE (S256) only, refresh
 * tokens rotated on use, RS256 tokens carrying Cognito's claims, Cognito's endpoint paths.
 */
export function createSignInProvider(options: SignInProviderOptions): Provider {
  const { db } = options
  const configuration: Configuration = {
    adapter: databaseAdapter(options.db),
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_name: 'votelab',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [...options.redirectUris],
        post_logout_redirect_uris: [...options.postLogoutRedirectUris],
      },
    ],
    jwks: {
      keys: [
        { ...options.signingKey.privateJwk, kid: options.signingKey.kid, alg: 'RS256', use: 'sig' },
      ],
    },
    cookies: { keys: options.cookieKeys },
    pkce: { required: () => true },
    // Browsers may call the token endpoint from the web client's own origin(s) only.
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub', 'token_use', 'cognito:groups', 'cognito:username'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username'],
    },
    // Like Cognito: the id token carries the profile claims even in the code flow.
    conformIdTokenClaims: false,
    routes: {
      authorization: '/oauth2/authorize',
      token: '/oauth2/token',
      userinfo: '/oauth2/userInfo',
      revocation: '/oauth2/revoke',
      end_session: '/logout',
      jwks: '/.well-known/jwks.json',
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          // "No" must not submit the form: without `logout=yes` oidc-provider still ends this
          // client's grant. It links back instead (the page checked the address is registered).
          const back = ctx.oidc.params?.post_logout_redirect_uri
          ctx.type = 'html'
          ctx.body = signOutPage(
            form,
            typeof back === 'string' ? back : (options.postLogoutRedirectUris[0] ?? '/'),
          )
        },
        postLogoutSuccessSource(ctx) {
          ctx.type = 'html'
          ctx.body = signedOutPage()
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== options.apiResource) throw new Error(`unknown resource ${resource}`)
          return {
            scope: SCOPES,
            accessTokenFormat: 'jwt',
            accessTokenTTL: HOUR,
            jwt: { sign: { alg: 'RS256' } },
          }
        },
      },
    },
    async findAccount(_ctx, sub) {
      const account = await findAccount(db, sub)
      if (!account) return undefined
      return {
        accountId: account.id,
        claims: () => ({
          sub: account.id,
          token_use: 'id',
          'cognito:username': account.email,
          'cognito:groups': account.groups,
          email: account.email,
          email_verified: account.emailVerified,
          preferred_username: account.email,
        }),
      }
    },
    // Cognito's access-token claims, so the API's verifier accepts these tokens unchanged.
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined
      const account = await findAccount(db, token.accountId)
      return {
        token_use: 'access',
        username: account?.email ?? token.accountId,
        ...(account?.groups.length ? { 'cognito:groups': account.groups } : {}),
      }
    },
    // Cognito issues refresh tokens without the offline_access scope.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: HOUR,
      IdToken: HOUR,
      RefreshToken: 30 * DAY,
      AuthorizationCode: options.authorizationCodeTtlSeconds ?? 60,
      Interaction: HOUR,
      Session: 30 * DAY,
      Grant: 30 * DAY,
    },
    interactions: { url: (_ctx, interaction) => `/auth/interaction/${interaction.uid}` },
    renderError(ctx: KoaContextWithOIDC, out) {
      ctx.type = 'html'
      const description = typeof out.error_description === 'string' ? out.error_description : ''
      ctx.body = errorPage(
        'Sign-in problem',
        `${out.error}${description ? `: ${description}` : ''}`,
      )
    },
  }
  const provider = new Provider(options.issuer, configuration)
  // URLs from X-Forwarded-Host/-Proto, which the routes set to the issuer's for every request
  // (routes.ts): never from the client's Host header.
  provider.proxy = true
  return provider
}
