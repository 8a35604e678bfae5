import { openJobStore } from '../../jobs/store'
import { runJobStoreContract } from '../contract/job-store'

describe('job store contract: embedded PGlite over pglite-socket', () => {
  // One embedded store (as `npm start` opens it); the contract's workers reach its PGlite through the
  // loopback socket, the way a second Agenda would.
  runJobStoreContract('embedded', async () => {
    const owner = await openJobStore({ embeddedDataDir: null, name: 'owner' })
    const url = owner.url
    if (!url) throw new Error('the embedded store has no socket URL')
    return {
      open: ({ name, agenda }) => openJobStore({ databaseUrl: url, postgresNotifications: false, name, agenda }),
      childEnv: {},
      destroy: () => owner.close(),
    }
  })
})
