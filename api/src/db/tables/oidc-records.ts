/** oidc-provider's artefacts (sessions, interactions, codes, tokens, grants), one row each. */
export interface OidcRecordsTable {
  model: string
  id: string
  payload: unknown
  grant_id: string | null
  uid: string | null
  user_code: string | null
  expires_at: Date | null
  consumed_at: Date | null
}
