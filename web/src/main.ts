import './style.css'
import { ApiError, createApi, type Me } from './api.ts'
import type { AppContext } from './app-context.ts'
import { Auth } from './auth.ts'
import { loadConfig } from './config.ts'
import { h, notice, replace } from './dom.ts'
import { homePage } from './pages/home.ts'
import { notFoundPage } from './pages/not-found.ts'
import { pollPage } from './pages/poll.ts'

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement

async function start() {
  const config = await loadConfig()
  const auth = new Auth(config)
  let cleanups: (() => void)[] = []

  const ctx: AppContext = {
    auth,
    me: undefined,
    isAdmin: false,
    invitations: config.invitations === true,
    // A 401 means our tokens are no good: sign in again and come back here.
    api: createApi(config.apiBaseUrl, auth, () => {
      auth.forget()
      void auth.signIn()
    }),
    navigate(path) {
      history.pushState(null, '', path)
      void render()
    },
    onLeave(cleanup) {
      cleanups.push(cleanup)
    },
  }

  if (location.pathname === '/callback') {
    try {
      const returnTo = await auth.completeSignIn(new URL(location.href))
      history.replaceState(null, '', returnTo)
    } catch (error) {
      history.replaceState(null, '', '/')
      main.replaceChildren(
        notice(
          `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`,
          'error',
        ),
      )
    }
  }

  // Back from the provider's sign-out page, whichever answer was given: to the page we left.
  const afterSignOut = auth.completeSignOut(new URL(location.href))
  if (afterSignOut) history.replaceState(null, '', afterSignOut)

  async function loadMe() {
    if (!auth.signedIn) return undefined
    try {
      return await ctx.api.read(ctx.api.client.api.me.$get())
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) auth.forget()
      return undefined
    }
  }

  function renderNav(me: Me | undefined) {
    replace(
      nav,
      h('a', { href: '/', 'data-link': true }, 'Polls'),
      h('a', { href: '/check', 'data-link': true }, 'Check a ballot'),
      ctx.isAdmin ? h('a', { href: '/admin', 'data-link': true }, 'Admin') : null,
      me ? h('span', { class: 'who' }, me.username) : null,
      me
        ? h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => void auth.signOut() },
            'Sign out',
          )
        : h('button', { type: 'button', onclick: () => void auth.signIn() }, 'Sign in'),
    )
  }

  async function render() {
    for (const cleanup of cleanups) cleanup()
    cleanups = []
    ctx.me = await loadMe()
    ctx.isAdmin = ctx.me?.groups.includes('admins') ?? false
    renderNav(ctx.me)
    const path = location.pathname
    const pollMatch = /^\/polls\/([^/]+)$/.exec(path)
    const checkMatch = /^\/polls\/([^/]+)\/check$/.exec(path)
    // The check (with the chain verifier) and admin pages load when first visited: most visits
    // are a voter on a poll, who should not download them.
    if (pollMatch?.[1]) await pollPage(main, ctx, decodeURIComponent(pollMatch[1]))
    else if (checkMatch?.[1])
      await (
        await import('./pages/check.ts')
      ).checkPage(main, ctx, decodeURIComponent(checkMatch[1]))
    else if (path === '/check') await (await import('./pages/check.ts')).checkPage(main, ctx)
    else if (path === '/admin') await (await import('./pages/admin.ts')).adminPage(main, ctx)
    else if (path === '/admin/ops') await (await import('./pages/ops.ts')).opsPage(main, ctx)
    else if (path === '/' || path === '/index.html') await homePage(main, ctx)
    else notFoundPage(main, 'page')
    document.title = `${main.querySelector('h1')?.textContent ?? 'Polls'} · votelab`
    main.focus({ preventScroll: true })
  }

  // In-app links change the page without reloading it.
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest('a[data-link]')
    if (!link || (event as MouseEvent).ctrlKey || (event as MouseEvent).metaKey) return
    event.preventDefault()
    ctx.navigate(link.getAttribute('href') ?? '/')
  })
  window.addEventListener('popstate', () => void render())
  await render()
}

start().catch((error: unknown) => {
  main.replaceChildren(
    notice(
      `votelab could not start: ${error instanceof Error ? error.message : String(error)}`,
      'error',
    ),
  )
})
