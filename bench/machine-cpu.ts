import { readFileSync } from 'node:fs'

/**
 * CPU time the whole machine has spent (every process: senders, servers, PostgreSQL), in ms, from
 * /proc/stat (Linux; NaN elsewhere). The difference over a phase is that phase's CPU cost.
 */
export function machineCpuMs(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / 100
  } catch {
    return NaN
  }
}
