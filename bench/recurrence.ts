/**
 * Expands 100k occurrences through expandSeries (zone-aware) and through raw rrule (floating, no zone
 * conversion) in the same process; prints medians and the ratio. Goal: expandSeries ≤ 200 ms.
 * Wall time swings with whatever else runs on the machine, so CPU time (user + system of this
 * process) is printed too, with the load average; the ratio is the number to compare across runs.
 * Run: npx tsx bench/recurrence.ts
 */
import os from 'node:os'
import rrulePkg from 'rrule'
import { expandSeries } from '../domain/recurrence'

const { rrulestr } = rrulePkg
const COUNT = 100_000
const RUNS = 7
const GOAL_MS = 200

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!

function measure(fn: () => number): { wall: number; cpu: number } {
  fn() // warm-up (also fills the zone-offset cache)
  fn()
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const n = fn()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
    // Hourly loses one occurrence per spring-forward (the gap hour lands on the next one).
    if (Math.abs(n - COUNT) > 50) throw new Error(`expected ~${COUNT} occurrences, got ${n}`)
  }
  return { wall: median(wall), cpu: median(cpu) }
}

// The goal covers the everyday shapes; the BYSETPOS case (4,000+ years of months, ~44 candidates per
// month) is printed for comparison only.
const cases = [
  { name: 'daily 09:00', rule: `FREQ=DAILY;COUNT=${COUNT}`, goal: true },
  { name: 'hourly', rule: `FREQ=HOURLY;COUNT=${COUNT}`, goal: true },
  { name: 'weekly Tu/Th', rule: `FREQ=WEEKLY;BYDAY=TU,TH;COUNT=${COUNT}`, goal: true },
  { name: 'monthly 1st+last wkday', rule: `FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1;BYHOUR=9,18;COUNT=${COUNT}`, goal: false },
]

const ms = (n: number) => `${n.toFixed(1).padStart(6)} ms`
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`)
for (const c of cases) {
  const ours = measure(() => expandSeries({ rule: c.rule, start: '2026-01-01T09:00', timezone: 'Europe/Berlin', limit: COUNT }).length)
  const raw = measure(() => rrulestr(`DTSTART:20260101T090000\nRRULE:${c.rule}`).all().length)
  const verdict = !c.goal ? 'no goal' : ours.wall <= GOAL_MS ? 'ok' : ours.cpu <= GOAL_MS ? 'ok on CPU time (machine busy)' : 'OVER GOAL'
  console.log(
    `${c.name.padEnd(23)} expandSeries(Europe/Berlin) wall ${ms(ours.wall)} cpu ${ms(ours.cpu)} | raw rrule (floating) wall ${ms(raw.wall)} cpu ${ms(raw.cpu)} | ratio ${(ours.wall / raw.wall).toFixed(2)} | ${verdict}`,
  )
}
console.log(`median of ${RUNS} runs after 2 warm-ups, ${COUNT} occurrences each; goal ≤ ${GOAL_MS} ms`)
