/**
 * The subject of benchmark voter `i`. With an account behind it (voter rolls) the subject is a
 * UUID, as the local provider's account ids are; otherwise a readable name.
 */
export const voterSub = (prefix: string | undefined, i: number): string =>
  prefix === undefined
    ? `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
    : `${prefix}-${String(i)}`

/** The verified address of benchmark voter `i`'s account. */
export const voterEmail = (i: number): string => `voter${String(i)}@bench.example`
