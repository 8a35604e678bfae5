import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { configWarnings, loadConfig } from '../../core/env.server'
import { createAccountServices } from '../../core/services.server'
import { systemClock } from '../../core/clock'

/** The connector variables of the environment schema, and what Services builds from them. */

const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-config-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))
const base = { NODE_ENV: 'test' as const, DATA_DIR: dataDir, SESSION_SECRET: 's'.repeat(32), TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') }

it('leaves X unconfigured without X_CLIENT_ID and always offers Mastodon, Bluesky, Telegram, Discord and webhooks (and email, whose servers are per sender)', () => {
  const config = loadConfig({ ...base, X_CLIENT_SECRET: 'orphan' })
  expect(config.X_API_BASE_URL).toBe('https://api.x.com')
  expect(config.MASTODON_APP_NAME).toBe('Trickle')
  expect(config.MASTODON_ALLOW_HTTP).toBe(false)
  expect(config.BLUESKY_ALLOW_HTTP).toBe(false)
  expect(config.ALLOW_PRIVATE_NETWORK_HOSTS).toBe(false)
  const { connectors, keyring } = createAccountServices(config, systemClock)
  expect(config.TELEGRAM_API_URL).toBe('https://api.telegram.org')
  expect(config.DISCORD_API_URL).toBe('https://discord.com/api/v10')
  // Slack needs its app's credentials, both of them.
  expect(Object.keys(createAccountServices(loadConfig({ ...base, SLACK_CLIENT_ID: 'id' }), systemClock).connectors)).not.toContain('slack')
  const slack = createAccountServices(loadConfig({ ...base, SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret' }), systemClock).connectors.slack
  expect(slack?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/slack/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/slack\.com\/oauth\/v2\/authorize\?client_id=id&/)
  // So do LinkedIn and Threads.
  expect(Object.keys(createAccountServices(loadConfig({ ...base, LINKEDIN_CLIENT_ID: 'id', THREADS_APP_SECRET: 'secret' }), systemClock).connectors)).not.toContain('linkedin')
  const both = createAccountServices(loadConfig({ ...base, LINKEDIN_CLIENT_ID: 'li', LINKEDIN_CLIENT_SECRET: 's', THREADS_APP_ID: 'th', THREADS_APP_SECRET: 's' }), systemClock).connectors
  expect(both.linkedin?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/linkedin/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/www\.linkedin\.com\/oauth\/v2\/authorization\?response_type=code&client_id=li&/)
  expect(both.threads?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/threads/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/threads\.net\/oauth\/authorize\?client_id=th&/)
  expect(() => loadConfig({ ...base, LINKEDIN_VERSION: '2024-11' })).toThrow(/LINKEDIN_VERSION/)
  // So do Pinterest and Reddit; Reddit's calls carry a User-Agent of the operator's choosing.
  expect(Object.keys(createAccountServices(loadConfig({ ...base, PINTEREST_APP_ID: 'id', REDDIT_CLIENT_SECRET: 'secret' }), systemClock).connectors)).not.toContain('pinterest')
  const more = createAccountServices(loadConfig({ ...base, PINTEREST_APP_ID: 'pi', PINTEREST_APP_SECRET: 's', REDDIT_CLIENT_ID: 'rd', REDDIT_CLIENT_SECRET: 's' }), systemClock).connectors
  expect(more.pinterest?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/pinterest/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/www\.pinterest\.com\/oauth\/\?client_id=pi&/)
  expect(more.reddit?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/reddit/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/www\.reddit\.com\/api\/v1\/authorize\?client_id=rd&.*&duration=permanent&/)
  expect(() => loadConfig({ ...base, REDDIT_USER_AGENT: 'short' })).toThrow(/REDDIT_USER_AGENT/)
  // Facebook Pages and Instagram share one Meta app: both or neither.
  expect(Object.keys(createAccountServices(loadConfig({ ...base, FACEBOOK_APP_ID: 'fb' }), systemClock).connectors)).not.toContain('facebook')
  const meta = createAccountServices(loadConfig({ ...base, FACEBOOK_APP_ID: 'fb', FACEBOOK_APP_SECRET: 's' }), systemClock).connectors
  expect(meta.facebook?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/facebook/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/www\.facebook\.com\/dialog\/oauth\?client_id=fb&.*&scope=pages_show_list%2Cpages_read_engagement%2Cpages_manage_posts$/)
  expect(meta.instagram?.authorizeUrl!({ redirectUri: 'https://t.example/oauth/instagram/callback', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/www\.facebook\.com\/dialog\/oauth\?client_id=fb&.*instagram_content_publish/)
  expect(() => loadConfig({ ...base, FACEBOOK_API_VERSION: '24' })).toThrow(/FACEBOOK_API_VERSION/)
  expect(Object.keys(connectors)).toEqual(['mastodon', 'bluesky', 'telegram', 'discord', 'webhook', 'email', 'sms', 'mail'])
  expect(connectors.telegram?.tokenForm?.fields.map((f) => [f.name, !!f.secret])).toEqual([
    ['botToken', true],
    ['channel', false],
  ])
  expect(connectors.bluesky?.appPasswords).toEqual({ settingsUrl: 'https://bsky.app/settings/app-passwords', defaultServer: 'https://bsky.social' })
  expect(keyring.current).toBe(1)
})

it('signs Bluesky accounts in on BLUESKY_DEFAULT_SERVICE, over https unless BLUESKY_ALLOW_HTTP', () => {
  const own = loadConfig({ ...base, BLUESKY_DEFAULT_SERVICE: 'https://pds.example.org/' })
  expect(createAccountServices(own, systemClock).connectors.bluesky?.appPasswords?.defaultServer).toBe('https://pds.example.org')
  expect(() => loadConfig({ ...base, BLUESKY_DEFAULT_SERVICE: 'http://127.0.0.1:2583' })).toThrow(/BLUESKY_DEFAULT_SERVICE: must be an https:\/\/ address/)
  expect(() => loadConfig({ ...base, BLUESKY_DEFAULT_SERVICE: 'not a url' })).toThrow(/BLUESKY_DEFAULT_SERVICE/)
  expect(() => loadConfig({ ...base, BLUESKY_ALLOW_HTTP: 'yes' })).toThrow(/BLUESKY_ALLOW_HTTP/)
  const local = loadConfig({ ...base, BLUESKY_DEFAULT_SERVICE: 'http://127.0.0.1:2583', BLUESKY_ALLOW_HTTP: 'true' })
  expect(createAccountServices(local, systemClock).connectors.bluesky?.appPasswords?.defaultServer).toBe('http://127.0.0.1:2583')
})

it('builds X from its variables, with the quota and the previous keys', () => {
  const previous = randomBytes(32).toString('base64')
  const config = loadConfig({
    ...base,
    X_CLIENT_ID: 'client',
    X_API_BASE_URL: 'http://127.0.0.1:9',
    X_UPLOAD_BASE_URL: 'http://127.0.0.1:9',
    X_POSTS_PER_DAY: '1500',
    X_POSTS_PER_DAY_PER_WORKSPACE: '300',
    TOKEN_ENCRYPTION_KEY_VERSION: '3',
    TOKEN_ENCRYPTION_PREVIOUS_KEYS: `1:${previous}, 2:${randomBytes(32).toString('base64')}`,
  })
  const { connectors, keyring } = createAccountServices(config, systemClock)
  expect(connectors.x?.quota).toEqual({ postsPerDay: 1500, postsPerDayPerWorkspace: 300 })
  expect(connectors.x?.authorizeUrl!({ redirectUri: 'http://localhost/cb', state: 's', codeChallenge: 'c' })).toMatch(/^https:\/\/x\.com\/i\/oauth2\/authorize\?/)
  expect([...keyring.keys.keys()].sort()).toEqual([1, 2, 3])
  expect(createAccountServices(loadConfig({ ...base, X_CLIENT_ID: 'c', X_POSTS_PER_DAY: '50' }), systemClock).connectors.x?.quota).toEqual({
    postsPerDay: 50,
    postsPerDayPerWorkspace: 50,
  })
})

it('names the variable that is wrong', () => {
  expect(() => loadConfig({ ...base, TOKEN_ENCRYPTION_PREVIOUS_KEYS: 'old-key' })).toThrow(/TOKEN_ENCRYPTION_PREVIOUS_KEYS: must be/)
  expect(() => loadConfig({ ...base, X_API_BASE_URL: 'not a url' })).toThrow(/X_API_BASE_URL/)
  expect(() => loadConfig({ ...base, X_POSTS_PER_DAY: '10', X_POSTS_PER_DAY_PER_WORKSPACE: '20' })).toThrow(/X_POSTS_PER_DAY_PER_WORKSPACE: must be at most/)
  expect(() => loadConfig({ ...base, X_POSTS_PER_DAY_PER_WORKSPACE: '20' })).toThrow(/X_POSTS_PER_DAY_PER_WORKSPACE: set X_POSTS_PER_DAY/)
  expect(() => loadConfig({ ...base, MASTODON_ALLOW_HTTP: 'yes' })).toThrow(/MASTODON_ALLOW_HTTP/)
  expect(() => loadConfig({ ...base, ALLOW_PRIVATE_NETWORK_HOSTS: 'yes' })).toThrow(/ALLOW_PRIVATE_NETWORK_HOSTS/)
  expect(loadConfig({ ...base, ALLOW_PRIVATE_NETWORK_HOSTS: 'true' }).ALLOW_PRIVATE_NETWORK_HOSTS).toBe(true)
})

it('reads the publishing settings, and names the one that is wrong', () => {
  expect(loadConfig(base)).toMatchObject({ PUBLISH_CONCURRENCY: 50, PUBLISH_BATCH_SIZE: 5 })
  expect(loadConfig({ ...base, PUBLISH_CONCURRENCY: '20', PUBLISH_BATCH_SIZE: '1' })).toMatchObject({ PUBLISH_CONCURRENCY: 20, PUBLISH_BATCH_SIZE: 1 })
  expect(() => loadConfig({ ...base, PUBLISH_CONCURRENCY: '0' })).toThrow(/PUBLISH_CONCURRENCY/)
  expect(() => loadConfig({ ...base, PUBLISH_BATCH_SIZE: 'five' })).toThrow(/PUBLISH_BATCH_SIZE/)
  expect(() => loadConfig({ ...base, PUBLISH_CONCURRENCY: '4', PUBLISH_BATCH_SIZE: '5' })).toThrow(/PUBLISH_BATCH_SIZE: must be at most PUBLISH_CONCURRENCY/)
})

it('warns at boot in production when APP_URL is not https (one-click unsubscribe needs https), and only then', () => {
  const production = { ...base, NODE_ENV: 'production' as const }
  expect(configWarnings(loadConfig({ ...production, APP_URL: 'http://trickle.example.com' }))).toEqual([expect.stringContaining('APP_URL is not https')])
  expect(configWarnings(loadConfig({ ...production, APP_URL: 'https://trickle.example.com' }))).toEqual([])
  expect(configWarnings(loadConfig({ ...base, APP_URL: 'http://localhost:3000' }))).toEqual([])
})
