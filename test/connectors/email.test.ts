import { connectorFactories } from '../../connectors/registry'
import { smtpCredentials } from '../../connectors/email/index'
import { runConnectorContract } from '../contract/connector'
import { startSmtpServer } from '../servers/smtp'

/**
 * Email runs the same contract as the social networks, against a real SMTP server on loopback that
 * requires AUTH (so rejected credentials are exercised). Where SMTP differs, the capabilities say how:
 * no lookup, a repeat is the same message again (same Message-ID), deferrals carry no reset time, and
 * every reply settles the outcome (only a lost reply is unknown).
 */
runConnectorContract('email', { refresh: false, lookup: false, resendsWithSameId: true, rateLimitResetTime: false, authoritativeReplies: true }, async () => {
  const smtp = await startSmtpServer({ users: { mailer: 's3cret' } })
  const connector = connectorFactories.email({ maxConnections: 2, allowPrivateNetworkHosts: true })
  return {
    connector,
    credentials: async () => smtpCredentials({ host: smtp.host, port: smtp.port, security: 'none', user: 'mailer', password: 's3cret' }),
    content: (label) => ({
      parts: [],
      email: { from: { name: 'Contract', address: 'news@sender.test' }, to: 'reader@rcpt.test', subject: label, html: `<p>${label}</p>`, text: label },
    }),
    postsCreated: () => smtp.messages.length,
    failNextPublishWithRateLimit: () => smtp.injectFault({ kind: 'defer' }),
    failNextPublishWithUnavailable: () => smtp.injectFault({ kind: 'refuse-data', responseCode: 451 }),
    resetNextPublishAfterApplying: () => smtp.injectFault({ kind: 'reset-after-data' }),
    async close() {
      connector.close?.()
      await smtp.close()
    },
  }
})
