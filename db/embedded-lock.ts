import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * PGlite does not lock its data directory, and two processes writing it corrupt it. Whoever opens the
 * embedded database holds this pid file; `isEmbeddedDatabaseBusy` lets the CLI refuse politely.
 */
export function embeddedLockFile(dataDir: string): string {
  return path.resolve(dataDir, 'app.pid')
}

export function isEmbeddedDatabaseBusy(dataDir: string): { pid: number } | null {
  const file = embeddedLockFile(dataDir)
  if (!existsSync(file)) return null
  const pid = Number(readFileSync(file, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null
  try {
    process.kill(pid, 0)
    return { pid }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? { pid } : null
  }
}

export function holdEmbeddedDatabase(dataDir: string): { release(): void } {
  const file = embeddedLockFile(dataDir)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, String(process.pid))
  return { release: () => rmSync(file, { force: true }) }
}
