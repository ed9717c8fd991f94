import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'
import { ApiError } from './errors.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
}

/**
 * What CloudFront sends with the page in AWS (infra/src/web.ts), minus Cognito's origins: the
 * browser tests then prove the page works under it.
 */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
}

/**
 * Hono has decoded all but reserved characters (`%2F`, `%25`…) and left malformed escapes as
 * they are: finish decoding, and say undefined for what is not a path (`/%`, `/%c0%ae`, NUL).
 */
function decodePath(path: string): string | undefined {
  try {
    const decoded = decodeURIComponent(path)
    return decoded.includes('\0') ? undefined : decoded
  } catch {
    return undefined
  }
}

/** The Content-Type of a file the API serves, by its extension. */
export const contentTypeOf = (file: string): string =>
  TYPES[extname(file)] ?? 'application/octet-stream'

export interface WebClientConfig {
  issuer: string
  clientId: string
  apiBaseUrl: string
  /** Admins invite people through `POST /api/invitations` (the local provider; Cognito has its own). */
  invitations?: boolean
}

/**
 * The built web client (`web/dist`) and its `/config.json`, so a laptop runs the whole system on
 * one origin. In AWS, S3 + CloudFront serve the same files and the infrastructure writes the config.
 * Paths that are not files get `index.html`: the page routes itself.
 */
export function webRoutes(distDir: string, clientConfig: WebClientConfig): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get('/config.json', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json(clientConfig)
  })
  if (!existsSync(join(distDir, 'index.html'))) {
    routes.get('/', (c) =>
      c.text(
        'The web client is not built yet: run `pnpm build` (pnpm dev does it for you). The API is at /api/docs.',
        503,
      ),
    )
    return routes
  }
  const root = normalize(distDir + sep)
  routes.get('*', async (c) => {
    const path = decodePath(c.req.path)
    if (path === undefined) {
      throw new ApiError(400, 'invalid_path', 'The path is not valid percent-encoded UTF-8')
    }
    // Unknown API and sign-in paths stay JSON 404s, not the page.
    if (/^\/(api|auth)(\/|$)/.test(path)) return c.notFound()
    for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value)
    const file = normalize(join(root, path))
    const isAsset = file.startsWith(root) && extname(file) !== '' && existsSync(file)
    if (isAsset) {
      // Vite fingerprints everything under assets/: cache it for good.
      c.header(
        'Cache-Control',
        path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
      c.header('Content-Type', contentTypeOf(file))
      return c.body(await readFile(file))
    }
    if (extname(path) !== '') return c.notFound()
    c.header('Cache-Control', 'no-cache')
    return c.html(await readFile(join(root, 'index.html'), 'utf8'))
  })
  return routes
}
