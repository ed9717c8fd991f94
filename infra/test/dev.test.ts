import { beforeAll, describe, expect, it } from 'vitest'
import { runStack, type StackRun } from './harness.ts'
import { expectedResources, securityInvariants } from './invariants.ts'

// The lab stack, from Pulumi.dev.yaml, under Pulumi's mocks.
let stack: StackRun
beforeAll(async () => {
  stack = await runStack('dev')
})

describe('dev stack', () => {
  expectedResources(() => stack)
  securityInvariants(() => stack)

  it('lets anyone sign up, with verified emails and no account enumeration (votelab:signUp open)', () => {
    const pool = stack.ofType('aws:cognito/userPool:UserPool')[0]?.inputs
    expect(pool).toMatchObject({
      autoVerifiedAttributes: ['email'],
      adminCreateUserConfig: { allowAdminCreateUserOnly: false },
    })
    const client = stack.ofType('aws:cognito/userPoolClient:UserPoolClient')[0]?.inputs
    expect(client?.preventUserExistenceErrors).toBe('ENABLED')
  })

  it('is the cheap lab: one NAT gateway, single-AZ database, one task, nothing protected from destroy', () => {
    expect(stack.one('awsx:ec2:Vpc').inputs).toMatchObject({
      natGateways: { strategy: 'Single' },
      numberOfAvailabilityZones: 2,
    })
    expect(stack.one('aws:rds/instance:Instance').inputs).toMatchObject({
      instanceClass: 'db.t4g.micro',
      multiAz: false,
      deletionProtection: false,
      skipFinalSnapshot: true,
      backupRetentionPeriod: 1,
    })
    expect(stack.one('awsx:ecs:FargateService').inputs.desiredCount).toBe(1)
    expect(stack.one('aws:appautoscaling/target:Target').inputs).toMatchObject({
      minCapacity: 1,
      maxCapacity: 2,
    })
    expect(stack.one('aws:cognito/userPool:UserPool').inputs.deletionProtection).toBe('INACTIVE')
  })

  it('lets a laptop sign in against the lab pool (dev trusts http://localhost:3000 by default)', () => {
    const client = stack.one('aws:cognito/userPoolClient:UserPoolClient').inputs
    expect(client.callbackUrls).toContain('http://localhost:3000/callback')
    expect(client.logoutUrls).toContain('http://localhost:3000/')
  })

  it('lets the dev environment deploy and pull requests preview', () => {
    const trust = (role: string) =>
      (
        JSON.parse(
          String(stack.one('aws:iam/role:Role', `pipeline-${role}`).inputs.assumeRolePolicy),
        ) as {
          Statement: { Condition: { StringEquals: Record<string, string[]> } }[]
        }
      ).Statement[0]?.Condition.StringEquals['token.actions.githubusercontent.com:sub']
    expect(trust('deploy')).toEqual(['repo:votelab-lab/votelab:environment:dev'])
    expect(trust('preview')).toEqual(['repo:votelab-lab/votelab:pull_request'])
  })
})
