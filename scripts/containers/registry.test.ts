import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { publish, type Run } from '../image.ts'
import { DOCKER, ROOT, docker, runApi, type Container } from '@votelab/testkit/docker'
import { freePort } from '@votelab/testkit/ports'

/**
 * "Build once, deploy by digest" (issue 14, finding 2) rehearsed against a real OCI registry:
 * Debian's docker-registry stands in for ECR. `pnpm image:publish`'s code builds and pushes the
 * image, reads its digest back, reuses it on a second run without building, and the image runs
 * by that digest. Only `pulumi stack output` is answered here (no Pulumi CLI on this machine).
 */

let registry: ChildProcess
let repository: string
const containers: Container[] = []

beforeAll(async () => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'votelab-registry-'))
  const config = join(dir, 'config.yml')
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
      `http: { addr: 127.0.0.1:${String(port)} }`,
    ].join('\n'),
  )
  registry = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' })
  for (let i = 0; i < 50; i++) {
    const up = await fetch(`http://127.0.0.1:${String(port)}/v2/`)
      .then((response) => response.ok)
      .catch(() => false)
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // Named like the stack's ECR repository; the engine allows plain HTTP to 127.0.0.1.
  repository = `127.0.0.1:${String(port)}/votelab-dev-image-repository-abc1234`
}, 60_000)

afterAll(async () => {
  for (const container of containers) await container.remove()
  registry.kill()
})

/** The real docker (Debian's client) and git; Pulumi's answer is the only one made up. */
function tools(calls: string[]): Run {
  return (command, args, env) => {
    calls.push([command, ...args].join(' '))
    if (command === 'pulumi') return `${repository}\n`
    return execFileSync(command === 'docker' ? DOCKER : command, args, {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, DOCKER_BUILDKIT: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    })
  }
}

it('pushes once, reads the digest back from the registry, reuses it, and runs the image by digest', async () => {
  const tag = `rehearsal-${Date.now().toString(36)}`
  const first: string[] = []
  const image = publish({ stack: 'dev', tag, exec: tools(first), login: false })
  expect(image).toMatch(new RegExp(`^${repository}@sha256:[0-9a-f]{64}$`))
  expect(first.some((call) => call.startsWith('docker push'))).toBe(true)

  // The registry serves that very manifest under the tag.
  const [, name] = /^[^/]+\/(.+)@/.exec(image) ?? []
  const head = await fetch(
    `http://${repository.split('/')[0] ?? ''}/v2/${name ?? ''}/manifests/${tag}`,
    {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    },
  )
  expect(head.headers.get('docker-content-digest')).toBe(image.split('@')[1])

  // A re-run at the same commit, with nothing cached locally: no build, no push, same digest.
  await docker('image', 'rm', `${repository}:${tag}`)
  const second: string[] = []
  expect(publish({ stack: 'dev', tag, exec: tools(second), login: false })).toBe(image)
  expect(second.filter((call) => /^docker (build|push) /.test(call))).toEqual([])

  const container = await runApi({ image })
  containers.push(container)
  expect((await fetch(`${container.url}/readyz`)).status).toBe(200)
  expect(await docker('inspect', '--format', '{{.Config.Image}}', container.id)).toBe(image)
}, 300_000)
