import { expect } from 'vitest'
import type { HttpListener } from '../../src/http-server.ts'
import { Browser, formAction, hiddenInput, pkcePair } from './browser.ts'

// The web client's side of the local provider's sign-in, over real HTTP with a cookie jar: what
// the sign-in tests and the metrics tests (throttled attempts) both walk through.

export const CLIENT_ID = 'votelab-web'
export const REDIRECT_URI = 'http://localhost:3000/callback'
export const LOGOUT_URI = 'http://localhost:3000/'

export function authorizeUrl(
  server: HttpListener,
  challenge: string,
  extra: Record<string, string> = {},
) {
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    state: 'state-123',
    nonce: 'nonce-456',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  })
  return `${server.url}/auth/oauth2/authorize?${params.toString()}`
}

export const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
})

/** authorize → sign-in page → POST credentials → redirect to the client with a code. */
export async function signIn(
  server: HttpListener,
  email: string,
  password: string,
  browser = new Browser(),
) {
  const { verifier, challenge } = pkcePair()
  const page = await browser.follow(authorizeUrl(server, challenge), server.url)
  expect(page.response.status).toBe(200)
  const html = await page.response.text()
  expect(html).toContain('<h1>Sign in</h1>')
  const action = new URL(formAction(html), server.url).toString()
  const result = await browser.follow(
    action,
    server.url,
    form({ csrf: hiddenInput(html, 'csrf'), email, password }),
  )
  return { browser, verifier, result }
}
