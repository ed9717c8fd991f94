import { createHash, randomBytes } from 'node:crypto'

/**
 * Just enough of a browser for sign-in flows over real HTTP: a cookie jar that honours cookie
 * paths, and manual redirects so tests can see every hop.
 */
/**
 * Test servers listen on a random port but their PUBLIC_URL is this origin, as behind a proxy;
 * the provider names its pages by the public URL. The browser plays the proxy: `/auth/…` on this
 * origin goes to the server the flow started on. (The client's own callback stays untouched.)
 */
const PUBLIC_ORIGIN = 'http://localhost:3000'

export class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>()
  private serverOrigin: string | undefined
  /** Sent with every request (e.g. X-Forwarded-For, to be another client behind our proxy). */
  private readonly defaultHeaders: Record<string, string>

  constructor(defaultHeaders: Record<string, string> = {}) {
    this.defaultHeaders = defaultHeaders
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    url = this.throughProxy(url)
    const target = new URL(url)
    const jar = [...this.cookies]
      .filter(([, cookie]) => target.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ')
    const headers = new Headers(init.headers)
    for (const [name, value] of Object.entries(this.defaultHeaders)) {
      if (!headers.has(name)) headers.set(name, value)
    }
    if (jar) headers.set('cookie', jar)
    // Browsers send Origin with every POST; the sign-in forms' CSRF check relies on it.
    if ((init.method ?? 'GET') !== 'GET' && !headers.has('origin'))
      headers.set('origin', target.origin)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const split = pair.indexOf('=')
      const name = pair.slice(0, split)
      const value = pair.slice(split + 1)
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
      const expired = attributes.some(
        (a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now(),
      )
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, { value, path })
    }
    return response
  }

  private throughProxy(url: string): string {
    if (!this.serverOrigin || !url.startsWith(`${PUBLIC_ORIGIN}/auth/`)) return url
    return this.serverOrigin + url.slice(PUBLIC_ORIGIN.length)
  }

  /** Follows redirects until a page answers or the next hop leaves `origin` (the client's callback). */
  async follow(
    url: string,
    origin: string,
    init: RequestInit = {},
  ): Promise<{ response: Response; url: string }> {
    this.serverOrigin = origin
    let current = this.throughProxy(url)
    let response = await this.fetch(current, init)
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = response.headers.get('location')
      if (!location) break
      current = this.throughProxy(new URL(location, current).toString())
      if (!current.startsWith(origin)) return { response, url: current }
      response = await this.fetch(current)
    }
    return { response, url: current }
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** The value of a named hidden input in an HTML page. */
export function hiddenInput(html: string, name: string): string {
  const match =
    new RegExp(`name="${name}" value="([^"]*)"`).exec(html) ??
    new RegExp(`value="([^"]*)" name="${name}"`).exec(html)
  if (!match?.[1]) throw new Error(`no hidden input ${name} in page`)
  return match[1]
}

/** The action of the form with the given id (or the first form). */
export function formAction(html: string, id?: string): string {
  const forms = [...html.matchAll(/<form([^>]*)>/g)].map((m) => m[1] ?? '')
  const form = id ? forms.find((f) => f.includes(`id="${id}"`)) : forms[0]
  const action = /action="([^"]*)"/.exec(form ?? '')?.[1]
  if (!action) throw new Error(`no form ${id ?? ''} in page`)
  return action.replace(/&amp;/g, '&')
}

/** A valid authorize request of the web client, with `extra` parameters mixed in. */
export function authorizeParams(extra: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({
    client_id: 'votelab-web',
    response_type: 'code',
    redirect_uri: 'http://localhost:3000/callback',
    scope: 'openid email profile',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  })
}

/** Starts a sign-in at `serverUrl`: the browser holding its cookies, and the interaction's id. */
export async function startInteraction(
  serverUrl: string,
  browser = new Browser(),
): Promise<{ browser: Browser; uid: string }> {
  const page = await browser.follow(
    `${serverUrl}/auth/oauth2/authorize?${authorizeParams().toString()}`,
    serverUrl,
  )
  if (page.response.status !== 200) throw new Error(`authorize: ${String(page.response.status)}`)
  return { browser, uid: new URL(page.url).pathname.split('/').at(-1) ?? '' }
}
