import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { deployed, publish, repositoryTargets, type Run, sourceVersion } from './image.ts'

/**
 * `pnpm image:publish` (issue 14, finding 2): built once per commit, pushed by digest, reused on a
 * re-run. Pulumi's CLI and docker buildx do not exist on this machine, so their answers are
 * scripted here from their documented output; the calls made are what is asserted.
 */

const REPOSITORY =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/votelab-dev-image-repository-abc1234'
const DIGEST = `sha256:${'ab'.repeat(32)}`

interface Registry {
  /** imageRepository output; undefined: a new stack (until `pulumi up --target` creates it). */
  repository?: string
  /** Tags already in the repository. */
  tags: Map<string, string>
  buildx: boolean
}

function fakeTools(registry: Registry) {
  const calls: string[] = []
  const exec: Run = (command, args, env) => {
    const line = [command, ...args].join(' ')
    calls.push(env?.VOTELAB_IMAGE ? `VOTELAB_IMAGE=${env.VOTELAB_IMAGE} ${line}` : line)
    if (line.startsWith('pulumi stack output imageRepository')) {
      if (!registry.repository) throw new Error('current stack does not have output')
      return `${registry.repository}\n`
    }
    if (line.startsWith('pulumi up')) {
      registry.repository = REPOSITORY
      return ''
    }
    if (line.startsWith('pulumi stack output image')) return `${REPOSITORY}@${DIGEST}\n`
    if (line === 'docker buildx version') {
      if (!registry.buildx) throw new Error("docker: 'buildx' is not a docker command")
      return 'github.com/docker/buildx v0.19.3'
    }
    if (line.startsWith('docker buildx imagetools inspect')) {
      const tag = args[3]?.split(':').at(-1) ?? ''
      const digest = registry.tags.get(tag)
      if (!digest) throw new Error(`ERROR: ${args[3]}: not found`)
      return JSON.stringify({ mediaType: 'application/vnd.oci.image.index.v1+json', digest })
    }
    if (line.startsWith('docker buildx build')) {
      const metadata = args[args.indexOf('--metadata-file') + 1] ?? ''
      writeFileSync(metadata, JSON.stringify({ 'containerimage.digest': DIGEST }))
      return ''
    }
    if (line.startsWith('docker pull')) {
      const tag = args.at(-1)?.split(':').at(-1) ?? ''
      if (!registry.tags.has(tag)) throw new Error('manifest unknown')
      return ''
    }
    if (line.startsWith('docker image inspect')) {
      const tag = args.at(-1)?.split(':').at(-1) ?? ''
      return JSON.stringify([`${REPOSITORY}@${registry.tags.get(tag) ?? DIGEST}`])
    }
    if (line.startsWith('docker build') || line.startsWith('docker push')) return ''
    throw new Error(`unexpected command: ${line}`)
  }
  return { exec, calls }
}

describe('pnpm image:publish', () => {
  it('builds once with provenance and an SBOM, pushes, and prints the digest reference', () => {
    const { exec, calls } = fakeTools({ repository: REPOSITORY, tags: new Map(), buildx: true })
    const image = publish({ stack: 'dev', tag: '0123456789ab', exec, login: false })
    expect(image).toBe(`${REPOSITORY}@${DIGEST}`)
    const builds = calls.filter((call) => call.startsWith('docker buildx build'))
    expect(builds).toHaveLength(1)
    expect(builds[0]).toContain('--provenance=mode=max')
    expect(builds[0]).toContain('--sbom=true')
    expect(builds[0]).toContain(`--tag ${REPOSITORY}:0123456789ab --push`)
    expect(builds[0]).toContain('--file api/Dockerfile --platform linux/amd64')
    // Never Pulumi: the program only deploys.
    expect(calls.filter((call) => call.startsWith('pulumi up'))).toEqual([])
  })

  it('reuses the image already pushed for this commit: a re-run builds and pushes nothing', () => {
    const earlier = `sha256:${'cd'.repeat(32)}`
    const { exec, calls } = fakeTools({
      repository: REPOSITORY,
      tags: new Map([['0123456789ab', earlier]]),
      buildx: true,
    })
    expect(publish({ stack: 'dev', tag: '0123456789ab', exec, login: false })).toBe(
      `${REPOSITORY}@${earlier}`,
    )
    expect(calls.some((call) => /^docker (buildx build|build|push) /.test(call))).toBe(false)
  })

  it('creates only the repository of a new stack (pulumi up --target), then publishes into it', () => {
    const { exec, calls } = fakeTools({ tags: new Map(), buildx: true })
    publish({ stack: 'dev', tag: '0123456789ab', exec, login: false })
    const up = calls.find((call) => call.includes('pulumi up'))
    expect(up).toMatch(/^VOTELAB_IMAGE=repository-only pulumi up --stack dev --yes/)
    for (const urn of repositoryTargets('dev')) expect(up).toContain(`--target ${urn}`)
    expect(calls.filter((call) => call.startsWith('docker buildx build'))).toHaveLength(1)
  })

  it("targets the URNs the program gives the repository (what the stack's state will hold)", () => {
    expect(repositoryTargets('prod')).toEqual([
      'urn:pulumi:prod::votelab::votelab:infra:ImageRepository::votelab-prod-image',
      'urn:pulumi:prod::votelab::votelab:infra:ImageRepository$aws:ecr/repository:Repository::votelab-prod-image-repository',
      'urn:pulumi:prod::votelab::votelab:infra:ImageRepository$aws:ecr/lifecyclePolicy:LifecyclePolicy::votelab-prod-image-lifecycle',
    ])
  })

  it('falls back to docker build and push without buildx, reading the digest the registry gave', () => {
    const { exec, calls } = fakeTools({ repository: REPOSITORY, tags: new Map(), buildx: false })
    expect(publish({ stack: 'dev', tag: 'abc', exec, login: false })).toBe(
      `${REPOSITORY}@${DIGEST}`,
    )
    expect(calls).toContain(
      `docker build --file api/Dockerfile --platform linux/amd64 --tag ${REPOSITORY}:abc .`,
    )
    expect(calls).toContain(`docker push --quiet ${REPOSITORY}:abc`)
  })
})

describe('pnpm image:deployed', () => {
  it('prints the image the stack runs now, for a preview that must not build', () => {
    const { exec, calls } = fakeTools({ repository: REPOSITORY, tags: new Map(), buildx: true })
    expect(deployed('dev', exec)).toBe(`${REPOSITORY}@${DIGEST}`)
    expect(calls).toEqual(['pulumi stack output image --stack dev'])
  })
})

describe('sourceVersion (the image tag)', () => {
  it('is the commit in Actions, and says so when a laptop tree has uncommitted changes', () => {
    expect(sourceVersion('/nowhere', { GITHUB_SHA: '0123456789abcdef0123' })).toBe('0123456789ab')
    const repo = mkdtempSync(join(tmpdir(), 'votelab-version-'))
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim()
    git('init', '-q')
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'x')
    const commit = git('rev-parse', '--short=12', 'HEAD')
    expect(sourceVersion(repo, {})).toBe(commit)
    writeFileSync(join(repo, 'new.txt'), 'x')
    expect(sourceVersion(repo, {})).toMatch(new RegExp(`^${commit}-dirty-[a-z0-9]+$`))
  })
})

describe('the image CLI', () => {
  it('refuses what is not a stack name before calling any tool (exit 2)', () => {
    for (const stack of ['', 'dev prod', 'x'.repeat(101), '\ud800', '../dev', '$(id)']) {
      const result = spawnSync(process.execPath, ['scripts/image.ts', 'publish', stack], {
        cwd: join(import.meta.dirname, '..'),
        encoding: 'utf8',
      })
      expect(result.status, JSON.stringify(stack)).toBe(2)
      expect(result.stderr).not.toContain('ENOENT')
    }
  })
})
