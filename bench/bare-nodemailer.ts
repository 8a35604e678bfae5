/**
 * The baseline of bench/drip-send.ts, in a process of its own (as the drip workers are): a bare
 * nodemailer loop with the connector's pool settings sending N messages of the drip's size to the
 * loopback SMTP server, `concurrency` at a time. Prints `{"perSecond": …, "cpuMs": …, "ownCpuMs": …}` (cpuMs:
 * the whole machine's CPU time during the loop, SMTP server included, as bench/drip-send.ts counts it;
 * ownCpuMs: this sender process's alone, which the neighbours' load does not inflate).
 *
 * Run: npx tsx bench/bare-nodemailer.ts <port> <count> <concurrency> [pool connections, 5]
 */
import nodemailer from 'nodemailer'
import { machineCpuMs } from './machine-cpu'

const [port, count, concurrency, pool = 5] = process.argv.slice(2).map(Number) as [number, number, number, number?]
const from = { name: 'Bench', address: 'bench@sender.test' }
const sample = { subject: 'Week 1 tips for Reader', html: '<p>'.padEnd(2500, 'x'), text: 'x'.repeat(1200) }
const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections: pool, maxMessages: Infinity })
await transport.sendMail({ from, to: 'warm@bare.test', subject: 'w', text: 'w' })
let next = 0
const t0 = performance.now()
const cpu0 = machineCpuMs()
const own0 = process.cpuUsage()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++
      await transport.sendMail({ from, to: `b${i}@bare.test`, ...sample, messageId: `<b${i}@bare.test>`, list: { unsubscribe: [['https://app.example/u/x', 'mailto:u@sender.test']] } })
    }
  }),
)
const own = process.cpuUsage(own0)
console.log(JSON.stringify({ perSecond: count / ((performance.now() - t0) / 1000), cpuMs: machineCpuMs() - cpu0, ownCpuMs: (own.user + own.system) / 1000 }))
transport.close()
