/**
 * Inbound SMS keywords (docs/decisions/081-sms-step.md), as carriers and Twilio's Advanced Opt-Out
 * define them: a message that is exactly one of these words (any case, surrounding spaces and a final
 * punctuation mark ignored) opts out, opts back in or asks for help. Anything else is a reply.
 */

export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'] as const
export const START_KEYWORDS = ['START', 'UNSTOP', 'YES'] as const
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const

export type InboundKind = 'stop' | 'start' | 'help' | 'reply'

/** The keyword a message is (upper case), or null. */
export function keywordOf(body: string): string | null {
  const word = body.trim().replace(/[.!?]+$/, '').toUpperCase()
  return /^[A-Z]+$/.test(word) ? word : null
}

export function classifyInbound(body: string): InboundKind {
  const word = keywordOf(body)
  if (word === null) return 'reply'
  if ((STOP_KEYWORDS as readonly string[]).includes(word)) return 'stop'
  if ((START_KEYWORDS as readonly string[]).includes(word)) return 'start'
  if ((HELP_KEYWORDS as readonly string[]).includes(word)) return 'help'
  return 'reply'
}
