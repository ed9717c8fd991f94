import { beforeAll, describe, expect, it } from 'vitest'
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
