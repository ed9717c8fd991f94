import { beforeAll, expect, it } from 'vitest'
import { repositoryTargets } from '@votelab/scripts/image'
import { runStack, type StackRun } from './harness.ts'

// Issue 14, finding 2: `pulumi up` deploys a pushed digest and never builds, so a new stack's
// first step creates only the repository to push to (`pnpm image:publish` runs it with
// `--target`). This is that program, and the URNs the script targets.
let bootstrap: StackRun
beforeAll(async () => {
  bootstrap = await runStack('dev', { 'votelab:image': 'repository-only' }, 'repositoryOnly')
})

it('creates only the image repository and its lifecycle, at the URNs pnpm image:publish targets', () => {
  expect(bootstrap.resources.map((resource) => resource.type).sort()).toEqual([
    'aws:ecr/lifecyclePolicy:LifecyclePolicy',
    'aws:ecr/repository:Repository',
    'votelab:infra:ImageRepository',
  ])
  // The mock monitor writes the stack's type into its direct children's URNs; the engine
  // leaves it out (`urn:pulumi:dev::votelab::votelab:infra:ImageRepository::…`).
  const urns = bootstrap.resources.map((resource) =>
    resource.urn.replace('pulumi:pulumi:Stack$', ''),
  )
  expect(urns.sort()).toEqual([...repositoryTargets('dev')].sort())
  expect(String(bootstrap.outputs.imageRepository)).toMatch(
    /^\d{12}\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/votelab-dev-image-repository-/,
  )
})
