import { beforeAll, describe, expect, it } from 'vitest'
import { GITHUB_OIDC_PROVIDER_ARN, runStack, type StackRun } from './harness.ts'

// Issue 14, finding 1: two stacks in one AWS account. Both programs run here, one after the
// other, against the same mocked account: whatever one creates under a fixed name, the other
// must not create again, and neither may own what the other depends on.
let dev: StackRun
let prod: StackRun
beforeAll(async () => {
  dev = await runStack('dev')
  prod = await runStack('prod')
})

/** Types whose names live inside another resource (a group in its user pool), not the account. */
const SCOPED_NAMES = new Set(['aws:cognito/userGroup:UserGroup'])

/** Names AWS holds per account (and region): what two stacks could collide on. */
function physicalNames(stack: StackRun): string[] {
  const fields = ['name', 'bucket', 'domain', 'identifier', 'roleName', 'dashboardName', 'url']
  return stack.resources.flatMap((resource) => {
    if (!resource.custom || SCOPED_NAMES.has(resource.type)) return []
    const names = fields
      .map((field) => resource.inputs[field])
      .filter((value): value is string => typeof value === 'string')
    const endpoint = resource.inputs.vpcOriginEndpointConfig as { name?: unknown } | undefined
    if (typeof endpoint?.name === 'string') names.push(endpoint.name)
    return names.map((name) => `${resource.type} ${name}`)
  })
}

describe('dev and prod in one account', () => {
  it('create no GitHub OIDC provider: both trust the account’s one provider, created once outside them', () => {
    for (const stack of [dev, prod]) {
      expect(stack.ofType('aws:iam/openIdConnectProvider:OpenIdConnectProvider')).toEqual([])
      for (const role of stack
        .ofType('aws:iam/role:Role')
        .filter((r) => r.name.includes('pipeline'))) {
        const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as {
          Statement: { Principal: { Federated: string } }[]
        }
        expect(trust.Statement[0]?.Principal.Federated).toBe(GITHUB_OIDC_PROVIDER_ARN)
      }
    }
  })

  it('share no physical name', () => {
    const devNames = physicalNames(dev)
    const prodNames = new Set(physicalNames(prod))
    expect(devNames.length).toBeGreaterThan(5)
    expect(devNames.filter((name) => prodNames.has(name))).toEqual([])
  })
})
