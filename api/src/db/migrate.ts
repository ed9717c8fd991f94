import { Migrator, NO_MIGRATIONS, type MigrationResultSet } from 'kysely/migration'
import type { Kysely } from 'kysely'
import { migrations } from './migrations/index.ts'

function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  })
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((step) => step.status === 'Error')
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, {
      cause: result.error,
    })
  }
  return (result.results ?? []).map((step) => `${step.direction} ${step.migrationName}`)
}

/**
 * Brings the schema up to date. Kysely's Migrator holds a Postgres advisory lock while it runs,
 * so replicas starting together migrate once and the others wait, then find nothing to do.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return unwrap(await migratorFor(db).migrateToLatest())
}

/** Rolls back every migration: for tests and for starting a local database over. */
export async function migrateDownAll(db: Kysely<any>): Promise<string[]> {
  return unwrap(await migratorFor(db).migrateTo(NO_MIGRATIONS))
}
