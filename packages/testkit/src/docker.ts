import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from './ports.ts'

/**
 * A thin layer over Debian's Docker client (/usr/bin/docker, which builds with BuildKit without
 * the buildx plugin) for the container tests. Every container runs with --network host and
 * listens on 127.0.0.1 only. scripts/containers/engine.sh installs and starts the engine,
 * scripts/containers/base-images.sh provides the base images.
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const DOCKER = '/usr/bin/docker'
const run = promisify(execFile)

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run(DOCKER, args, {
    cwd: ROOT,
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
    maxBuffer: 64 * 1024 * 1024,
  })
  return stdout.trim()
}

export function dockerSync(...args: string[]): string {
  return execFileSync(DOCKER, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim()
}

export function engineRunning(): boolean {
  try {
    dockerSync('info', '--format', '{{.ServerVersion}}')
    return true
  } catch {
    return false
  }
}

/**
 * A host directory the image's `node` user (uid 1000) may write, whoever runs the tests (root
 * here, uid 1001 on GitHub's runners): the container's data volume.
 */
export function dataDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'votelab-container-data-'))
  chmodSync(dir, 0o777)
  return dir
}

/** Access tokens from the API's own CLI inside the container (its local issuer's key stays there). */
export async function tokens(
  container: { id: string },
  sub: string,
  options: { count?: number; admin?: boolean } = {},
): Promise<string[]> {
  const out = await docker(
    'exec',
    container.id,
    'node',
    'api/src/cli/token.ts',
    '--sub',
    sub,
    '--count',
    String(options.count ?? 1),
    ...(options.admin ? ['--admin'] : []),
  )
  return out.split('\n').filter(Boolean)
}

/**
 * Builds `api/Dockerfile` into `tag` with the arguments `pnpm image:publish` uses (so the two
 * share BuildKit's cache); returns the wall-clock seconds it took.
 */
export async function buildImage(tag: string): Promise<number> {
  const started = performance.now()
  await docker('build', '--file', 'api/Dockerfile', '--platform', 'linux/amd64', '--tag', tag, '.')
  return (performance.now() - started) / 1000
}

export async function imageBytes(ref: string): Promise<number> {
  return Number(await docker('image', 'inspect', '--format', '{{.Size}}', ref))
}

export interface Container {
  id: string
  url: string
  dataDir: string
  logs(): Promise<string>
  health(): Promise<string>
  /** `docker stop` with the given grace period; resolves with the exit code and the seconds taken. */
  stop(graceSeconds?: number): Promise<{ exitCode: number; seconds: number }>
  remove(): Promise<void>
}

export interface RunOptions {
  image: string
  env?: Record<string, string>
  /** Run as the image says (USER node), read-only, without capabilities: the hardened way. */
  hardened?: boolean
}

/** Starts the API image and waits until /healthz answers. */
export async function runApi({ image, env = {}, hardened = true }: RunOptions): Promise<Container> {
  const port = await freePort()
  const url = `http://127.0.0.1:${String(port)}`
  const dataDir = dataDirectory()
  const environment = {
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    LOG_LEVEL: 'info',
    ...env,
  }
  const id = await docker(
    'run',
    '--detach',
    '--network',
    'host',
    ...(hardened
      ? [
          '--read-only',
          '--cap-drop',
          'ALL',
          '--security-opt',
          'no-new-privileges',
          '--tmpfs',
          '/tmp:rw,noexec,nosuid,size=64m',
        ]
      : []),
    '--volume',
    `${dataDir}:/app/.data`,
    ...Object.entries(environment).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    image,
  )
  const container: Container = {
    id,
    url,
    dataDir,
    logs: async () => {
      const { stdout, stderr } = await run(DOCKER, ['logs', id], { maxBuffer: 64 * 1024 * 1024 })
      return stdout + stderr
    },
    health: () => docker('inspect', '--format', '{{.State.Health.Status}}', id),
    async stop(graceSeconds = 15) {
      const started = performance.now()
      await docker('stop', '--time', String(graceSeconds), id)
      const seconds = (performance.now() - started) / 1000
      const exitCode = Number(await docker('inspect', '--format', '{{.State.ExitCode}}', id))
      return { exitCode, seconds }
    },
    remove: async () => {
      await docker('rm', '--force', '--volumes', id).catch(() => '')
    },
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    const answered = await fetch(`${url}/healthz`)
      .then((response) => response.ok)
      .catch(() => false)
    if (answered) return container
    const state = await docker('inspect', '--format', '{{.State.Status}}', id)
    if (state !== 'running' || Date.now() > deadline) {
      const logs = await container.logs()
      await container.remove()
      throw new Error(`the container did not answer /healthz (${state}):\n${logs}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
