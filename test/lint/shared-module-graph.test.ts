import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * Decision 119: test files share one module graph per fork (vitest `isolate: false`), so nothing a file
 * does to a module or to the process may outlive it. These calls change state every later file in the
 * same fork would see; a test that needs one spawns a process with its own environment instead (as
 * test/api/cli.test.ts and the crash tests do) or passes the value in (startTestApp's `env`).
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bvi\.(mock|doMock|unmock|hoisted)\(/, 'vi.mock and friends replace a module for every later file'],
  [/\bvi\.(stubEnv|stubGlobal)\(/, 'a stubbed env or global outlives the file'],
  [/\bvi\.useFakeTimers\(/, 'fake timers leak into the next file if a test fails before restoring them'],
  [/process\.env(\.[A-Za-z_]\w*|\[[^\]]+\])\s*=(?!=)/, 'process.env is shared by every file of the fork'],
  [/delete\s+process\.env/, 'process.env is shared by every file of the fork'],
]
const ROOTS = ['test', 'app', 'core', 'db', 'domain', 'jobs', 'connectors']
/** This file names the calls as data. */
const SELF = 'test/lint/shared-module-graph.test.ts'

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'build') return []
    if (statSync(path).isDirectory()) return testFiles(path)
    return /\.test\.tsx?$/.test(name) ? [path] : []
  })
}

/** `file:line: why` for every forbidden call in `source`. */
export function leaks(file: string, source: string): string[] {
  return source.split('\n').flatMap((line, i) => FORBIDDEN.filter(([pattern]) => pattern.test(line)).map(([, why]) => `${file}:${i + 1}: ${why}`))
}

describe('tests that share a module graph (decision 119)', () => {
  it('no test file mocks modules, stubs globals or the environment, or fakes timers', () => {
    const root = process.cwd()
    const found = ROOTS.flatMap((dir) => testFiles(join(root, dir)))
      .map((path) => relative(root, path))
      .filter((file) => file !== SELF)
      .flatMap((file) => leaks(file, readFileSync(join(root, file), 'utf8')))
    expect(found).toEqual([])
  })

  it('finds each kind it forbids', () => {
    const lines = [
      "vi.mock('../x')",
      "vi.stubEnv('TZ', 'UTC')",
      'vi.useFakeTimers()',
      "process.env.APP_URL = 'x'",
      "process.env['A'] = 'b'",
      'delete process.env.A',
    ]
    expect(lines.map((line) => leaks('f.ts', line))).toEqual(lines.map(() => [expect.stringMatching(/^f\.ts:1: /)]))
    expect(leaks('f.ts', "if (process.env.CI === 'true') {}\nconst env = { ...process.env, A: 'b' }")).toEqual([])
  })
})
