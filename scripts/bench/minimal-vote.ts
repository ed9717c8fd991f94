// The least a correct vote does (baselines.ts): a Hono POST that verifies the voter's RS256
// access token with jose against the issuer's keys and inserts one row — unique per poll and
// voter, so a second vote is refused — through a pool as large as the load's connections (as
// the raw Postgres baseline has: autocommitted INSERTs wait on the WAL flush, and a small pool
// would measure that wait rather than the work). No
// idempotency receipt, no limits, no group commit, no metrics, no results: what votelab adds on
// top is the API's figure divided by this one.
//   node minimal-vote.ts <port>   env: DATABASE_URL, POOL_SIZE, JWKS (the issuer's public keys,
//   JSON), ISSUER
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import pg from 'pg'

const keys = createLocalJWKSet(JSON.parse(process.env.JWKS ?? '{"keys":[]}') as JSONWebKeySet)
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 10),
})

const app = new Hono()
  .get('/healthz', (c) => c.json({ status: 'ok' }))
  .post('/polls/:pollId/votes', async (c) => {
    const token = c.req.header('authorization')?.replace(/^Bearer /, '') ?? ''
    let voter: string
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: process.env.ISSUER,
        algorithms: ['RS256'],
      })
      voter = payload.sub ?? ''
    } catch {
      return c.json({ error: { code: 'invalid_token', message: 'Access token rejected' } }, 401)
    }
    const { optionId } = await c.req.json<{ optionId: string }>()
    const inserted = await pool.query({
      name: 'vote',
      text: 'insert into bench_minimal_votes (poll_id, voter_sub, option_id) values ($1, $2, $3) on conflict do nothing',
      values: [c.req.param('pollId'), voter, optionId],
    })
    if (inserted.rowCount === 0)
      return c.json({ error: { code: 'already_voted', message: 'Already voted' } }, 409)
    return c.json({ pollId: c.req.param('pollId'), optionId }, 201)
  })
serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: '127.0.0.1' })
