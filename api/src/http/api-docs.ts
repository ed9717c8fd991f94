import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'
import { contentTypeOf } from './web.ts'

// Swagger UI from the pinned swagger-ui-dist package, served from this origin: no CDN (which
// could run any script next to the sign-in provider, and is unreachable offline), and a policy
// that allows scripts and styles from here only.

const require = createRequire(import.meta.url)
const distDir = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath()

/** The package files the page needs: no other path reaches the file system. */
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'])

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>votelab API</title>
<link rel="icon" href="/api/docs/favicon-32x32.png" type="image/png">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`

// A file, not an inline script, so the policy needs no 'unsafe-inline'.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
})
`

/** `/api/docs`: the OpenAPI document in Swagger UI. */
export function apiDocsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.use(async (c, next) => {
    await next()
    c.header('Content-Security-Policy', CSP)
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('X-Frame-Options', 'DENY')
    c.header('Referrer-Policy', 'no-referrer')
  })
  routes.get('/', (c) => {
    c.header('Cache-Control', 'no-cache')
    return c.html(PAGE)
  })
  routes.get('/init.js', (c) => {
    c.header('Cache-Control', 'no-cache')
    return c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  // Read once, on first request: the files change only with the package pin.
  const read = new Map<string, Promise<Uint8Array<ArrayBuffer>>>()
  routes.get('/:file', async (c) => {
    const file = c.req.param('file')
    if (!ASSETS.has(file)) return c.notFound()
    let bytes = read.get(file)
    if (!bytes) {
      bytes = readFile(join(distDir, file))
      read.set(file, bytes)
    }
    // A day's caching is safe (versioned by the pin) and spares the browser a 1.5 MB bundle.
    c.header('Cache-Control', 'public, max-age=86400')
    return c.body(await bytes, 200, { 'Content-Type': contentTypeOf(file) })
  })
  return routes
}
