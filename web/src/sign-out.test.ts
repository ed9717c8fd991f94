import { describe, expect, it } from 'vitest'
import { signOutUrl } from './sign-out.ts'

const local = { issuer: 'http://localhost:3000/auth', clientId: 'votelab-web', apiBaseUrl: '/api' }
const cognito = {
  issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
  clientId: '4p1c1ient',
  apiBaseUrl: '/api',
  signOutUrl: 'https://votelab-dev-1a2b.auth.eu-west-1.amazoncognito.com/logout',
}

describe('signOutUrl', () => {
  it('uses the standard end_session_endpoint with the id token as a hint', () => {
    const url = signOutUrl(
      local,
      { end_session_endpoint: 'http://localhost:3000/auth/session/end' },
      'id.token.jwt',
      'http://localhost:3000',
      'st4te',
    )
    expect(`${url?.origin ?? ''}${url?.pathname ?? ''}`).toBe(
      'http://localhost:3000/auth/session/end',
    )
    expect(Object.fromEntries(url?.searchParams ?? [])).toEqual({
      client_id: 'votelab-web',
      post_logout_redirect_uri: 'http://localhost:3000/',
      id_token_hint: 'id.token.jwt',
      state: 'st4te',
    })
  })

  it("falls back to Cognito's /logout with client_id and logout_uri", () => {
    const url = signOutUrl(cognito, {}, 'id.token.jwt', 'https://d111.cloudfront.net')
    expect(url?.href).toBe(
      'https://votelab-dev-1a2b.auth.eu-west-1.amazoncognito.com/logout?client_id=4p1c1ient&logout_uri=https%3A%2F%2Fd111.cloudfront.net%2F',
    )
  })

  it('returns nothing when the issuer offers no way to end its session', () => {
    expect(signOutUrl(local, {}, undefined, 'http://localhost:3000')).toBeUndefined()
  })
})
