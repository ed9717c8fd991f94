import { z } from '@hono/zod-openapi'

// The input policy every route shares: free text, instants and integers in query strings. One
// place, so a field cannot be looser than its neighbours and nothing reaches the database that
// it would refuse (a NUL byte, an integer past int4, a year PGlite and Postgres store differently).

/** C0 and C1 controls (tab and newline are allowed in multi-line text only), DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS_MULTILINE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/
/** Bidirectional overrides and isolates: they make text read differently from what it holds. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/

export interface TextOptions {
  max: number
  /** Empty after trimming is refused unless `min` is 0. */
  min?: number
  /** Tab and newline allowed (a description); single-line fields (titles, labels) refuse them. */
  multiline?: boolean
}

/**
 * Free text: refuses lone surrogates, control characters and bidi overrides with a message
 * naming the problem; stores NFC, trimmed, with CRLF as LF.
 */
export function text({ max, min = 1, multiline = false }: TextOptions) {
  const controls = multiline ? CONTROLS_MULTILINE : CONTROLS_SINGLE_LINE
  let schema = z
    .string({ error: 'must be a string' })
    .refine((value) => value.isWellFormed(), 'must not contain lone surrogates (invalid UTF-16)')
    .overwrite((value) => value.replace(/\r\n/g, '\n'))
    .refine(
      (value) => !controls.test(value),
      multiline
        ? 'must not contain control characters other than tab and newline'
        : 'must not contain control characters (tabs and line breaks included)',
    )
    .refine(
      (value) => !BIDI_CONTROLS.test(value),
      'must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069)',
    )
    .overwrite((value) => value.normalize('NFC'))
    .trim()
    .max(max, `must be at most ${String(max)} characters`)
  if (min > 0) schema = schema.min(min, min === 1 ? 'must not be empty' : `must be at least ${min}`)
  return schema
}

export const EARLIEST_INSTANT = '2000-01-01T00:00:00.000Z'
export const LATEST_INSTANT = '9999-12-31T23:59:59.999Z'

/**
 * An ISO 8601 date-time with an offset, between 2000 and 9999 (UTC): PGlite and Postgres store
 * every instant of that range identically, millisecond precision and all.
 */
export function instant() {
  return z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
    .refine((value) => {
      const ms = Date.parse(value)
      return ms >= Date.parse(EARLIEST_INSTANT) && ms <= Date.parse(LATEST_INSTANT)
    }, 'must be between 2000-01-01T00:00:00Z and 9999-12-31T23:59:59Z')
}

/** A Postgres `integer` column's largest value: numbers in queries are bounded to what they query. */
export const INT4_MAX = 2_147_483_647

/** A whole number in a query string, within [min, max]; `fallback` when absent. */
export function queryInt({ min, max, fallback }: { min: number; max: number; fallback: number }) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${String(min)}`)
    .max(max, `must be at most ${String(max)}`)
    .default(fallback)
}
