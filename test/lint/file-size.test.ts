import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

/**
 * Issue 15: no non-test source file over 500 lines. A file that grows past it is split into cohesive
 * modules (as core/series/ and db/queries/deliveries*.ts were), not allowed a larger limit.
 */
const MAX_LINES = 500
const SOURCE_ROOTS = ['app', 'core', 'db', 'domain', 'jobs', 'connectors', 'scripts', 'server.ts']
const SKIP_DIRS = new Set(['node_modules', 'build', 'test'])

function sourceFiles(root: string): string[] {
  const walk = (path: string): string[] => {
    if (statSync(path).isDirectory()) {
      return readdirSync(path)
        .filter((name) => !SKIP_DIRS.has(name))
        .flatMap((name) => walk(join(path, name)))
    }
    return /\.tsx?$/.test(path) && !/\.test\.tsx?$/.test(path) ? [path] : []
  }
  return SOURCE_ROOTS.flatMap((name) => {
    const path = join(root, name)
    try {
      statSync(path)
    } catch {
      return []
    }
    return walk(path)
  })
}

function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

/** `path: lines` of every non-test source file under `root` longer than `max` lines. */
function oversized(root: string, max = MAX_LINES): string[] {
  return sourceFiles(root)
    .map((path) => ({ path: relative(root, path), lines: lineCount(readFileSync(path, 'utf8')) }))
    .filter((file) => file.lines > max)
    .map((file) => `${file.path}: ${file.lines} lines`)
}

const repo = new URL('../..', import.meta.url).pathname

describe('source file size', () => {
  it(`no non-test source file is over ${MAX_LINES} lines`, () => {
    expect(oversized(repo)).toEqual([])
  })

  it('scans the source folders (and not nothing)', () => {
    const files = sourceFiles(repo).map((path) => relative(repo, path))
    expect(files).toEqual(expect.arrayContaining(['server.ts', 'core/series/editing.server.ts', 'db/queries/deliveries.ts', 'app/root.tsx']))
    expect(files.some((path) => path.endsWith('.test.ts'))).toBe(false)
  })

  it('names a file over the limit, and skips tests and test/', () => {
    const root = mkdtempSync(join(tmpdir(), 'file-size-'))
    try {
      const lines = (n: number) => 'export const x = 1\n'.repeat(n)
      mkdirSync(join(root, 'core/series'), { recursive: true })
      mkdirSync(join(root, 'app/test'), { recursive: true })
      writeFileSync(join(root, 'core/series/long.server.ts'), lines(501))
      writeFileSync(join(root, 'core/series/ok.ts'), lines(500))
      writeFileSync(join(root, 'core/series/long.test.ts'), lines(900))
      writeFileSync(join(root, 'app/test/long.tsx'), lines(900))
      writeFileSync(join(root, 'server.ts'), lines(600))
      expect(oversized(root).sort()).toEqual(['core/series/long.server.ts: 501 lines', 'server.ts: 600 lines'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
