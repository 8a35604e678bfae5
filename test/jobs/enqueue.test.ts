import { cancelUniqueJob, scheduleUniqueJob } from '../../jobs/enqueue'
import { openJobStore, type JobStore } from '../../jobs/store'

describe('scheduleUniqueJob / cancelUniqueJob input', () => {
  let store: JobStore
  beforeAll(async () => {
    store = await openJobStore({ embeddedDataDir: null })
  })
  afterAll(async () => {
    await store?.close()
  })

  it('rejects bad input with an error naming the field', async () => {
    const runAt = new Date('2030-01-01T00:00:00Z')
    await expect(scheduleUniqueJob(store.agenda, { name: '', key: 'k', runAt })).rejects.toThrow(/^name: /)
    await expect(scheduleUniqueJob(store.agenda, { name: 'n', key: ' ', runAt })).rejects.toThrow(/^key: /)
    await expect(scheduleUniqueJob(store.agenda, { name: 'n', key: 'k', runAt: new Date('nope') })).rejects.toThrow(/^runAt: /)
    await expect(scheduleUniqueJob(store.agenda, { name: 'n', key: 'k', runAt, data: { key: 'other' } })).rejects.toThrow(/^data\.key: /)
    await expect(cancelUniqueJob(store.agenda, { name: 'n', key: '' })).rejects.toThrow(/^key: /)
    expect((await store.agenda.queryJobs({ name: 'n' })).total).toBe(0)
  })

  it('keeps keys of different job names apart', async () => {
    const runAt = new Date('2030-01-01T00:00:00Z')
    await scheduleUniqueJob(store.agenda, { name: 'publish', key: 'd1', runAt })
    await scheduleUniqueJob(store.agenda, { name: 'reconcile', key: 'd1', runAt })
    expect((await store.agenda.queryJobs({ names: ['publish', 'reconcile'] })).total).toBe(2)
    expect(await cancelUniqueJob(store.agenda, { name: 'publish', key: 'd1' })).toBe(1)
    expect((await store.agenda.queryJobs({ names: ['publish', 'reconcile'] })).jobs.map((job) => job.name)).toEqual(['reconcile'])
  })
})
