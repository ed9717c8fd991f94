/** Runtime settings: one build serves every environment (the API or the infrastructure writes this). */
export interface WebConfig {
  /** The OpenID issuer: the local provider at /auth, or a Cognito user pool. */
  issuer: string
  clientId: string
  /** Where the API lives: `/api` on the same origin, or another origin in AWS. */
  apiBaseUrl: string
  /**
   * Cognito's hosted-UI `/logout`: Cognito publishes no `end_session_endpoint`, so the
   * infrastructure names it here. Unset with the local provider, which does publish one.
   */
  signOutUrl?: string
  /** Admins may invite people by email (the local provider; in AWS, Cognito's console does it). */
  invitations?: boolean
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' })
  if (!response.ok) throw new Error(`could not load /config.json (${response.status})`)
  return (await response.json()) as WebConfig
}
