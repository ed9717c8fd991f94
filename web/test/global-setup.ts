import { fileURLToPath } from 'node:url'
import { build } from 'vite'

/** The browser tests run against the built client, exactly as the API serves it. */
export default async function buildWebClient(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  await build({ root, logLevel: 'warn' })
}
