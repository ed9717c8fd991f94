import { sql } from 'kysely'
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider'
import type { Db } from '../../db/database.ts'

/**
 * Keys the provider hands us come from the client (a code, a refresh token, a request_uri): the
 * provider's own are short URL-safe strings, and a NUL byte would make Postgres fail the query (a
 * 500 where "not found" is the answer).
 */
const isStorableKey = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 512 && /^[\x21-\x7e]+$/.test(value)

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0')
  if (Array.isArray(value)) return value.some(holdsNul)
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\0') || holdsNul(item))
  }
  return false
}

/**
 * oidc-provider's storage in the app's database, so sign-in sessions and refresh tokens survive
 * restarts (the provider's memory adapter forgets them) and PGlite and Postgres behave alike.
 */
export function databaseAdapter(db: Db) {
  return class DatabaseAdapter implements Adapter {
    readonly model: string

    constructor(model: string) {
      this.model = model
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // Payloads carry request parameters (state, nonce, login_hint…) verbatim; jsonb cannot
      // hold a NUL character, and the client should hear that, not a server error.
      if (holdsNul(payload)) {
        throw new errors.InvalidRequest('request parameters must not contain NUL characters')
      }
      const row = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      }
      await db
        .insertInto('oidc_records')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code: row.user_code,
            expires_at: row.expires_at,
          }),
        )
        .execute()
    }

    private async findWhere(column: 'id' | 'uid' | 'user_code', value: string) {
      if (!isStorableKey(value)) return undefined
      const row = await db
        .selectFrom('oidc_records')
        .select(['payload', 'consumed_at'])
        .where('model', '=', this.model)
        .where(column, '=', value)
        .where((eb) =>
          eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]),
        )
        .executeTakeFirst()
      if (!row) return undefined
      const payload = (
        typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload
      ) as AdapterPayload
      return row.consumed_at
        ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
        : payload
    }

    find(id: string) {
      return this.findWhere('id', id)
    }

    findByUid(uid: string) {
      return this.findWhere('uid', uid)
    }

    findByUserCode(userCode: string) {
      return this.findWhere('user_code', userCode)
    }

    async consume(id: string): Promise<void> {
      if (!isStorableKey(id)) return
      await db
        .updateTable('oidc_records')
        .set({ consumed_at: sql<Date>`now()` })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }

    async destroy(id: string): Promise<void> {
      if (!isStorableKey(id)) return
      await db
        .deleteFrom('oidc_records')
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!isStorableKey(grantId)) return
      await db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute()
    }
  }
}
