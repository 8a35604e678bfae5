import { emailStep } from './email.server'
import { mailStep } from './mail.server'
import { smsStep } from './sms.server'
import type { DripStep, SendStepKind } from './types'

/** The sending step kinds, most specific first (email is the default). Action steps run apart: ./action.server.ts. */
const SEND_KINDS: readonly SendStepKind[] = [smsStep, mailStep, emailStep]

export function sendKindOf(step: DripStep): SendStepKind {
  return SEND_KINDS.find((k) => k.handles(step)) ?? emailStep
}
