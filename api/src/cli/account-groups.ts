// pnpm account:groups --email ada@example.com [--add staff]… [--remove staff]…
// Shows, adds and removes the groups of a local sign-in account (the laptop's stand-in for
// `aws cognito-idp admin-add-user-to-group`). Tokens carry the groups from the next sign-in on.
import { parseArgs } from 'node:util'
import { GROUP_NAME, GROUP_NAME_RULE } from '../auth/groups.ts'
import { changeAccountGroups, emailSchema } from '../auth/provider/accounts.ts'
import { openDatabase } from '../db/client.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { createLogger } from '../logger.ts'
import { configOrExit } from './shared.ts'

const usage = 'usage: pnpm account:groups --email <address> [--add <group>]… [--remove <group>]…'

function fail(message: string): never {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: {
      email: { type: 'string' },
      add: { type: 'string', multiple: true, default: [] },
      remove: { type: 'string', multiple: true, default: [] },
    },
  }).values
} catch (error) {
  fail((error as Error).message)
}
const email = emailSchema.safeParse(args.email ?? '')
if (!email.success) fail(`--email: ${email.error.issues[0]?.message ?? 'not an email address'}`)
for (const group of [...args.add, ...args.remove]) {
  if (!GROUP_NAME.test(group)) fail(`"${group}" is not a group name: ${GROUP_NAME_RULE}`)
}

const config = configOrExit()
if (config.auth.mode !== 'local') {
  fail(
    `The API trusts ${config.auth.issuer} (AUTH_ISSUER): manage its groups there (Cognito: aws cognito-idp admin-add-user-to-group).`,
  )
}
const database = await openDatabase(config.database, createLogger('warn'))
try {
  await migrateToLatest(database.db)
  const account = await changeAccountGroups(database.db, email.data, {
    add: args.add,
    remove: args.remove,
  })
  if (!account) {
    console.error(`No local account has the email ${email.data}.`)
    process.exitCode = 1
  } else {
    console.log(`${account.email}: ${account.groups.join(', ') || '(no groups)'}`)
  }
} finally {
  await database.close()
}
