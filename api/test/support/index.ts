// `@votelab/api/testing`: what the other workspace packages' tests may use of the API — the app
// started on a database of its own, the API as a process, and the data it is seeded with.
export { createTestContext, testConfig, TEST_ISSUER, type TestContext } from './context.ts'
export { startApiProcess, type ApiProcess } from './processes.ts'
export { createAccount, DEV_ACCOUNTS, ensureDevAccounts } from '../../src/auth/provider/accounts.ts'
export { DEMO_POLL_IDS, seedDemoPolls } from '../../src/cli/demo-polls.ts'
export { createPoll, transitionPoll } from '../../src/polls/repository.ts'
