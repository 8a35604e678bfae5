import { randomUUID } from 'node:crypto'
import { ConnectorError, type ChannelContent, type Connector, type Credentials } from '../../connectors/types'

/**
 * The contract every connector passes (social networks and email alike), against a server that speaks
 * its network's API or protocol. A harness gives the suite fresh credentials and ways to make that
 * server misbehave on the next publish request.
 */
export type ConnectorHarness = {
  connector: Connector
  /** Credentials of a connected test account, fresh for each call. */
  credentials(): Promise<Credentials>
  /** One valid message of the channel, unique by `label` (default: a single post whose text is `label`). */
  content?(label: string): ChannelContent
  /** Posts (messages) the server has created or accepted so far. */
  postsCreated(): number
  /**
   * The next publish request answers "rate limited until `resetAt`" (without `rateLimitResetTime`: the
   * server defers it, as SMTP's `451 4.7.1` does, with no reset time).
   */
  failNextPublishWithRateLimit(resetAt: Date): void
  /**
   * The next publish request answers 503: without `apply`, before anything was created; with `apply`,
   * after the network created the post (a front end failing after its back end applied the request).
   * With `authoritativeReplies`: the server refuses the handed-over message with a temporary reply
   * (never called with `apply`).
   */
  failNextPublishWithUnavailable(args?: { apply?: boolean }): void
  /** The next publish request is applied, then its connection is reset before the answer. */
  resetNextPublishAfterApplying(): void
  close(): Promise<void>
}

const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`
const single = (text: string): ChannelContent => ({ parts: [{ text }] })

async function connectorError(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error, 'expected a ConnectorError').toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

/** What the network offers; the suite checks the connector declares exactly that. */
export type ConnectorCapabilities = {
  refresh: boolean
  /** A sent message can be found again (`lookup`); default true. SMTP cannot: an unknown outcome goes to a person. */
  lookup?: boolean
  /**
   * The protocol cannot refuse a repeat (SMTP): a second publish with the same idempotency key sends the
   * message again, as recognisably the same one (the same remote id, the Message-ID). Keeping a delivery
   * at most once is then the caller's job (the drip runner records before and after each send).
   */
  resendsWithSameId?: boolean
  /**
   * The network takes an idempotency key, or refuses a repeat (default true). Without one (Telegram, a
   * Discord webhook), a second publish with the same key makes a second post: the pipeline never repeats a
   * publish whose outcome is unknown (it goes to `lookup` or a person), which keeps a delivery at most once.
   */
  idempotent?: boolean
  /** A rate limit comes with the instant it resets (default true); SMTP only defers (4xx), which is `transient`. */
  rateLimitResetTime?: boolean
  /**
   * Every reply of the server settles the outcome (SMTP: the reply to the end of DATA either accepts the
   * message or does not): a refusal is `transient` (4xx) or `invalid-content` (5xx), never
   * `unknown-outcome`; only a lost reply leaves the outcome unknown. HTTP networks' 5xx do not.
   */
  authoritativeReplies?: boolean
  /** A used refresh token keeps working for a while (Bluesky PDS: two hours) instead of dying at once. */
  refreshGracePeriod?: boolean
  /**
   * After a 5xx on a create, `publish` itself reads back the post under its deterministic id and returns
   * it when it exists (Bluesky's record key). Others leave a 5xx on a create as `unknown-outcome`.
   */
  readsBackAfterServerError?: boolean
  /**
   * A refresh hands back a new refresh token and kills the used one (default true). LinkedIn keeps the
   * same refresh token for its 365 days; Threads renews a long-lived token with itself, and the old one
   * lives on until it expires: the used credentials then still refresh.
   */
  refreshRotates?: boolean
  /**
   * How coarse the network's reset time is; default exact (an instant, e.g. X's epoch seconds). A count of
   * whole seconds from the answer (Slack's Retry-After, Telegram's retry_after) is off by one when the
   * answer crosses a second boundary on its way (1000); Threads counts minutes (60,000).
   */
  rateLimitResetResolutionMs?: number
}

export function runConnectorContract(name: string, capabilities: ConnectorCapabilities, setup: () => Promise<ConnectorHarness>) {
  describe(`connector contract: ${name}`, () => {
    let h: ConnectorHarness
    const canLookup = capabilities.lookup ?? true
    const message = (text: string): ChannelContent => h.content?.(text) ?? single(text)
    beforeAll(async () => {
      h = await setup()
    })
    afterAll(async () => {
      await h?.close()
    })

    it('declares its capabilities', () => {
      expect(typeof h.connector.refreshCredentials === 'function').toBe(capabilities.refresh)
      expect(typeof h.connector.lookup === 'function').toBe(canLookup)
    })

    it('validate accepts a message and names what is wrong: the over-long part of a thread, or the missing member it reads', () => {
      expect(h.connector.validate(message('hello'))).toEqual([])
      const reads = h.connector.reads ?? 'parts'
      if (reads === 'parts' && h.connector.limits.maxThreadLength > 1) {
        const max = h.connector.limits.maxLength
        const problems = h.connector.validate({ parts: [{ text: 'one' }, { text: 'two' }, { text: 'x'.repeat(max + 1) }] })
        expect(problems.map((p) => p.path)).toEqual(['parts[2].text'])
        expect(h.connector.validate({ parts: [{ text: 'x'.repeat(max) }] })).toEqual([])
      } else if (reads === 'parts') {
        // A network of single posts (a pin, a Reddit submission): the harness's message with a longer text.
        const max = h.connector.limits.maxLength
        const template = message('template')
        const withText = (text: string): ChannelContent => ({ ...template, parts: [{ ...template.parts[0]!, text }] })
        expect(h.connector.validate(withText('x'.repeat(max + 1))).map((p) => p.path)).toEqual(['parts[0].text'])
        expect(h.connector.validate(withText('x'.repeat(max)))).toEqual([])
      } else {
        // Posts are no message for a connector that reads another member of the content.
        expect(h.connector.validate({ parts: [{ text: 'hello' }] }).map((p) => p.path)).toEqual([reads])
      }
    })

    it('publish returns a remote id and creates one post', async () => {
      const before = h.postsCreated()
      const result = await h.connector.publish({ credentials: await h.credentials(), content: message(unique('contract publish')), idempotencyKey: randomUUID() })
      expect(result.remoteId).toMatch(/\S/)
      expect(h.postsCreated()).toBe(before + 1)
    })

    const idempotent = capabilities.idempotent ?? true
    if (!idempotent) it('without idempotency keys, a second publish with the same key is a second post with its own id', async () => {
      const credentials = await h.credentials()
      const content = message(unique('contract repeat'))
      const idempotencyKey = randomUUID()
      const first = await h.connector.publish({ credentials, content, idempotencyKey })
      const before = h.postsCreated()
      const second = await h.connector.publish({ credentials, content, idempotencyKey })
      expect(h.postsCreated()).toBe(before + 1)
      expect(second.remoteId).not.toBe(first.remoteId)
    })

    if (idempotent) it(capabilities.resendsWithSameId ? 'a second publish with the same idempotency key is recognisably the same message' : 'a second publish with the same idempotency key never creates a second post', async () => {
      const credentials = await h.credentials()
      const content = message(unique('contract idempotent'))
      const idempotencyKey = randomUUID()
      const first = await h.connector.publish({ credentials, content, idempotencyKey })
      const before = h.postsCreated()
      const second = await h.connector.publish({ credentials, content, idempotencyKey }).then(
        (r) => r,
        (e: unknown) => e,
      )
      if (capabilities.resendsWithSameId) {
        expect(h.postsCreated()).toBe(before + 1)
        expect((second as { remoteId: string }).remoteId).toBe(first.remoteId)
        return
      }
      expect(h.postsCreated()).toBe(before)
      // Networks with idempotency keys return the first post; networks that reject duplicates fail cleanly.
      if (second instanceof Error) expect(second).toBeInstanceOf(ConnectorError)
      else expect((second as { remoteId: string }).remoteId).toBe(first.remoteId)
    })

    if (capabilities.rateLimitResetTime ?? true) {
      it('rate limiting is rate-limited with the reset time', async () => {
        const resetAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 600_000)
        h.failNextPublishWithRateLimit(resetAt)
        const error = await connectorError(h.connector.publish({ credentials: await h.credentials(), content: message(unique('contract 429')), idempotencyKey: randomUUID() }))
        expect(error.kind).toBe('rate-limited')
        const resolution = capabilities.rateLimitResetResolutionMs ?? 0
        if (resolution === 0) expect(error.resetAt?.toISOString()).toBe(resetAt.toISOString())
        else expect(Math.abs(error.resetAt!.getTime() - resetAt.getTime())).toBeLessThanOrEqual(resolution)
      })
    } else {
      it('a deferral (a rate limit without a reset time) is transient and sends nothing', async () => {
        const before = h.postsCreated()
        h.failNextPublishWithRateLimit(new Date(Date.now() + 600_000))
        const error = await connectorError(h.connector.publish({ credentials: await h.credentials(), content: message(unique('contract deferred')), idempotencyKey: randomUUID() }))
        expect(error.kind).toBe('transient')
        expect(h.postsCreated()).toBe(before)
      })
    }

    if (capabilities.authoritativeReplies) {
      // The server answered: the message was not accepted, so a later resend cannot make a second one.
      it('a temporary refusal of the handed-over message is transient, and nothing was created', async () => {
        const before = h.postsCreated()
        h.failNextPublishWithUnavailable()
        const error = await connectorError(h.connector.publish({ credentials: await h.credentials(), content: message(unique('contract refused')), idempotencyKey: randomUUID() }))
        expect(error.kind).toBe('transient')
        expect(h.postsCreated()).toBe(before)
      })
    }

    // A 5xx on a create does not prove the request did not apply: never `transient` (a blind resend).
    if (!capabilities.authoritativeReplies) it('a 5xx on a create is unknown-outcome, and lookup finds nothing when nothing was applied', async () => {
      const credentials = await h.credentials()
      const content = message(unique('contract 503'))
      const idempotencyKey = randomUUID()
      const since = new Date(Date.now() - 1000)
      const before = h.postsCreated()
      h.failNextPublishWithUnavailable()
      const error = await connectorError(h.connector.publish({ credentials, content, idempotencyKey }))
      expect(error.kind).toBe('unknown-outcome')
      expect(error.detail?.status).toBe(503)
      expect(h.postsCreated()).toBe(before)
      if (canLookup) expect(await h.connector.lookup!({ credentials, content, idempotencyKey, since })).toBeNull()
    })

    if (!capabilities.authoritativeReplies) it(canLookup ? 'a create applied, then answered 503, is never transient: unknown-outcome (or read back), and lookup finds exactly that one post' : 'a create applied, then answered 503, is unknown-outcome', async () => {
      const credentials = await h.credentials()
      const content = message(unique('contract applied 503'))
      const idempotencyKey = randomUUID()
      const since = new Date(Date.now() - 1000)
      const before = h.postsCreated()
      h.failNextPublishWithUnavailable({ apply: true })
      const outcome = await h.connector.publish({ credentials, content, idempotencyKey }).then(
        (r) => r,
        (e: unknown) => e,
      )
      expect(h.postsCreated()).toBe(before + 1)
      if (!canLookup) {
        expect(outcome, 'expected a ConnectorError').toBeInstanceOf(ConnectorError)
        expect((outcome as ConnectorError).kind).toBe('unknown-outcome')
        return
      }
      const found = await h.connector.lookup!({ credentials, content, idempotencyKey, since })
      expect(found?.remoteId).toMatch(/\S/)
      if (capabilities.readsBackAfterServerError) {
        expect(outcome).toMatchObject({ remoteId: found!.remoteId })
      } else {
        expect(outcome, 'expected a ConnectorError').toBeInstanceOf(ConnectorError)
        expect((outcome as ConnectorError).kind).toBe('unknown-outcome')
      }
      expect(h.postsCreated()).toBe(before + 1)
    })

    it('rejected credentials are auth', async () => {
      const credentials = { ...(await h.credentials()), accessToken: 'not-a-token' }
      const error = await connectorError(h.connector.publish({ credentials, content: message(unique('contract 401')), idempotencyKey: randomUUID() }))
      expect(error.kind).toBe('auth')
    })

    it(canLookup ? 'a connection lost after sending is unknown-outcome, and lookup settles it' : 'a connection lost after sending is unknown-outcome', async () => {
      const credentials = await h.credentials()
      const content = message(unique('contract lost answer'))
      const idempotencyKey = randomUUID()
      const since = new Date(Date.now() - 1000)
      const before = h.postsCreated()
      h.resetNextPublishAfterApplying()
      const error = await connectorError(h.connector.publish({ credentials, content, idempotencyKey }))
      expect(error.kind).toBe('unknown-outcome')
      expect(h.postsCreated()).toBe(before + 1)
      if (!canLookup) return
      const found = await h.connector.lookup!({ credentials, content, idempotencyKey, since })
      expect(found?.remoteId).toMatch(/\S/)
    })

    if (canLookup) it('lookup finds a published post and returns null for one never sent', async () => {
      const credentials = await h.credentials()
      const since = new Date(Date.now() - 1000)
      const content = message(unique('contract lookup'))
      const idempotencyKey = randomUUID()
      const published = await h.connector.publish({ credentials, content, idempotencyKey })
      expect(await h.connector.lookup!({ credentials, content, idempotencyKey, since })).toMatchObject({ remoteId: published.remoteId })
      expect(await h.connector.lookup!({ credentials, content: message(unique('never sent')), idempotencyKey: randomUUID(), since })).toBeNull()
    })

    it('resume continues a thread after the parts that exist, and sends nothing when every part exists', async () => {
      const credentials = await h.credentials()
      const threads = h.connector.limits.maxThreadLength > 1
      const parts = threads ? [{ text: unique('contract resume 1') }, { text: unique('contract resume 2') }] : [{ text: unique('contract resume') }]
      // A connector of single messages gets its own kind of message (an email, for one that reads `email`).
      const whole = threads ? { parts } : message(parts[0]!.text)
      const first = await h.connector.publish({ credentials, content: threads ? { parts: parts.slice(0, 1) } : whole, idempotencyKey: randomUUID() })
      const known = first.partIds ?? [first.remoteId]
      const before = h.postsCreated()
      const resumed = await h.connector.publish({ credentials, content: whole, idempotencyKey: randomUUID(), resume: { partIds: known } })
      expect(h.postsCreated()).toBe(before + parts.length - 1)
      expect(resumed.remoteId).toBe(first.remoteId)
      expect(resumed.partIds ?? [resumed.remoteId]).toHaveLength(parts.length)
      expect((resumed.partIds ?? [resumed.remoteId])[0]).toBe(known[0])
      const again = await h.connector.publish({ credentials, content: whole, idempotencyKey: randomUUID(), resume: { partIds: resumed.partIds ?? [resumed.remoteId] } })
      expect(h.postsCreated()).toBe(before + parts.length - 1)
      expect(again.remoteId).toBe(first.remoteId)
    })

    // Only networks with expiring tokens have refresh; the capability check above keeps this honest.
    if (capabilities.refresh) {
      it(capabilities.refreshRotates === false ? 'refresh renews the access token, and the same credentials renew again' : 'refresh rotates the tokens, and the used refresh token is dead', async () => {
        const old = await h.credentials()
        const fresh = await h.connector.refreshCredentials!(old)
        expect(fresh.accessToken).not.toBe(old.accessToken)
        const rotates = capabilities.refreshRotates ?? true
        if (rotates) {
          expect(fresh.refreshToken).toBeTruthy()
          expect(fresh.refreshToken).not.toBe(old.refreshToken)
        }
        expect(fresh.expiresAt!.getTime()).toBeGreaterThan(Date.now())
        await h.connector.publish({ credentials: fresh, content: message(unique('contract after refresh')), idempotencyKey: randomUUID() })
        if (!rotates) {
          // Nothing was used up: the same credentials renew again.
          expect((await h.connector.refreshCredentials!(old)).accessToken).toMatch(/\S/)
        } else if (capabilities.refreshGracePeriod) {
          // Within the grace period the used token still refreshes, so a lost refresh answer can be retried.
          expect((await h.connector.refreshCredentials!(old)).accessToken).toMatch(/\S/)
        } else {
          const error = await connectorError(h.connector.refreshCredentials!(old))
          expect(error.kind).toBe('disconnected')
        }
      })
    }
  })
}
