import { beforeAll, describe, expect, it } from 'vitest'
import { runStack, type StackRun } from './harness.ts'
import { expectedResources, securityInvariants } from './invariants.ts'

// Production, from Pulumi.prod.yaml: the same invariants, and the differences that matter.
let stack: StackRun
beforeAll(async () => {
  stack = await runStack('prod')
})

describe('prod stack', () => {
  expectedResources(() => stack)
  securityInvariants(() => stack)

  it('survives losing a zone: a NAT gateway per zone, Multi-AZ Postgres, at least two tasks', () => {
    expect(stack.one('awsx:ec2:Vpc').inputs).toMatchObject({
      natGateways: { strategy: 'OnePerAz' },
    })
    expect(stack.one('aws:rds/instance:Instance').inputs.multiAz).toBe(true)
    expect(stack.one('awsx:ecs:FargateService').inputs.desiredCount).toBeGreaterThanOrEqual(2)
    const scaling = stack.one('aws:appautoscaling/target:Target').inputs
    expect(scaling.minCapacity).toBeGreaterThanOrEqual(2)
  })

  it('sends sign-ins back to the site only, never to localhost (issue 14, finding 9)', () => {
    const client = stack.one('aws:cognito/userPoolClient:UserPoolClient').inputs
    const urls = [...(client.callbackUrls as string[]), ...(client.logoutUrls as string[])]
    expect(urls.length).toBeGreaterThan(0)
    for (const url of urls) expect(url).toMatch(/^https:\/\/d111111abcdef8\.cloudfront\.net\//)
  })

  it('protects its data: deletion protection, a final snapshot, seven days of backups', () => {
    expect(stack.one('aws:rds/instance:Instance').inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: 'votelab-prod-final',
      backupRetentionPeriod: 7,
    })
    expect(stack.one('aws:cognito/userPool:UserPool').inputs.deletionProtection).toBe('ACTIVE')
  })

  it('deploys only from the prod GitHub environment (required reviewers live there)', () => {
    const policy = JSON.parse(
      String(stack.one('aws:iam/role:Role', 'pipeline-deploy').inputs.assumeRolePolicy),
    ) as {
      Statement: { Condition: { StringEquals: Record<string, string[]> } }[]
    }
    expect(
      policy.Statement[0]?.Condition.StringEquals['token.actions.githubusercontent.com:sub'],
    ).toEqual(['repo:votelab-lab/votelab:environment:prod'])
  })
})
