import { beforeAll, describe, expect, it } from 'vitest'
import { DEPLOY_ACTIONS } from './deploy-actions.ts'
import { preSignUpModule } from '../src/sign-in.ts'
import { runStack, type StackRun } from './harness.ts'

// Issue 17: who may make an account is the stack's choice. `invite` leaves sign-up to admins
// (`aws cognito-idp admin-create-user`, Cognito emails the invitation); `open`, the lab's default
// (dev.test.ts), lets anyone sign up and verifies their email with a code.
let stack: StackRun
beforeAll(async () => {
  stack = await runStack('dev', { 'votelab:signUp': 'invite' })
})

describe('votelab:signUp invite', () => {
  it('lets only admins create accounts, inviting them by email', () => {
    const pool = stack.ofType('aws:cognito/userPool:UserPool')[0]?.inputs as {
      adminCreateUserConfig: {
        allowAdminCreateUserOnly: boolean
        inviteMessageTemplate: { emailMessage: string }
      }
    }
    expect(pool.adminCreateUserConfig.allowAdminCreateUserOnly).toBe(true)
    // Cognito refuses a template without both placeholders.
    expect(pool.adminCreateUserConfig.inviteMessageTemplate.emailMessage).toMatch(
      /\{username\}.*\{####\}/,
    )
  })
})

describe('votelab:signUp domains', () => {
  let domains: StackRun
  beforeAll(async () => {
    domains = await runStack('dev', {
      'votelab:signUp': 'domains',
      'votelab:signUpDomains': '["example.org","lab.example.com"]',
    })
  }, 120_000)

  const fn = () => domains.one('aws:lambda/function:Function', 'pre-sign-up')

  it('checks every self-service sign-up with a pre-sign-up function, which only Cognito calls', () => {
    const pool = domains.ofType('aws:cognito/userPool:UserPool')[0]
    expect(pool?.inputs.lambdaConfig).toEqual({ preSignUp: fn().state.arn })
    expect(pool?.inputs.adminCreateUserConfig).toMatchObject({ allowAdminCreateUserOnly: false })
    const permission = domains.one('aws:lambda/permission:Permission', 'pre-sign-up-from-cognito')
    expect(permission.inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: pool?.state.arn,
    })
    expect(fn().inputs).toMatchObject({
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      code: { assets: {} }, // an archive (its contents are not kept under mocks: checked below)
      environment: { variables: { ALLOWED_DOMAINS: 'example.org,lab.example.com' } },
    })
  })

  it('ships its own TypeScript, types stripped, which runs as the module Lambda loads', async () => {
    const code = preSignUpModule()
    expect(code).not.toMatch(/\binterface\b|: string/)
    const module = (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as {
      handler: (event: unknown) => Promise<unknown>
    }
    process.env.ALLOWED_DOMAINS = 'example.org'
    try {
      const event = {
        triggerSource: 'PreSignUp_SignUp',
        request: { userAttributes: { email: 'ada@example.org' } },
        response: {},
      }
      await expect(module.handler(event)).resolves.toBe(event)
      await expect(
        module.handler({ ...event, request: { userAttributes: { email: 'eve@evil.example' } } }),
      ).rejects.toThrow('Accounts are for addresses at example.org only.')
    } finally {
      delete process.env.ALLOWED_DOMAINS
    }
  })

  it('gives the function a bounded role that writes its own log group only, kept as long as the stack’s logs', () => {
    const role = domains.one('aws:iam/role:Role', 'pre-sign-up')
    const boundary = domains.one('aws:iam/policy:Policy', 'workload-boundary')
    expect(role.inputs).toMatchObject({
      path: '/votelab/dev/',
      permissionsBoundary: boundary.state.arn,
    })
    const logs = domains.one('aws:cloudwatch/logGroup:LogGroup', 'pre-sign-up-logs')
    expect(logs.inputs).toMatchObject({ name: 'votelab-dev-pre-sign-up', retentionInDays: 7 }) // dev's logRetentionDays
    expect(fn().inputs.loggingConfig).toMatchObject({ logGroup: logs.state.name })
    const policy = JSON.parse(
      String(domains.one('aws:iam/policy:Policy', 'pre-sign-up-logs-policy').inputs.policy),
    ) as { Statement: { Action: string[]; Resource: string }[] }
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${String(logs.state.arn)}:*`,
      },
    ])
  })

  it('brings only resource types whose deploy rights are reviewed (deploy-actions.ts)', () => {
    const registered = new Set(
      domains.resources.filter((resource) => resource.custom).map((resource) => resource.type),
    )
    expect([...registered].filter((type) => !(type in DEPLOY_ACTIONS))).toEqual([])
  })
})
