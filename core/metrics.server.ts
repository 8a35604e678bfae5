import { timingSafeEqual } from 'node:crypto'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { countDeliveriesByState } from '../db/queries/metrics'
import { DELIVERY_STATES } from '../domain/delivery'
import { lastWorkerBeat, pingDatabase } from './health.server'
import type { Services } from './services.server'

/**
 * Prometheus metrics of this process (decision 067). Counters and the lag histogram are counted where
 * the work happens (the worker's publish and drip jobs, the DSN endpoint); the delivery states, the
 * stores' health and the newest worker heartbeat are read from the database when scraped, so the web
 * process answers for the whole installation. Each process serves its own: the web app at /metrics,
 * a separate worker on METRICS_PORT (both behind METRICS_TOKEN).
 */
export const registry = new Registry()
collectDefaultMetrics({ register: registry, prefix: 'trickle_' })

export const publishedPosts = new Counter({
  name: 'trickle_posts_published_total',
  help: 'Social posts (deliveries) published, by network',
  labelNames: ['network'] as const,
  registers: [registry],
})

export const publishLagSeconds = new Histogram({
  name: 'trickle_publish_lag_seconds',
  help: 'Seconds from a delivery’s due time to its publication being recorded',
  labelNames: ['network'] as const,
  buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 3600],
  registers: [registry],
})

export const emailsSent = new Counter({ name: 'trickle_emails_sent_total', help: 'Drip emails accepted by the SMTP server', registers: [registry] })
export const smsSent = new Counter({ name: 'trickle_sms_sent_total', help: 'Drip SMS accepted by Twilio', registers: [registry] })
export const emailBounces = new Counter({
  name: 'trickle_email_bounces_total',
  help: 'Email bounces recorded, by source (smtp: refused while sending; dsn: reported later)',
  labelNames: ['source'] as const,
  registers: [registry],
})

/**
 * The scrape-time gauges read from the database, registered once per process (a registry refuses a
 * second metric of the same name); they read the installation of the last services that serve metrics
 * (the web process, or a worker serving METRICS_PORT).
 */
export function watchInstallation(services: Services): void {
  watched = services
  if (gaugesRegistered) return
  gaugesRegistered = true
  new Gauge({
    name: 'trickle_deliveries',
    help: 'Deliveries by state (all workspaces)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = new Map((await countDeliveriesByState(watched!.database.db).catch(() => [])).map((r) => [r.state, r.count]))
      for (const state of DELIVERY_STATES) this.set({ state }, counts.get(state) ?? 0)
    },
  })
  new Gauge({
    name: 'trickle_store_up',
    help: '1 when the store answers a trivial query, 0 when it does not',
    labelNames: ['store', 'kind'] as const,
    registers: [registry],
    async collect() {
      const services = watched!
      this.set({ store: 'database', kind: services.database.kind }, await answers(() => pingDatabase(services)))
      this.set({ store: 'jobs', kind: services.jobs.kind }, await answers(() => services.jobs.ping()))
    },
  })
  new Gauge({
    name: 'trickle_worker_last_heartbeat_seconds',
    help: 'Unix time of the newest worker heartbeat (0: no worker ever beat)',
    registers: [registry],
    async collect() {
      const at = await lastWorkerBeat(watched!).catch(() => null)
      this.set(at ? at.getTime() / 1000 : 0)
    },
  })
}
let watched: Services | null = null
let gaugesRegistered = false

async function answers(fn: () => Promise<void>): Promise<number> {
  try {
    await fn()
    return 1
  } catch {
    return 0
  }
}

/**
 * The metrics as Prometheus text, or why not: 404 when METRICS_TOKEN is unset (the endpoint does not
 * exist), 401 without the right bearer token.
 */
export async function readMetrics(services: Services, authorization: string | null): Promise<{ status: 200; contentType: string; body: string } | { status: 401 | 404 }> {
  const token = services.config.METRICS_TOKEN
  if (!token) return { status: 404 }
  if (!sameSecret(authorization ?? '', `Bearer ${token}`)) return { status: 401 }
  watchInstallation(services)
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
