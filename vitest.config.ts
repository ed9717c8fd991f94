import { defineConfig } from 'vitest/config'

// Every suite runs on embedded PGlite; with DATABASE_URL set, the database suites run again on
// that Postgres server (CI does both). Each test file gets a database of its own.
const databases = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']

export default defineConfig({
  test: {
    projects: [
      ...databases.map((db) => ({
        test: {
          name: db,
          include: ['api/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'api/test/stack/**', 'api/test/containers/**'],
          env: { TEST_DB: db },
          // PGlite takes seconds to boot per file; real-process tests take longer.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      })),
      {
        // Pure modules beside their code (the API's and the page's), the shared packages, the Pulumi program under
        // mocks (no cloud, no CLI), the scripts, the workflows and the docs.
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'api/src/**/*.test.ts',
            'web/src/**/*.test.ts',
            'infra/**/*.test.ts',
            'scripts/**/*.test.ts',
            '.github/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', 'scripts/containers/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Postgres, API replicas and nginx as real processes, with faults injected (needs
        // Debian's postgresql and nginx; CI installs both).
        test: {
          name: 'stack',
          include: ['api/test/stack/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // The image and compose under Debian's Docker engine: `pnpm test:containers` (needs the
      // engine and the base images: scripts/containers/), not part of `pnpm test`.
      ...(process.env.TEST_CONTAINERS
        ? [
            {
              test: {
                name: 'containers',
                include: ['api/test/containers/**/*.test.ts', 'scripts/containers/**/*.test.ts'],
                env: { TEST_DB: process.env.DATABASE_URL ? 'postgres' : 'pglite' },
                // One engine: the files build and run images one after the other.
                fileParallelism: false,
                testTimeout: 120_000,
                hookTimeout: 600_000,
              },
            },
          ]
        : []),
      {
        // The web client in Debian's Chromium, against the API serving the freshly built page.
        test: {
          name: 'browser',
          include: ['web/test/**/*.test.ts'],
          globalSetup: ['web/test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // A page renders in milliseconds alone and in seconds on a machine running the other
          // suites beside it: expect.poll's 1 s default made such waits flaky.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
})
