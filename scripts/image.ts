// pnpm image:publish <stack>    the API image of this commit, built once and pushed to the stack's
//                               repository; prints <repository>@sha256:<digest>
// pnpm image:deployed <stack>   the image the stack runs now (what a preview deploys)
//
// `pulumi up` deploys the digest these print (VOTELAB_IMAGE) and never builds: an image is built
// once per commit, with provenance and an SBOM where buildx is available, and a re-run at the
// same commit reuses what is already in the repository (its tags are immutable).
// docs/decisions/013-images-built-once-deployed-by-digest.md
//
// Prints the reference on stdout (and as `image=` to $GITHUB_OUTPUT in Actions); everything else
// goes to stderr, so `export VOTELAB_IMAGE=$(pnpm -s image:publish dev)` works.

import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const PROJECT = 'votelab'
const DOCKERFILE = 'api/Dockerfile'
const PLATFORM = 'linux/amd64'
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/

/** Runs a command and returns its stdout; throws when it exits non-zero. */
export type Run = (command: string, args: string[], env?: Record<string, string>) => string

const run: Run = (command, args, env) =>
  execFileSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  })

const log = (message: string) => console.error(`image: ${message}`)

/**
 * The tag for this build: the commit (GitHub Actions sets GITHUB_SHA), with a suffix when the
 * working tree has uncommitted changes so a laptop build never claims to be that commit.
 */
export function sourceVersion(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_SHA) return env.GITHUB_SHA.slice(0, 12)
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    const commit = git('rev-parse', '--short=12', 'HEAD')
    const dirty = git('status', '--porcelain') !== ''
    return dirty ? `${commit}-dirty-${Date.now().toString(36)}` : commit
  } catch {
    return `local-${Date.now().toString(36)}`
  }
}

/** The URNs `pulumi up --target` needs to create only the image repository. */
export function repositoryTargets(stack: string): string[] {
  const component = 'votelab:infra:ImageRepository'
  const name = `${PROJECT}-${stack}-image`
  return [
    `urn:pulumi:${stack}::${PROJECT}::${component}::${name}`,
    `urn:pulumi:${stack}::${PROJECT}::${component}$aws:ecr/repository:Repository::${name}-repository`,
    `urn:pulumi:${stack}::${PROJECT}::${component}$aws:ecr/lifecyclePolicy:LifecyclePolicy::${name}-lifecycle`,
  ]
}

function stackOutput(exec: Run, stack: string, name: string): string | undefined {
  try {
    const value = exec('pulumi', ['stack', 'output', name, '--stack', stack]).trim()
    return value || undefined
  } catch {
    return undefined
  }
}

/** `repository@sha256:…` of `repository:tag` if the registry has it. */
function existingDigest(exec: Run, repository: string, tag: string, buildx: boolean) {
  const ref = `${repository}:${tag}`
  try {
    if (buildx) {
      const manifest = JSON.parse(
        exec('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']),
      ) as { digest?: string }
      return manifest.digest ? `${repository}@${manifest.digest}` : undefined
    }
    exec('docker', ['pull', '--quiet', '--platform', PLATFORM, ref])
    return repoDigest(exec, repository, ref)
  } catch {
    return undefined
  }
}

function repoDigest(exec: Run, repository: string, ref: string): string {
  const digests = JSON.parse(
    exec('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]),
  ) as string[]
  const found = digests.find((digest) => digest.startsWith(`${repository}@sha256:`))
  if (!found) throw new Error(`the registry reported no digest for ${ref}`)
  return found
}

/** Builds and pushes `repository:tag`; returns `repository@sha256:…`. */
function buildAndPush(exec: Run, repository: string, tag: string, buildx: boolean): string {
  const ref = `${repository}:${tag}`
  if (buildx) {
    const dir = mkdtempSync(join(tmpdir(), 'votelab-image-'))
    try {
      const metadata = join(dir, 'metadata.json')
      exec('docker', [
        'buildx',
        'build',
        '--file',
        DOCKERFILE,
        '--platform',
        PLATFORM,
        // Who built it from what (SLSA provenance), and what is inside (SBOM), pushed with it.
        '--provenance=mode=max',
        '--sbom=true',
        '--tag',
        ref,
        '--push',
        '--metadata-file',
        metadata,
        '.',
      ])
      const digest = (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, unknown>)[
        'containerimage.digest'
      ]
      if (typeof digest !== 'string') throw new Error('buildx reported no image digest')
      return `${repository}@${digest}`
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  // Without buildx (Debian's docker.io): BuildKit through `docker build`, no attestations.
  log('docker buildx is not installed: building without provenance or SBOM')
  exec('docker', ['build', '--file', DOCKERFILE, '--platform', PLATFORM, '--tag', ref, '.'], {
    DOCKER_BUILDKIT: '1',
  })
  exec('docker', ['push', '--quiet', ref])
  return repoDigest(exec, repository, ref)
}

function hasBuildx(exec: Run): boolean {
  try {
    exec('docker', ['buildx', 'version'])
    return true
  } catch {
    return false
  }
}

/** Docker logs in to ECR with a token from the AWS CLI (the pipeline's or the laptop's role). */
function loginToEcr(exec: Run, repository: string) {
  const registry = repository.split('/')[0] ?? ''
  const region = /\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(registry)?.[1]
  if (!region) return
  const password = exec('aws', ['ecr', 'get-login-password', '--region', region])
  execFileSync('docker', ['login', '--username', 'AWS', '--password-stdin', registry], {
    input: password,
    stdio: ['pipe', 'ignore', 'inherit'],
  })
}

export interface PublishOptions {
  stack: string
  tag: string
  exec?: Run
  /** Log in to ECR first (off in tests against a local registry). */
  login?: boolean
}

/** The image for this commit in the stack's repository, built and pushed only if missing. */
export function publish({ stack, tag, exec = run, login = true }: PublishOptions): string {
  let repository = stackOutput(exec, stack, 'imageRepository')
  if (!repository) {
    log(`stack ${stack} has no image repository yet: creating only that`)
    exec(
      'pulumi',
      [
        'up',
        '--stack',
        stack,
        '--yes',
        '--skip-preview',
        ...repositoryTargets(stack).flatMap((urn) => ['--target', urn]),
      ],
      { VOTELAB_IMAGE: 'repository-only' },
    )
    repository = stackOutput(exec, stack, 'imageRepository')
    if (!repository) throw new Error(`stack ${stack} still reports no imageRepository`)
  }
  if (login) loginToEcr(exec, repository)
  const buildx = hasBuildx(exec)
  const existing = existingDigest(exec, repository, tag, buildx)
  if (existing) {
    log(`${repository}:${tag} was pushed before: deploying it as it is`)
    return existing
  }
  log(`building ${repository}:${tag}`)
  return buildAndPush(exec, repository, tag, buildx)
}

/** The image the stack's service runs now, as its last `pulumi up` recorded it. */
export function deployed(stack: string, exec: Run = run): string {
  const image = stackOutput(exec, stack, 'image')
  if (!image) {
    throw new Error(
      `stack ${stack} has no deployed image yet: run \`pnpm image:publish ${stack}\` and ` +
        '`pulumi up` once (infra/README.md)',
    )
  }
  return image
}

if (import.meta.main) {
  const [command, stack] = process.argv.slice(2)
  if (!stack || (command !== 'publish' && command !== 'deployed')) {
    console.error('usage: pnpm image:publish <stack> | pnpm image:deployed <stack>')
    process.exit(2)
  }
  // Pulumi's own rule for a stack name; anything else would only fail later, inside `pulumi up`.
  if (!STACK_NAME.test(stack)) {
    console.error(`image: "${stack.slice(0, 100)}" is not a stack name (letters, digits, _ . -)`)
    process.exit(2)
  }
  try {
    const image =
      command === 'publish' ? publish({ stack, tag: sourceVersion(ROOT) }) : deployed(stack)
    console.log(image)
    if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `image=${image}\n`)
  } catch (error) {
    console.error(`image: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
