const rules = new Intl.PluralRules('en')

/** `1 ballot`, `2 ballots`, `0 ballots`: the count and the word in the form it takes. */
export function counted(count: number, one: string, other: string): string {
  return `${count.toLocaleString('en')} ${rules.select(count) === 'one' ? one : other}`
}
