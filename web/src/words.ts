const rules = new Intl.PluralRules('en')

/** `1 ballot`, `2 ballots`, `0 ballots`: the count and the word in the form it takes. */
export function counted(count: number, one: string, other: string): string {
  return `${count.toLocaleString('en')} ${rules.select(count) === 'one' ? one : other}`
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A moment in the reader's own locale and time zone: "Dec 1, 2026, 1:45 AM". */
export function when(iso: string): string {
  return dateTime.format(new Date(iso))
}
