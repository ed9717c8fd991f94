import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mailboxOf } from './mailbox.ts'

describe('mailboxOf', () => {
  it('folds case, surrounding space and +tags into one mailbox', () => {
    for (const email of [
      'ada@example.org',
      ' Ada@Example.ORG ',
      'ada+polls@example.org',
      'ADA+x+y@example.org',
    ]) {
      expect(mailboxOf(email), email).toBe('ada@example.org')
    }
  })

  it('keeps different mailboxes apart', () => {
    expect(mailboxOf('ada@example.org')).not.toBe(mailboxOf('ada@example.com'))
    expect(mailboxOf('ada.l@example.org')).toBe('ada.l@example.org')
    expect(mailboxOf('+x@example.org')).toBe('+x@example.org')
    // Found by the property below: the part before the tag is no address by itself.
    expect(mailboxOf("'+x@a.aa")).toBe("'+x@a.aa")
  })

  it('refuses what is not an address', () => {
    for (const email of [
      '',
      'ada',
      '@example.org',
      'ada@',
      'a b@example.org',
      `${'a'.repeat(250)}@example.org`,
      'ada@exa mple.org',
    ]) {
      expect(mailboxOf(email), JSON.stringify(email)).toBeUndefined()
    }
  })

  it('is idempotent: a mailbox is its own mailbox', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const once = mailboxOf(email)
        if (once !== undefined) expect(mailboxOf(once)).toBe(once)
      }),
    )
  })
})
