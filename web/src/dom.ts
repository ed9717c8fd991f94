/** Tiny DOM helpers: build elements with text content only (no innerHTML with data, no XSS). */
type Child = Node | string | false | null | undefined
type Attributes = Record<string, string | boolean | number | ((event: Event) => void) | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) element.setAttribute(name, '')
    else element.setAttribute(name, String(value))
  }
  for (const child of children)
    if (child !== false && child !== null && child !== undefined) element.append(child)
  return element
}

export function replace(target: Element, ...children: Child[]): void {
  target.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)))
}

/** A status line read out by screen readers. */
export function notice(message: string, kind: 'info' | 'error' = 'info'): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message)
}
