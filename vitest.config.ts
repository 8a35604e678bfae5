import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // tsconfig.json's paths: app/ reaches the layers below by name (#core/…, #domain/…), not by ../../.
    alias: Object.fromEntries(
      [['~', 'app'], ...['core', 'domain', 'db', 'jobs', 'connectors'].map((folder) => [`#${folder}`, folder])].map(([alias, folder]) => [alias, new URL(`./${folder}`, import.meta.url).pathname]),
    ),
  },
  test: {
    globals: true,
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'build/**', 'data/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites each create their own database; two cores → two forks. `npm test`'s main run uses
    // three: its forks wait on servers, leases and sockets much of the time (CI used ~1.1 of the 2 cores).
    pool: 'forks',
    maxWorkers: 2,
    // One module graph per fork, not per file (decision 119): no test mocks modules, stubs globals or
    // changes process.env, so a file's imports can be reused by the next one in the same fork. Measured
    // on the main run: import 334 s -> 36 s summed, wall 1,056 -> 836 s, user CPU 11.5 -> 7.2 min.
    isolate: false,
  },
})
