import { h, replace } from '../dom.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Poll ids are UUIDs: anything else names no poll, and the API need not be asked. */
export const isUuid = (value: string): boolean => UUID.test(value)

/** An address that leads nowhere: say so, and offer the ways back (issue 18, item 5). */
export function notFoundPage(main: HTMLElement, what: 'page' | 'poll'): void {
  replace(
    main,
    h('h1', {}, what === 'poll' ? 'No such poll' : 'Page not found'),
    h(
      'p',
      { class: 'lead', 'data-testid': 'not-found-page' },
      what === 'poll'
        ? 'There is no poll at this address. The link may be mistyped, or the poll may have been removed.'
        : 'Nothing lives at this address. The link may be mistyped or out of date.',
    ),
    h(
      'ul',
      { class: 'ways-back' },
      h('li', {}, h('a', { href: '/', 'data-link': true }, 'See all polls')),
      h('li', {}, h('a', { href: '/check', 'data-link': true }, 'Check a ballot')),
    ),
  )
}
