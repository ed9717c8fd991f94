import * as oauth from 'oauth4webapi'
import type { WebConfig } from './config.ts'
import { signOutUrl } from './sign-out.ts'

// Authorization code + PKCE with oauth4webapi, against whichever issuer /config.json names: the
// same code signs in with the local provider and with Cognito's hosted UI. Tokens live in memory
// and sessionStorage (gone with the tab), never localStorage.

const TOKENS_KEY = 'votelab.tokens'
const PENDING_KEY = 'votelab.pending-sign-in'
const SIGN_OUT_KEY = 'votelab.pending-sign-out'
const REFRESH_MARGIN_MS = 60_000

interface Tokens {
  accessToken: string
  idToken: string | undefined
  refreshToken: string | undefined
  expiresAt: number
}

interface PendingSignIn {
  verifier: string
  state: string
  nonce: string
  returnTo: string
}

export class Auth {
  private readonly config: WebConfig
  private readonly client: oauth.Client
  private server: oauth.AuthorizationServer | undefined
  private tokens: Tokens | undefined
  private refreshing: Promise<string | undefined> | undefined

  constructor(config: WebConfig) {
    this.config = config
    this.client = { client_id: config.clientId }
    const saved = sessionStorage.getItem(TOKENS_KEY)
    this.tokens = saved ? (JSON.parse(saved) as Tokens) : undefined
  }

  get signedIn(): boolean {
    return this.tokens !== undefined
  }

  private get redirectUri(): string {
    return `${location.origin}/callback`
  }

  private get options() {
    // The local provider is plain http on localhost; Cognito is https. oauth4webapi marks the
    // option deprecated to make it stand out: it is only ever true for the laptop's issuer.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    return { [oauth.allowInsecureRequests]: this.config.issuer.startsWith('http://') }
  }

  private async authorizationServer(): Promise<oauth.AuthorizationServer> {
    if (this.server) return this.server
    const issuer = new URL(this.config.issuer)
    const response = await oauth.discoveryRequest(issuer, { ...this.options, algorithm: 'oidc' })
    this.server = await oauth.processDiscoveryResponse(issuer, response)
    return this.server
  }

  /** Leaves for the sign-in page; comes back to `returnTo` afterwards. */
  async signIn(returnTo = location.pathname + location.search): Promise<void> {
    const server = await this.authorizationServer()
    const pending: PendingSignIn = {
      verifier: oauth.generateRandomCodeVerifier(),
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      returnTo,
    }
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending))
    const url = new URL(server.authorization_endpoint ?? '')
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      redirect_uri: this.redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    }).toString()
    location.assign(url)
  }

  /** On /callback: trades the code for tokens and returns where the voter was going. */
  async completeSignIn(callbackUrl: URL): Promise<string> {
    const pending = JSON.parse(
      sessionStorage.getItem(PENDING_KEY) ?? 'null',
    ) as PendingSignIn | null
    sessionStorage.removeItem(PENDING_KEY)
    if (!pending) throw new Error('This sign-in was not started here; please sign in again.')
    const server = await this.authorizationServer()
    const params = oauth.validateAuthResponse(server, this.client, callbackUrl, pending.state)
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      this.client,
      oauth.None(),
      params,
      this.redirectUri,
      pending.verifier,
      this.options,
    )
    const result = await oauth.processAuthorizationCodeResponse(server, this.client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    })
    this.store(result, undefined)
    return pending.returnTo.startsWith('/') ? pending.returnTo : '/'
  }

  private store(result: oauth.TokenEndpointResponse, previous: Tokens | undefined): void {
    this.tokens = {
      accessToken: result.access_token,
      idToken: result.id_token ?? previous?.idToken,
      refreshToken: result.refresh_token ?? previous?.refreshToken,
      expiresAt: Date.now() + (result.expires_in ?? 3600) * 1000,
    }
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify(this.tokens))
  }

  /** A fresh access token (refreshed a minute before expiry), or undefined when signed out. */
  async accessToken(): Promise<string | undefined> {
    const tokens = this.tokens
    if (!tokens) return undefined
    if (tokens.expiresAt - Date.now() > REFRESH_MARGIN_MS) return tokens.accessToken
    this.refreshing ??= this.refresh(tokens).finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async refresh(tokens: Tokens): Promise<string | undefined> {
    if (!tokens.refreshToken) {
      this.forget()
      return undefined
    }
    try {
      const server = await this.authorizationServer()
      const response = await oauth.refreshTokenGrantRequest(
        server,
        this.client,
        oauth.None(),
        tokens.refreshToken,
        this.options,
      )
      this.store(await oauth.processRefreshTokenResponse(server, this.client, response), tokens)
      return this.tokens?.accessToken
    } catch {
      this.forget()
      return undefined
    }
  }

  /** Drops the tokens (e.g. after a 401) without leaving the page. */
  forget(): void {
    this.tokens = undefined
    sessionStorage.removeItem(TOKENS_KEY)
  }

  /**
   * Ends the session at the provider too, then comes back to this page. The local provider asks
   * first, so the tokens stay until it answers: its "yes" returns with our `state`, its "No, stay
   * signed in" without (completeSignOut). Cognito's /logout does not ask: forget them now.
   */
  async signOut(): Promise<void> {
    const idToken = this.tokens?.idToken
    const server = await this.authorizationServer()
    const asks = Boolean(server.end_session_endpoint)
    const state = asks ? oauth.generateRandomState() : undefined
    if (!asks) this.forget()
    const url = signOutUrl(this.config, server, idToken, location.origin, state)
    if (!url) {
      location.assign('/')
      return
    }
    const pending: PendingSignOut = { state, returnTo: location.pathname + location.search }
    sessionStorage.setItem(SIGN_OUT_KEY, JSON.stringify(pending))
    location.assign(url)
  }

  /**
   * Back on the home page from the provider's sign-out: forgets the tokens if it did sign out, and
   * says which page the voter left from (undefined when no sign-out was under way).
   */
  completeSignOut(url: URL): string | undefined {
    const saved = sessionStorage.getItem(SIGN_OUT_KEY)
    if (!saved || url.pathname !== '/') return undefined
    sessionStorage.removeItem(SIGN_OUT_KEY)
    const pending = JSON.parse(saved) as PendingSignOut
    if (pending.state === undefined || url.searchParams.get('state') === pending.state)
      this.forget()
    return pending.returnTo
  }
}

interface PendingSignOut {
  /** Undefined when the tokens were already forgotten (a provider that does not ask). */
  state: string | undefined
  returnTo: string
}
