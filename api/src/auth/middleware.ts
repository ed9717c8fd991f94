import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/env.ts'
import { ApiError } from '../http/errors.ts'
import { isAdmin, InvalidTokenError, type AccessTokenVerifier } from './verify.ts'

const REALM = 'votelab'

function invalidToken(description: string): ApiError {
  const safe = description.replace(/["\\]/g, '')
  return new ApiError(401, 'invalid_token', `Access token rejected: ${description}`, {
    headers: {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${safe}"`,
    },
  })
}

/**
 * Reads `Authorization: Bearer …` when present. A token that is present but invalid is always a
 * 401, even on routes that also serve anonymous callers: silently ignoring it would hide bugs.
 */
export function authenticate(verify: AccessTokenVerifier) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization')
    if (header === undefined) {
      c.set('principal', undefined)
      c.set('accessToken', undefined)
      return next()
    }
    const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim())
    if (!match?.[1]) throw invalidToken('expected "Authorization: Bearer <token>"')
    try {
      c.set('principal', await verify(match[1]))
      c.set('accessToken', match[1])
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.message)
      throw error
    }
    return next()
  })
}

export const requireVoter = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal) {
    throw new ApiError(401, 'unauthorized', 'Sign in: this needs a bearer access token', {
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
    })
  }
  return next()
})

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal) {
    throw new ApiError(401, 'unauthorized', 'Sign in: this needs a bearer access token', {
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
    })
  }
  if (!isAdmin(c.var.principal)) {
    throw new ApiError(403, 'forbidden', 'Only members of the admins group may do this')
  }
  return next()
})
