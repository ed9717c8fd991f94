import { createHash } from 'node:crypto'

// Server-rendered pages of the local sign-in provider. Plain HTML and one small stylesheet, so
// they work without JavaScript and read well with a screen reader.

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => escapes[char] ?? char)

/** The look shared with the web client: system fonts, one accent colour, generous spacing. */
export const STYLE = `
:root { color-scheme: light dark; --accent: #3b5bdb; --error: #c92a2a; --muted: #868e96; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 26rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.brand { color: var(--accent); font-weight: 700; letter-spacing: .02em; }
form { display: grid; gap: .75rem; }
label { font-weight: 600; }
input { width: 100%; font: inherit; padding: .6rem .7rem; border: 1px solid var(--muted); border-radius: .4rem; }
input[aria-invalid="true"] { border-color: var(--error); }
button { font: inherit; font-weight: 600; padding: .65rem; border: 0; border-radius: .4rem; background: var(--accent); color: #fff; cursor: pointer; }
a.button { display: block; text-align: center; font-weight: 600; padding: .65rem; border-radius: .4rem; text-decoration: none; }
button.secondary, a.button.secondary { background: transparent; color: inherit; border: 1px solid var(--muted); }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--error); margin: 0; }
.alert { border: 1px solid var(--error); color: var(--error); border-radius: .4rem; padding: .6rem .8rem; }
.hint { color: var(--muted); font-size: .9rem; margin: 0; }
p.switch { margin-top: 1.5rem; }
.actions { display: grid; gap: .75rem; }
`

/** The votelab mark (the web client ships the same file as web/public/favicon.svg). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3b5bdb"/><path d="M9 16.5l5 5 9-11" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>\n'

/**
 * Headers for every response under /auth: never framed (clickjacking a sign-in form), never
 * sniffed, never cached, and the pages' one inline stylesheet allowed by its hash. Forms may
 * post to the provider and redirect to the client's own callback origins.
 */
export function securityHeaders(formTargets: readonly string[]): Record<string, string> {
  const styleHash = createHash('sha256').update(STYLE).digest('base64')
  const origins = [...new Set(formTargets.map((url) => new URL(url).origin))]
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src 'sha256-${styleHash}'`,
      // Empty: no script. oidc-provider adds the hash of its one inline script (the form that
      // auto-submits a sign-out without a session) to this directive itself.
      'script-src',
      "img-src 'self'",
      `form-action 'self' ${origins.join(' ')}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  }
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · votelab</title>
<link rel="icon" href="/auth/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">votelab</p>
${body}
</main>
</body>
</html>`
}

interface Field {
  name: string
  label: string
  type: string
  autocomplete: string
  value?: string
  error?: string
  hint?: string
}

function field({ name, label, type, autocomplete, value, error, hint }: Field): string {
  const described = [hint ? `${name}-hint` : '', error ? `${name}-error` : '']
    .filter(Boolean)
    .join(' ')
  return `<div>
<label for="${name}">${escapeHtml(label)}</label>
<input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" required
  ${value ? `value="${escapeHtml(value)}"` : ''} ${error ? 'aria-invalid="true"' : ''} ${described ? `aria-describedby="${described}"` : ''}>
${hint ? `<p class="hint" id="${name}-hint">${escapeHtml(hint)}</p>` : ''}
${error ? `<p class="error" id="${name}-error">${escapeHtml(error)}</p>` : ''}
</div>`
}

const alert = (message: string | undefined) =>
  message ? `<p class="alert" role="alert">${escapeHtml(message)}</p>` : ''

export interface SignInView {
  action: string
  signUpHref: string
  csrf: string
  email?: string
  error?: string
}

export function signInPage(view: SignInView): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
${field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: view.email })}
${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>
<p class="switch">New here? <a href="${escapeHtml(view.signUpHref)}">Create an account</a></p>`,
  )
}

export interface SignUpView {
  action: string
  signInHref: string
  csrf: string
  email?: string
  /** The sign-up policy's rule for addresses, when there is one. */
  emailHint?: string | undefined
  errors?: { email?: string | undefined; password?: string; form?: string }
}

export function signUpPage(view: SignUpView): string {
  return page(
    'Create an account',
    `<h1>Create an account</h1>
${alert(view.errors?.form)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
${field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', value: view.email, error: view.errors?.email, hint: view.emailHint })}
${field({
  name: 'password',
  label: 'Password',
  type: 'password',
  autocomplete: 'new-password',
  error: view.errors?.password,
  hint: 'At least 8 characters, with an upper-case letter, a lower-case letter and a digit.',
})}
<button type="submit">Create account</button>
</form>
<p class="switch">Have an account? <a href="${escapeHtml(view.signInHref)}">Sign in</a></p>`,
  )
}

/** oidc-provider hands us its hidden logout form; we add "yes", and "no" as a way back. */
export function signOutPage(form: string, stayHref: string): string {
  return page(
    'Sign out',
    `<h1>Sign out of votelab?</h1>
${form}
<div class="actions">
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<a class="button secondary" href="${escapeHtml(stayHref)}">No, stay signed in</a>
</div>`,
  )
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>You are signed out</h1><p>You can close this page.</p>')
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>${alert(message)}`)
}

export interface ConfirmView {
  action: string
  resendAction: string
  csrf: string
  email: string
  /** What happened before this page: a code went out, or the last one was wrong. */
  message?: string
  error?: string
  /** The development mailbox, when mail stays on this machine. */
  mailboxUrl?: string | undefined
}

/** "Check your email": the same page whether or not the address already had an account. */
export function confirmPage(view: ConfirmView): string {
  const mailbox = view.mailboxUrl
    ? `<p class="hint">No mail server is set up here: the mail is in the <a href="${escapeHtml(view.mailboxUrl)}" target="_blank">development mailbox</a>.</p>`
    : ''
  return page(
    'Check your email',
    `<h1>Check your email</h1>
<p>${escapeHtml(view.message ?? `If ${view.email} can have an account, a 6-digit code is on its way to it.`)}</p>
${mailbox}
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="email" value="${escapeHtml(view.email)}">
${field({ name: 'code', label: 'Code', type: 'text', autocomplete: 'one-time-code', hint: 'It expires 15 minutes after it was sent.' })}
<button type="submit">Confirm</button>
</form>
<form method="post" action="${escapeHtml(view.resendAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="email" value="${escapeHtml(view.email)}">
<button type="submit" class="secondary">Send a new code</button>
</form>`,
  )
}

export interface SetPasswordView {
  action: string
  csrf: string
  email: string
  code: string
  error?: string | undefined
}

/** An invitation's landing page: the invitee chooses a password. */
export function setPasswordPage(view: SetPasswordView): string {
  return page(
    'Accept your invitation',
    `<h1>Welcome to votelab</h1>
<p>Choose a password for ${escapeHtml(view.email)}.</p>
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="email" value="${escapeHtml(view.email)}">
<input type="hidden" name="code" value="${escapeHtml(view.code)}">
${field({
  name: 'password',
  label: 'Password',
  type: 'password',
  autocomplete: 'new-password',
  error: view.error,
  hint: 'At least 8 characters, with an upper-case letter, a lower-case letter and a digit.',
})}
<button type="submit">Set password</button>
</form>`,
  )
}

export function messagePage(
  title: string,
  message: string,
  link?: { href: string; text: string },
): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''}`,
  )
}

/** The development mailbox: what would have been mailed, newest first. Never in production. */
export function mailboxPage(
  mails: { recipient: string; subject: string; body: string; sentAt: Date }[],
): string {
  const items = mails
    .map(
      (mail) => `<article>
<h2>${escapeHtml(mail.subject)}</h2>
<p class="hint">To ${escapeHtml(mail.recipient)} · ${escapeHtml(mail.sentAt.toISOString())}</p>
<pre>${escapeHtml(mail.body)}</pre>
</article>`,
    )
    .join('\n')
  return page(
    'Development mailbox',
    `<h1>Development mailbox</h1>
<p class="hint">Mail this votelab would have sent (no SMTP_URL is set). Newest first; <code>?to=address</code> shows one recipient's.</p>
${items || '<p>No mail yet.</p>'}`,
  )
}
