// pnpm bench:token-verify [--tokens 5000] [--rounds 5]
//
// What verifying one access token costs: jose's jwtVerify as the API calls it (RS256 through
// WebCrypto, claims checked) against the bare signature check with node:crypto and a cached
// KeyObject (no claims: the floor any library could reach). Both sequential (one request at a
// time: the latency a voter sees) and all at once (a burst: WebCrypto's work runs on libuv's
// thread pool, so it may use the other core). CPU is the whole process's, every thread.
// Alternated rounds; prints numbers, asserts nothing.
import { createPublicKey, verify } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
  },
})
const count = Number(values.tokens)
const issuer = 'https://issuer.example'
const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256' }
const keys = createLocalJWKSet({ keys: [jwk] })
const keyObject = createPublicKey({ key: jwk, format: 'jwk' })
const now = Math.floor(Date.now() / 1000)
const tokens = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    new SignJWT({ token_use: 'access', client_id: 'web', username: `voter-${String(i)}` })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
      .setSubject(`voter-${String(i)}`)
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey),
  ),
)

const ways: Record<string, (token: string) => Promise<unknown>> = {
  'jose jwtVerify (the API)': (token) =>
    jwtVerify(token, keys, { issuer, algorithms: ['RS256'], maxTokenAge: 86_400 }),
  'node:crypto verify, signature only': (token) => {
    const [header = '', payload = '', signature = ''] = token.split('.')
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      keyObject,
      Buffer.from(signature, 'base64url'),
    )
    if (!ok) throw new Error('bad signature')
    return Promise.resolve(ok)
  },
}

async function measure(way: (token: string) => Promise<unknown>, burst: boolean) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  if (burst) await Promise.all(tokens.map(way))
  else for (const token of tokens) await way(token)
  const wall = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { wallUs: (wall * 1000) / count, cpuUs: (used.user + used.system) / count }
}

const results = new Map<string, { wallUs: number; cpuUs: number }[]>()
for (let round = 0; round < Number(values.rounds); round += 1) {
  for (const burst of [false, true]) {
    for (const [name, way] of Object.entries(ways)) {
      const key = `${name}, ${burst ? 'burst' : 'one at a time'}`
      const list = results.get(key) ?? []
      list.push(await measure(way, burst))
      results.set(key, list)
    }
  }
}
const median = (numbers: number[]) =>
  numbers.sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0
console.log(
  `\nbench:token-verify — ${String(count)} RS256 tokens × ${values.rounds} rounds (medians)`,
)
for (const [key, list] of results) {
  const wall = median(list.map((r) => r.wallUs)).toFixed(1)
  const cpu = median(list.map((r) => r.cpuUs)).toFixed(1)
  console.log(
    `  ${key.padEnd(52)} ${wall.padStart(7)} µs wall  ${cpu.padStart(7)} µs CPU per token`,
  )
}
