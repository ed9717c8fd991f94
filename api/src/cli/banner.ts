import { DEV_ACCOUNTS } from '../auth/provider/accounts.ts'
import type { Config } from '../config.ts'

/** Settings that change what the CLIs do: a command printed for another terminal must carry them. */
const CARRIED = ['PORT', 'PUBLIC_URL', 'DATA_DIR', 'DATABASE_URL'] as const

/** `PORT=3300 ` for a command to run in another terminal: the settings this process was given. */
export function carriedSettings(env: Record<string, string | undefined>): string {
  return CARRIED.filter((name) => env[name])
    .map((name) => `${name}=${shellQuote(env[name] ?? '')} `)
    .join('')
}

const shellQuote = (value: string) =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`

/**
 * What `pnpm dev` prints: where everything is, and commands that work as printed in another
 * terminal of this folder (they carry PORT and the like, so the token is for this very issuer).
 */
export function devBanner(
  config: Config,
  env: Record<string, string | undefined>,
  { pathHint = '' }: { pathHint?: string } = {},
): string {
  const where =
    config.database.kind === 'pglite'
      ? `embedded PGlite in ${config.database.dataDir}`
      : 'Postgres (DATABASE_URL)'
  const local = config.auth.mode === 'local' ? config.auth : undefined
  const mailbox =
    local?.mail.kind === 'mailbox' && local.mail.served
      ? `    mailbox    ${local.issuer}/dev/mailbox  (sign-up codes and invitations: no mail server here)\n`
      : ''
  const accounts = local
    ? `  Development accounts (local sign-in at ${local.issuer}; never use these anywhere else):\n${DEV_ACCOUNTS.map((a) => `    ${a.email.padEnd(22)} ${a.password.padEnd(14)} ${a.groups.join(', ') || 'voter'}`).join('\n')}\n\n`
    : ''
  const settings = carriedSettings(env)
  return `
  votelab is starting on ${config.publicUrl}  (page with hot reload: ${config.webDevUrl})
    database   ${where}
    issuer     ${config.auth.issuer} (${config.auth.mode})
    API docs   ${config.publicUrl}/api/docs
${mailbox}
${accounts}  Get a token and vote, from another terminal in this folder:
${pathHint}    TOKEN=$(${settings}pnpm run token --sub alice)
    curl -s ${config.publicUrl}/api/polls -H "Authorization: Bearer $TOKEN"
  An admin token: ${settings}pnpm run token --sub admin --admin
`
}
