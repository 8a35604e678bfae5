import { requireInternals } from '../../jobs/agenda-patches'
import { openJobStore } from '../../jobs/store'

/**
 * jobs/store.ts patches four internals of Agenda 6.2.6 (decision 026). An upgrade that renames or drops
 * one must fail here, loudly, not leave a store without its patch.
 */
describe('Agenda internals the job store relies on', () => {
  it('are all there once an embedded store has started (the store checks them itself)', async () => {
    const store = await openJobStore({ embeddedDataDir: null, name: 'internals' })
    try {
      await store.start()
      const processor = (store.agenda as unknown as { jobProcessor: Record<string, unknown> }).jobProcessor
      // The patches are installed: process and runOrRetry are our wrappers, not the prototype's.
      const prototype = Object.getPrototypeOf(processor) as Record<string, unknown>
      expect(processor.process).not.toBe(prototype.process)
      expect(processor.runOrRetry).not.toBe(prototype.runOrRetry)
    } finally {
      await store.close()
    }
  })

  it('a missing or changed member names itself', () => {
    const members = { process: 'function', isJobQueueFilling: 'map', processEvery: 'number' } as const
    expect(() => requireInternals('JobProcessor', { process() {}, isJobQueueFilling: new Map(), processEvery: 1 }, members)).not.toThrow()
    expect(() => requireInternals('JobProcessor', { process() {}, isJobQueueFilling: {}, processEvery: 1 }, members)).toThrow(
      'agenda: JobProcessor no longer has isJobQueueFilling (map)',
    )
    expect(() => requireInternals('JobProcessor', { isJobQueueFilling: new Map() }, members)).toThrow('process (function), processEvery (number)')
  })
})
