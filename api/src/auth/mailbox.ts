import { z } from 'zod'

const address = z.email()

/**
 * The mailbox an email address delivers to, as voter rolls compare them: NFC, lower case, and
 * without a `+tag` (`Ada+polls@Example.org` → `ada@example.org`). Mail servers ignore the tag, so
 * the two are one person: on a roll they share one vote. Undefined for anything but an address.
 */
export function mailboxOf(email: string): string | undefined {
  const normalised = email.normalize('NFC').trim().toLowerCase()
  if (normalised.length > 254 || !address.safeParse(normalised).success) return undefined
  const at = normalised.lastIndexOf('@')
  const local = normalised.slice(0, at)
  const plus = local.indexOf('+')
  // A local part that is only a tag (`+x@d`) stays as written: there is no mailbox without it;
  // so does one whose untagged part is no address of its own (`'+x@d`): folding must give one.
  if (plus <= 0) return normalised
  const folded = `${local.slice(0, plus)}${normalised.slice(at)}`
  return address.safeParse(folded).success ? folded : normalised
}
