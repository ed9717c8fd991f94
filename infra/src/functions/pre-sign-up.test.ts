import { describe, expect, it } from 'vitest'
import { domainsFrom, handler, isAllowedAddress, type PreSignUpEvent } from './pre-sign-up.ts'

const event = (email: string | undefined, triggerSource = 'PreSignUp_SignUp'): PreSignUpEvent => ({
  triggerSource,
  request: { userAttributes: { email } },
  response: {},
})

describe('the pre-sign-up trigger', () => {
  const domains = ['example.org', 'lab.example.com']

  it('takes addresses at exactly the listed domains, in any case', () => {
    for (const email of ['ada@example.org', 'Ada@Example.ORG', 'x@lab.example.com'])
      expect(isAllowedAddress(email, domains), email).toBe(true)
  })

  it('refuses subdomains, look-alikes and non-addresses', () => {
    for (const email of [
      'eve@sub.example.org',
      'eve@example.org.evil.net',
      'eve@example.com',
      'eve@notexample.org',
      '@example.org',
      'example.org',
      '',
      undefined,
    ])
      expect(isAllowedAddress(email, domains), String(email)).toBe(false)
  })

  it('reads its domains from the environment, and answers as Cognito expects', async () => {
    expect(domainsFrom(' Example.org, ,lab.example.com ')).toEqual(domains)
    process.env.ALLOWED_DOMAINS = 'example.org'
    try {
      const allowed = event('ada@example.org')
      await expect(handler(allowed)).resolves.toBe(allowed)
      await expect(handler(event('eve@example.com'))).rejects.toThrow(
        'Accounts are for addresses at example.org only.',
      )
      // Admins may create anyone.
      await expect(
        handler(event('guest@example.com', 'PreSignUp_AdminCreateUser')),
      ).resolves.toBeDefined()
    } finally {
      delete process.env.ALLOWED_DOMAINS
    }
  })
})
