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

/** CPU time (user + system) one process has spent so far, in ms, from /proc/<pid>/stat (0 once it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return 0
  }
}
