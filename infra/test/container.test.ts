import { spawn, spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { validate } from 'dockerfile-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_PORT } from '../src/service.ts'
import { freePort } from '@votelab/testkit/ports'
import { ROOT } from './harness.ts'

/**
 * There is no Docker engine here, so the image's recipe is checked two ways: linted, and
 * rehearsed — every COPY and RUN of api/Dockerfile replayed in a scratch directory (each stage's
 * `/` mapped into it), then the runtime stage's CMD and HEALTHCHECK run against the result.
 */

interface Instruction {
  stage: number
  keyword: string
  args: string
}

const dockerfileText = readFileSync(join(ROOT, 'api/Dockerfile'), 'utf8')

function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  let stage = -1
  return logical.flatMap((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/)
    if (keyword.toUpperCase() === 'ARG' && stage === -1) return []
    if (keyword.toUpperCase() === 'FROM') stage += 1
    return [{ stage, keyword: keyword.toUpperCase(), args: rest.join(' ') }]
  })
}

/** `.dockerignore` semantics for the patterns this repository uses (last match wins). */
function dockerIgnore(root: string): (path: string) => boolean {
  const rules = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!')
      const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '')
      const regex = pattern
        .split('/')
        .map((part) =>
          part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'),
        )
        .join('/')
        .replace(/^\.\*\//, '(?:.*/)?')
      return { negated, regex: new RegExp(`^${regex}(?:/.*)?$`) }
    })
  return (path) =>
    rules.reduce((ignored, rule) => (rule.regex.test(path) ? !rule.negated : ignored), false)
}

const dockerfile = parseDockerfile(dockerfileText)
const stages = Math.max(...dockerfile.map((i) => i.stage)) + 1
const finalStage = dockerfile.filter((i) => i.stage === stages - 1)
const keywordIn = (list: Instruction[], keyword: string) =>
  list.filter((i) => i.keyword === keyword)

describe('api/Dockerfile', () => {
  it('passes the Dockerfile linter', () => {
    expect(validate(dockerfileText, {})).toEqual([])
  })

  it('is multi-stage on Node 24 and runs as a non-root user with a health check', () => {
    expect(stages).toBeGreaterThanOrEqual(2)
    expect(dockerfileText).toMatch(/^ARG NODE_VERSION=24$/m)
    for (const from of keywordIn(dockerfile, 'FROM'))
      expect(from.args).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim/)
    expect(keywordIn(finalStage, 'USER').map((i) => i.args)).toEqual(['node'])
    expect(keywordIn(finalStage, 'HEALTHCHECK')).toHaveLength(1)
    expect(keywordIn(finalStage, 'EXPOSE').map((i) => i.args)).toEqual([String(API_PORT)])
  })

  it('builds from the package registries alone: no URL fetched, no frontend image pulled (issue 15)', () => {
    // RDS's certificate authorities come from an npm package (DATABASE_CA=amazon-rds), not ADD.
    expect(keywordIn(dockerfile, 'ADD')).toEqual([])
    const fetched = [...dockerfileText.matchAll(/https?:\/\/[^\s'"]+/g)].map((m) => m[0])
    expect(fetched.filter((url) => !url.startsWith('http://127.0.0.1'))).toEqual([])
    // `# syntax=` makes BuildKit pull a frontend image first: the built-in one is enough.
    expect(dockerfileText).not.toMatch(/^#\s*syntax\s*=/m)
  })

  it('keeps the build context small: no node_modules, local data, tools or secrets', () => {
    const ignored = dockerIgnore(ROOT)
    for (const path of [
      'node_modules',
      'api/node_modules',
      '.data',
      '.tools',
      '.git',
      '.env',
      '.secrets',
      'web/dist',
      'infra/src',
      'scripts/bench',
    ]) {
      expect(ignored(path), path).toBe(true)
    }
    for (const path of [
      'api/src/server.ts',
      'api/package.json',
      'web/src/main.ts',
      'infra/package.json',
      'scripts/package.json',
      'pnpm-lock.yaml',
    ]) {
      expect(ignored(path), path).toBe(false)
    }
  })
})

describe('api/Dockerfile rehearsed without Docker', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'votelab-image-'))
  const stageRoot = (stage: number) => join(scratch, `stage-${String(stage)}`)
  const ignored = dockerIgnore(ROOT)
  const stageOf = (name: string) =>
    keywordIn(dockerfile, 'FROM').find(
      (from) => from.args.endsWith(` AS ${name}`) || from.args.endsWith(` as ${name}`),
    )?.stage
  let runtimeEnv: Record<string, string> = {}
  let runtimeWorkdir = ''
  const skipped: string[] = []

  const copyFromContext = (source: string, target: string) => {
    cpSync(join(ROOT, source), target, {
      recursive: true,
      filter: (path) => {
        const inContext = relative(ROOT, path)
        return inContext === '' || !ignored(inContext)
      },
    })
  }

  beforeAll(() => {
    const env: Record<number, Record<string, string>> = {}
    const workdirs: Record<number, string> = {}
    const inStage = (stage: number, path: string) =>
      path.startsWith('/')
        ? join(stageRoot(stage), path)
        : join(workdirs[stage] ?? stageRoot(stage), path)
    for (const { stage, keyword, args } of dockerfile) {
      env[stage] ??= {}
      switch (keyword) {
        case 'FROM':
          mkdirSync(stageRoot(stage), { recursive: true })
          break
        case 'ENV':
          for (const [, key = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) {
            env[stage][key] = value.startsWith('/') ? inStage(stage, value) : value
          }
          break
        case 'WORKDIR':
          workdirs[stage] = inStage(stage, args)
          mkdirSync(workdirs[stage], { recursive: true })
          break
        case 'COPY': {
          const from = /--from=(\S+)/.exec(args)?.[1]
          const paths = args.replace(/--\S+/g, '').trim().split(/\s+/)
          const target = paths.pop() ?? ''
          for (const source of paths) {
            const destination = target.endsWith('/')
              ? inStage(stage, join(target, source.split('/').filter(Boolean).pop() ?? ''))
              : inStage(stage, target)
            if (from) {
              cpSync(inStage(stageOf(from) ?? -1, source), destination, { recursive: true })
            } else if (target === './' || target.endsWith('/')) {
              const into = inStage(stage, target)
              mkdirSync(into, { recursive: true })
              copyFromContext(
                source,
                join(into, source.endsWith('/') ? '' : (source.split('/').pop() ?? '')),
              )
            } else {
              mkdirSync(dirname(destination), { recursive: true })
              copyFromContext(source, destination)
            }
          }
          break
        }
        case 'RUN': {
          // pnpm itself is already installed here (the same version, checked below).
          if (/npm install --global pnpm@/.test(args)) {
            skipped.push(args)
            break
          }
          // There is no `node` user on this machine; ownership is the image's business.
          const command = args
            .split(/\s*&&\s*/)
            .filter((part) => (part.startsWith('chown ') ? (skipped.push(part), false) : true))
            .map((part) =>
              part.replace(
                /(^|\s)(\/[\w./-]+)/g,
                (_, space: string, path: string) => `${space}${inStage(stage, path)}`,
              ),
            )
            .join(' && ')
          const result = spawnSync('sh', ['-c', command], {
            cwd: workdirs[stage],
            env: { ...process.env, ...env[stage] },
            encoding: 'utf8',
          })
          if (result.status !== 0)
            throw new Error(`RUN ${args} failed:\n${result.stdout}\n${result.stderr}`)
          break
        }
        case 'ADD':
          // No internet here: the RDS bundle is checked by path above.
          skipped.push(args)
          break
      }
    }
    runtimeEnv = env[stages - 1] ?? {}
    runtimeWorkdir = workdirs[stages - 1] ?? ''
  }, 300_000)

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true })
  })

  it('installs the pnpm this repository pins', () => {
    const pinned = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager
    expect(skipped.find((step) => step.includes('pnpm@'))).toContain(
      pinned.replace('pnpm@', 'pnpm@'),
    )
  })

  it('ships production dependencies only, and no tests', () => {
    const modules = readdirSync(join(runtimeWorkdir, 'api/node_modules'))
    expect(modules).toEqual(expect.arrayContaining(['hono', 'pg', 'kysely', 'jose']))
    for (const devOnly of ['vitest', 'vite', 'typescript', 'eslint', '@types'])
      expect(modules).not.toContain(devOnly)
    expect(existsSync(join(runtimeWorkdir, 'api/test'))).toBe(false)
    expect(existsSync(join(runtimeWorkdir, 'api/src/config.test.ts'))).toBe(false)
    expect(existsSync(join(runtimeWorkdir, 'web/dist/index.html'))).toBe(true)
  })

  it('starts with its CMD, serves the API and the page, passes its HEALTHCHECK, and stops on SIGTERM', async () => {
    const port = await freePort()
    const cmd = JSON.parse(keywordIn(finalStage, 'CMD')[0]?.args ?? '[]') as string[]
    // 127.0.0.1 here instead of the image's 0.0.0.0: tests listen on loopback only. And the
    // embedded database: this checks the image, not a Postgres server.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...runtimeEnv,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
    }
    const server = spawn(cmd[0] ?? 'node', cmd.slice(1), {
      cwd: runtimeWorkdir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve))
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).ok,
        60_000,
        () => output,
      )
      const page = await fetch(`http://127.0.0.1:${String(port)}/`)
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      const polls = await fetch(`http://127.0.0.1:${String(port)}/api/polls`)
      expect(polls.status).toBe(200)

      const healthcheck = keywordIn(finalStage, 'HEALTHCHECK')[0]?.args ?? ''
      const check = JSON.parse(healthcheck.slice(healthcheck.indexOf('['))) as string[]
      const probe = spawnSync(check[0] ?? '', check.slice(1), { env, encoding: 'utf8' })
      expect(probe.status).toBe(0)
    } finally {
      server.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 120_000)
})

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`the server did not become ready:\n${context()}`)
}
