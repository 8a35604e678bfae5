import { startTestApp, type TestApp } from '../app-server'

const TOKEN = 'metrics-token-0123456789'

describe('/metrics', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ env: { METRICS_TOKEN: TOKEN } })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('answers only the bearer token', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${app.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401)
    const response = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const body = await response.text()
    expect(body).toContain('trickle_deliveries{state="planned"} 0')
    expect(body).toMatch(/trickle_store_up\{store="database",kind="[a-z]+"\} 1/)
    expect(body).toMatch(/trickle_store_up\{store="jobs",kind="[a-z]+"\} 1/)
    expect(body).toContain('trickle_worker_last_heartbeat_seconds 0')
    expect(body).toContain('# TYPE trickle_publish_lag_seconds histogram')
    expect(body).toContain('# TYPE trickle_emails_sent_total counter')
    expect(body).toContain('trickle_process_resident_memory_bytes')
  })

  it('a second installation in the same process serves metrics too (the gauges are registered once)', async () => {
    const second = await startTestApp({ env: { METRICS_TOKEN: TOKEN } })
    try {
      const response = await fetch(`${second.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      expect(response.status).toBe(200)
      expect(await response.text()).toMatch(/trickle_store_up\{store="database",kind="[a-z]+"\} 1/)
    } finally {
      await second.close()
    }
  })

  it('does not exist without METRICS_TOKEN', async () => {
    const bare = await startTestApp()
    try {
      expect((await fetch(`${bare.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404)
    } finally {
      await bare.close()
    }
  })
})
