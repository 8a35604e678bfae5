import type { Connector } from './types'
import { createBlueskyConnector, type BlueskyConnectorConfig } from './bluesky/index'
import { createDiscordConnector, type DiscordConnectorConfig } from './discord/index'
import { createFacebookConnector, type FacebookConnectorConfig } from './facebook/index'
import { createInstagramConnector, type InstagramConnectorConfig } from './instagram/index'
import { createEmailConnector, type EmailConnectorConfig } from './email/index'
import { createLinkedInConnector, type LinkedInConnectorConfig } from './linkedin/index'
import { createMastodonConnector, type MastodonConnectorConfig } from './mastodon/index'
import { createPinterestConnector, type PinterestConnectorConfig } from './pinterest/index'
import { createRedditConnector, type RedditConnectorConfig } from './reddit/index'
import { createSlackConnector, type SlackConnectorConfig } from './slack/index'
import { createTelegramConnector, type TelegramConnectorConfig } from './telegram/index'
import { createThreadsConnector, type ThreadsConnectorConfig } from './threads/index'
import { createWebhookConnector, type WebhookConnectorConfig } from './webhook/index'
import { createMailConnector, type MailConnectorConfig } from './mail/index'
import { createSmsConnector, type SmsConnectorConfig } from './sms/index'
import { createXConnector, type XConnectorConfig } from './x/index'

/** Each channel's configuration, passed in by the caller (connectors never read the environment). */
export type ConnectorConfigs = {
  x: XConnectorConfig
  mastodon: MastodonConnectorConfig
  bluesky: BlueskyConnectorConfig
  telegram: TelegramConnectorConfig
  discord: DiscordConnectorConfig
  webhook: WebhookConnectorConfig
  slack: SlackConnectorConfig
  linkedin: LinkedInConnectorConfig
  threads: ThreadsConnectorConfig
  pinterest: PinterestConnectorConfig
  reddit: RedditConnectorConfig
  facebook: FacebookConnectorConfig
  instagram: InstagramConnectorConfig
  /** The SMTP pool's sizes; each sender's SMTP server travels in its account's credentials. */
  email: EmailConnectorConfig
  /** Twilio's API base URL (tests: a loopback server); each workspace's account travels in its credentials. */
  sms: SmsConnectorConfig
  /** Lob's API base URL (tests: a loopback server); each workspace's API key travels in its credentials (decision 082). */
  mail: MailConnectorConfig
}

export type ConnectorKind = keyof ConnectorConfigs

/** One factory per kind: adding a kind to ConnectorConfigs without wiring it here fails the type check. */
export const connectorFactories = {
  x: (config: XConnectorConfig) => createXConnector(config),
  mastodon: (config: MastodonConnectorConfig) => createMastodonConnector(config),
  bluesky: (config: BlueskyConnectorConfig) => createBlueskyConnector(config),
  telegram: (config: TelegramConnectorConfig) => createTelegramConnector(config),
  discord: (config: DiscordConnectorConfig) => createDiscordConnector(config),
  webhook: (config: WebhookConnectorConfig) => createWebhookConnector(config),
  slack: (config: SlackConnectorConfig) => createSlackConnector(config),
  linkedin: (config: LinkedInConnectorConfig) => createLinkedInConnector(config),
  threads: (config: ThreadsConnectorConfig) => createThreadsConnector(config),
  pinterest: (config: PinterestConnectorConfig) => createPinterestConnector(config),
  reddit: (config: RedditConnectorConfig) => createRedditConnector(config),
  facebook: (config: FacebookConnectorConfig) => createFacebookConnector(config),
  instagram: (config: InstagramConnectorConfig) => createInstagramConnector(config),
  email: (config: EmailConnectorConfig) => createEmailConnector(config),
  sms: (config: SmsConnectorConfig) => createSmsConnector(config),
  mail: (config: MailConnectorConfig) => createMailConnector(config),
} satisfies { [K in ConnectorKind]: (config: ConnectorConfigs[K]) => Connector<K> }

export const connectorKinds = Object.keys(connectorFactories) as ConnectorKind[]

export type Connectors = { [K in ConnectorKind]?: Connector<K> }

/** Build the connectors that are configured (a network without configuration cannot be connected). */
export function createConnectors(configs: Partial<ConnectorConfigs>): Connectors {
  const connectors: Record<string, Connector> = {}
  for (const kind of connectorKinds) {
    const config = configs[kind]
    if (config) connectors[kind] = build(kind, config)
  }
  return connectors as Connectors
}

function build<K extends ConnectorKind>(kind: K, config: ConnectorConfigs[K]): Connector<K> {
  return (connectorFactories[kind] as unknown as (config: ConnectorConfigs[K]) => Connector<K>)(config)
}

export function isConnectorKind(kind: string): kind is ConnectorKind {
  return (connectorKinds as string[]).includes(kind)
}

/** The connector for a stored account's kind; throws a clear error for an unknown or unconfigured one. */
export function getConnector(connectors: Connectors, kind: string): Connector {
  if (!isConnectorKind(kind)) throw new Error(`kind: unknown connector "${kind}" (known: ${connectorKinds.join(', ')})`)
  const connector = connectors[kind]
  if (!connector) throw new Error(`kind: the ${kind} connector is not configured`)
  return connector
}
