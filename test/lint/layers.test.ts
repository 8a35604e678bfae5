import { ESLint } from 'eslint'

/**
 * The layer rule (eslint.config.js `layers()`): each case is an import the rule must refuse in that
 * folder, and one it must allow. Linted as text at the path, so no fixture file sits in the tree.
 */
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname })

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('domain/ reads neither the clock nor chance', () => {
  it.each([['const now = new Date()'], ['const roll = Math.random()']])('refuses %s', async (code) => {
    const [result] = await eslint.lintText(code, { filePath: 'domain/fixture.ts' })
    expect(result?.messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toHaveLength(1)
  })

  it('allows building an instant from one it was given', async () => {
    const [result] = await eslint.lintText('export const later = (now: Date) => new Date(now.getTime() + 1)', { filePath: 'domain/fixture.ts' })
    expect(result?.messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toEqual([])
  })
})

describe('imports point down the layers', () => {
  it.each([
    ['domain/recurrence/fixture.ts', "import { openDatabase } from '../../db/client'"],
    ['domain/fixture.ts', "import type { Connector } from '../connectors/types'"],
    ['domain/email/fixture.ts', "import { createHmac } from 'node:crypto'"],
    ['connectors/x/fixture.ts', "import { accounts } from '../../db/schema'"],
    ['db/queries/fixture.ts', "import { createXConnector } from '../../connectors/x/index'"],
    ['db/queries/fixture.ts', "import { publishDelivery } from '../../jobs/publish-delivery'"],
    ['jobs/fixture.ts', "import { requireUser } from '../app/utils/auth.server'"],
    ['jobs/store.ts', "import type { Services } from '../core/services'"],
    ['jobs/fixture.ts', "import { claimDelivery } from '../db/queries/deliveries-publish'"],
    ['jobs/fixture.ts', "import { getConnector } from '../connectors/registry'"],
    ['core/fixture.ts', "import { appCookie } from '../app/utils/session.server'"],
    ['core/fixture.ts', "import { publishDelivery } from '../jobs/publish-delivery'"],
    ['core/fixture.ts', "import { requireUser } from '~/utils/auth.server'"],
    ['app/routes/fixture.tsx', "import { listMembers } from '../../db/queries/workspaces'"],
    ['app/routes/fixture.tsx', "import type { Role } from '../../db/schema'"],
    ['app/utils/fixture.server.ts', "import { getContact } from '../../db/queries/contacts'"],
    ['app/fixture.server.ts', "import { openDatabase } from '../db/client'"],
    ['app/routes/fixture.tsx', "import { listMembers } from '#db/queries/workspaces'"],
    ['app/routes/fixture.tsx', "import { ROLES } from '../../domain/roles'"],
    ['core/fixture.ts', "import { publishDelivery } from '#jobs/publish-delivery'"],
    ['domain/fixture.ts', "import { openDatabase } from '#db/client'"],
  ])('%s refuses %s', async (filePath, code) => {
    expect(await restricted(filePath, code)).toHaveLength(1)
  })

  it.each([
    ['domain/recurrence/fixture.ts', "import { zoneOf } from '../timing/zone'"],
    ['db/queries/fixture.ts', "import type { Credentials } from '../../connectors/types'"],
    ['jobs/fixture.ts', "import type { Services } from '../core/services'"],
    ['jobs/fixture.ts', "import { publishDelivery } from '../core/publishing/publish.server'"],
    ['jobs/fixture.ts', "import type { Connector } from '../connectors/types'"],
    ['jobs/enqueue.ts', "import type { DeliveryScheduler } from '../db/queries/deliveries'"],
    ['core/fixture.ts', "import { deliveryScheduler } from '../jobs/enqueue'"],
    ['core/fixture.ts', "import { openJobStore } from '../jobs/store'"],
    ['app/routes/fixture.tsx', "import { createSeries } from '#core/series.server'"],
    ['app/routes/fixture.tsx', "import { listWorkspaceMembers } from '../core.server'"],
    ['app/routes/fixture.tsx', "import { listWorkspaceMembers, type Role } from '~/core.server'"],
    ['app/routes/fixture.tsx', "import { requireMembership } from '~/utils/auth.server'"],
    ['app/routes/fixture.tsx', "import { ROLES } from '#domain/roles'"],
  ])('%s allows %s', async (filePath, code) => {
    expect(await restricted(filePath, code)).toEqual([])
  })
})
