import { planSeries, type PlanSeriesInput } from './plan'
import { TimingInputError } from '../timing/input'

const timing = { rule: 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20', start: '2026-03-20T09:00', timezone: 'Europe/Berlin' }
const plan = (patch: Partial<PlanSeriesInput> = {}) => planSeries({ timing, stepCount: 5, ...patch })
const rows = (list: ReturnType<typeof planSeries>) => list.map((p) => `${p.step}@${p.occurrenceIndex} ${p.local} ${p.status}`)
const utc = (iso: string) => new Date(iso)

describe('planSeries', () => {
  it('maps step k to occurrence k', () => {
    expect(rows(plan())).toEqual([
      '1@1 2026-03-24T09:00 planned', '2@2 2026-03-26T09:00 planned', '3@3 2026-03-31T09:00 planned',
      '4@4 2026-04-02T09:00 planned', '5@5 2026-04-07T09:00 planned',
    ])
    expect(plan()[2]!.at.toISOString()).toBe('2026-03-31T07:00:00.000Z')
  })

  it('skipping an occurrence moves the remaining steps to the following occurrences', () => {
    expect(rows(plan({ overrides: [{ kind: 'skip', occurrence: 2 }] }))).toEqual([
      '1@1 2026-03-24T09:00 planned', '2@3 2026-03-31T09:00 planned', '3@4 2026-04-02T09:00 planned',
      '4@5 2026-04-07T09:00 planned', '5@6 2026-04-09T09:00 planned',
    ])
  })

  it('moving an occurrence changes only its time', () => {
    const list = plan({ overrides: [{ kind: 'move', occurrence: 3, to: '2026-04-01T12:30' }] })
    expect(rows(list)[2]).toBe('3@3 2026-04-01T12:30 planned')
    expect(list[2]!.at.toISOString()).toBe('2026-04-01T10:30:00.000Z')
    expect(rows(list)[3]).toBe('4@4 2026-04-02T09:00 planned')
  })

  const pause = { from: utc('2026-03-25T00:00Z'), until: utc('2026-04-03T00:00Z') }

  it("pause with policy 'shift': nothing is lost, nothing bursts — steps continue at the rule's cadence", () => {
    expect(rows(plan({ pauses: [{ ...pause, policy: 'shift' }] }))).toEqual([
      '1@1 2026-03-24T09:00 planned', '2@5 2026-04-07T09:00 planned', '3@6 2026-04-09T09:00 planned',
      '4@7 2026-04-14T09:00 planned', '5@8 2026-04-16T09:00 planned',
    ])
  })

  it("pause with policy 'skip': the steps due inside the pause are skipped", () => {
    expect(rows(plan({ pauses: [{ ...pause, policy: 'skip' }] }))).toEqual([
      '1@1 2026-03-24T09:00 planned', '2@2 2026-03-26T09:00 skipped', '3@3 2026-03-31T09:00 skipped',
      '4@4 2026-04-02T09:00 skipped', '5@5 2026-04-07T09:00 planned',
    ])
  })

  it('a pause not yet resumed plans nothing after it started', () => {
    expect(rows(plan({ pauses: [{ from: pause.from, policy: 'shift' }] }))).toEqual(['1@1 2026-03-24T09:00 planned'])
  })

  it('a rule change keeps published steps and re-plans the rest from the new rule after the change', () => {
    const list = plan({
      revisions: [
        { from: utc('2026-03-30T00:00Z'), timing: { rule: 'FREQ=DAILY;COUNT=30', start: '2026-03-30T18:00', timezone: 'Europe/Berlin' } },
      ],
    })
    expect(list.map((p) => `${p.step} r${p.revision}@${p.occurrenceIndex} ${p.local}`)).toEqual([
      '1 r0@1 2026-03-24T09:00', '2 r0@2 2026-03-26T09:00', '3 r1@1 2026-03-30T18:00', '4 r1@2 2026-03-31T18:00', '5 r1@3 2026-04-01T18:00',
    ])
  })

  it('the new rule only counts occurrences after the change instant', () => {
    // The new rule starts before the change: its first occurrences (≤ change) are not used.
    const list = plan({
      revisions: [
        {
          from: utc('2026-03-28T12:00Z'),
          timing: { rule: 'FREQ=DAILY;COUNT=30', start: '2026-03-27T10:00', timezone: 'Europe/Berlin' },
          overrides: [{ kind: 'skip', occurrence: 4 }],
        },
      ],
    })
    expect(list.slice(2).map((p) => `${p.step}@${p.occurrenceIndex} ${p.local}`)).toEqual([
      '3@3 2026-03-29T10:00', '4@5 2026-03-31T10:00', '5@6 2026-04-01T10:00',
    ])
  })

  it('evergreen: starts again from step 1 after the minimum gap, until the end date', () => {
    const list = planSeries({
      timing: { rule: 'FREQ=WEEKLY;BYDAY=MO', start: '2026-01-05T10:00', timezone: 'Europe/Berlin', evergreen: { minGap: 'P14D', until: '2026-03-31T00:00' } },
      stepCount: 3,
    })
    expect(list.map((p) => `${p.cycle}.${p.step} ${p.local.slice(0, 10)}`)).toEqual([
      '1.1 2026-01-05', '1.2 2026-01-12', '1.3 2026-01-19',
      '2.1 2026-02-02', '2.2 2026-02-09', '2.3 2026-02-16',
      '3.1 2026-03-02', '3.2 2026-03-09', '3.3 2026-03-16',
      '4.1 2026-03-30',
    ])
    expect(list.at(-1)!.at.toISOString()).toBe('2026-03-30T08:00:00.000Z') // CEST by then
  })

  it('without evergreen the plan ends at the last step even if the rule goes on', () => {
    expect(plan({ stepCount: 2 })).toHaveLength(2)
  })

  it('stops when the rule runs out of occurrences before the steps do', () => {
    expect(plan({ stepCount: 25 })).toHaveLength(20)
  })

  it('rejects bad input naming the field', () => {
    const bad = () =>
      planSeries({
        timing: { ...timing, timezone: 'Nope/Nope' },
        stepCount: 0,
        pauses: [{ from: utc('2026-04-01T00:00Z'), until: utc('2026-03-01T00:00Z'), policy: 'shift' }],
        overrides: [{ kind: 'move', occurrence: 0, to: 'soon' }],
      })
    expect(bad).toThrow(TimingInputError)
    try {
      bad()
    } catch (e) {
      expect((e as TimingInputError).issues.map((i) => i.field).sort()).toEqual([
        'overrides.0.occurrence', 'overrides.0.to', 'pauses.0.until', 'stepCount', 'timing.timezone',
      ])
    }
  })
})
