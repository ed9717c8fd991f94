// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/**
 * A `no-restricted-imports` pattern with the reason in the message.
 * @param {string} group
 * @param {string} message
 */
function forbid(group, message) {
  return { group: [group], message }
}

/** A relative import that climbs out of its package into another one. */
const CROSS_PACKAGE = {
  regex: String.raw`^(\.\./)+(api|web|scripts|infra|packages)/`,
  message: 'import another workspace package by its name (@votelab/…) and its exports',
}

/**
 * For each folder, the sibling folders of api/src it must not import.
 * @param {Record<string, string[]>} rules
 * @returns {import('typescript-eslint').ConfigArray}
 */
function featureBoundaries(rules) {
  return Object.entries(rules).map(([files, forbidden]) => ({
    files: [files],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            CROSS_PACKAGE,
            ...forbidden.map((/** @type {string} */ folder) =>
              forbid(
                `**/${folder}/**`,
                `${files.split('/')[2] ?? files} must not depend on ${folder}/`,
              ),
            ),
          ],
        },
      ],
    },
  }))
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', '.tools/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // State flipped by callbacks during an await (closed, stopped, dirty) reads as "always false" to it.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    // Migrations are frozen in time and typed against Kysely<any>, as Kysely's docs advise.
    files: ['api/src/db/migrations/**', 'api/src/db/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workspace packages meet through their names and `exports` only (which Node, Vite and tsc
    // all enforce), never by a relative path into another package's folder.
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [CROSS_PACKAGE] }],
    },
  },
  {
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [CROSS_PACKAGE, forbid('node:*', 'the page runs in browsers: no Node modules')],
        },
      ],
    },
  },
  // api/src: features (polls, votes, results, ballots) depend on the shared layers (http, db,
  // auth, config), never the other way; between features only polls → ballots (closing seals)
  // and results → ballots, polls (the tally carries the chain and the poll's status).
  ...featureBoundaries({
    'api/src/http/**': ['polls', 'votes', 'results', 'ballots'],
    'api/src/db/**': ['polls', 'votes', 'results', 'ballots', 'auth', 'http'],
    'api/src/auth/**': ['polls', 'votes', 'results', 'ballots'],
    'api/src/polls/**': ['votes', 'results'],
    'api/src/votes/**': ['polls', 'results', 'ballots'],
    'api/src/results/**': ['votes'],
    'api/src/ballots/**': ['polls', 'votes', 'results'],
  }),
  {
    // The ballot chain runs in the browser too (the "Check my ballot" page): no Node modules.
    // Its tsconfig has no Node types either, so the compiler refuses Node globals as well.
    files: ['packages/ballot-chain/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            CROSS_PACKAGE,
            forbid('node:*', 'the chain runs in browsers: use Web Crypto and web APIs'),
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
)
