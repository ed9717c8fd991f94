import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'

/** Who is calling, read from a Cognito-shaped access token. */
export interface Principal {
  sub: string
  username: string
  groups: string[]
  clientId: string
  scopes: string[]
}

export const ADMIN_GROUP = 'admins'
export const isAdmin = (principal: Principal | undefined): boolean =>
  principal?.groups.includes(ADMIN_GROUP) ?? false

/** Only asymmetric algorithms: a verifier that accepts HS* can be fooled with the public key. */
const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]
const CLOCK_TOLERANCE_SECONDS = 10
const MAX_TOKEN_AGE_SECONDS = 24 * 3600

/** A subject the API can store and compare: Cognito's are UUIDs; any issuer's are short text. */
const isUsableSubject = (sub: unknown): sub is string =>
  typeof sub === 'string' &&
  sub.length > 0 &&
  sub.length <= 255 &&
  sub.isWellFormed() &&
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  !/[\u0000-\u001F\u007F-\u009F]/.test(sub)

export class InvalidTokenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidTokenError'
  }
}

export interface VerifierOptions {
  issuer: string
  clientIds: readonly string[]
  /** The issuer's public keys: a remote JWKS in AWS, the in-process key set locally. */
  keys: JWTVerifyGetKey
}

export type AccessTokenVerifier = (token: string) => Promise<Principal>

export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const allowedClients = new Set(options.clientIds)
  return async (token) => {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat'],
        // Cognito access tokens live at most a day; with it, jose also refuses an `iat` in the
        // future (beyond the tolerance), which only a forged or badly minted token carries.
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      }))
    } catch (error) {
      throw new InvalidTokenError(describeJoseError(error), { cause: error })
    }
    if (!isUsableSubject(payload.sub)) throw new InvalidTokenError('token claim "sub" is invalid')
    // Cognito signs id tokens with the same keys: only an access token may call the API.
    if (payload.token_use !== 'access') throw new InvalidTokenError('not an access token')
    const clientId = payload.client_id
    if (typeof clientId !== 'string' || !allowedClients.has(clientId)) {
      throw new InvalidTokenError('token was issued to a client this API does not accept')
    }
    const groups = payload['cognito:groups'] ?? []
    const username = payload.username ?? payload.sub
    const scope = payload.scope ?? ''
    if (
      !Array.isArray(groups) ||
      !groups.every((group) => typeof group === 'string') ||
      typeof username !== 'string' ||
      typeof scope !== 'string'
    ) {
      throw new InvalidTokenError('token claims are malformed')
    }
    return {
      sub: payload.sub,
      username,
      groups,
      clientId,
      scopes: scope.split(' ').filter(Boolean),
    }
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token has expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim "${error.claim}" is invalid`
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed'
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'token was signed with an unknown key'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'token signature is invalid'
  if (error instanceof joseErrors.JWKSTimeout) return 'could not fetch the issuer keys in time'
  return 'token is malformed or invalid'
}
