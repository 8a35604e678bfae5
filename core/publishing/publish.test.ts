import { DEFAULT_PIPELINE_OPTIONS, pipelineOptions } from './publish.server'
import { DEFAULT_RECONCILE_EVERY_MS } from './reconcile.server'

describe('default pipeline options', () => {
  it('recover a killed worker’s claim within a minute: lease + one reconciler pass + one poll', () => {
    const pollMs = 1_000 // jobs/store.ts: processEvery
    expect(DEFAULT_PIPELINE_OPTIONS.leaseMs + DEFAULT_RECONCILE_EVERY_MS + pollMs).toBeLessThanOrEqual(60_000)
  })

  it('still never let a claim be taken over while its network call can run', () => {
    expect(() => pipelineOptions({})).not.toThrow()
    expect(() => pipelineOptions({ options: { leaseMs: 30_500 } })).toThrow('options.leaseMs')
  })
})
