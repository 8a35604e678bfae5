import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'public/build/', 'data/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Inject the clock (see domain/clock.ts).' }],
    },
  },
  ...layers(),
  {
    files: ['test/**', 'bench/**', 'scripts/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
)

/**
 * Imports point down the layers (docs/architecture.md): app/ and the job handlers → core/ → the job
 * store and enqueue functions / connectors/ / db/ → domain/. One block per folder: what it must never
 * import (app/ reaches core/ only through app/core.server.ts, so the browser build never sees it). test/lint/layers.test.ts shows a wrong import failing.
 */
function layers() {
  const up = (folders, why) => ({ regex: `^((\\.\\./)+|#)(${folders})(/|$)`, message: why })
  const alias = { regex: '^~/', message: 'The ~/ alias is for app/ only.' }
  const rule = (files, patterns, { allowAlias = false } = {}) => ({
    files,
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...(allowAlias ? [] : [alias]), ...patterns] }] },
  })
  return [
    rule(
      ['app/**'],
      [
        up('db', 'app/ is routes, UI and HTTP/cookie glue: call a use case of core/ through ~/core.server (a type or constant it needs is re-exported there or lives in domain/), never db/.'),
        { regex: '^(\\.\\./)+(core|domain|jobs|connectors)/', message: 'app/ names the layers below by alias: #core/…, #domain/… (tsconfig paths), not ../../.' },
      ],
      { allowAlias: true },
    ),
    rule(['domain/**'], [
      up('app|core|jobs|db|connectors', 'domain/ is pure rules: it imports nothing but domain/ (time, zone and randomness are arguments).'),
      { regex: '^node:', message: 'domain/ is pure rules: no Node modules (crypto, fs, net…); take the function you need as an argument.' },
    ]),
    {
      files: ['domain/**'],
      ignores: ['**/*.test.ts'],
      rules: {
        'no-restricted-syntax': [
          'error',
          { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'domain/ never reads the clock: take `now` as an argument.' },
          { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'domain/ is deterministic: take randomness as an argument.' },
        ],
      },
    },
    rule(['connectors/**'], [up('app|core|jobs|db', 'A connector knows only its network: configuration comes through its factory.')]),
    rule(['db/**'], [
      up('app|core|jobs', 'db/ is schema, migrations and queries: no use cases, no scheduling.'),
      { regex: '^((\\.\\./)+|#)connectors/(?!types$)', message: 'db/ may use the connector types only, never a network.' },
    ]),
    // The job handlers and the worker entry: load the job's data, call core/, record the result on the job.
    rule(['jobs/**'], [
      up('app', 'Job handlers sit beside app/: they call core/, never the web app.'),
      up('db', 'A job handler is thin: it calls a use case of core/ (which runs the queries), never db/ itself.'),
      { regex: '^((\\.\\./)+|#)connectors/(?!types$)', message: 'A job handler may use the connector types only: a network is reached through core/.' },
    ]),
    // After jobs/**: a later block's options replace an earlier one's for the same file.
    rule(['jobs/store.ts', 'jobs/enqueue.ts', 'jobs/agenda-patches.ts'], [up('app|core', 'The job store floor sits below core/: it knows job names and the store only.')]),
    rule(['core/**'], [
      up('app', 'core/ knows nothing of HTTP, Remix or cookies.'),
      { regex: '^((\\.\\./)+|#)jobs/(?!(store|enqueue)$)', message: 'core/ uses only the job store and the enqueue/wake functions of jobs/ (jobs/store, jobs/enqueue).' },
    ]),
  ]
}
