import { openJobStore } from '../../jobs/store'
import { runJobStoreContract } from '../contract/job-store'
import { createTestDatabase } from '../db'

describe.runIf(!!process.env.DATABASE_URL || process.env.CI === 'true')('job store contract: PostgreSQL', () => {
  runJobStoreContract('postgres', async () => {
    const database = await createTestDatabase()
    const url = database.url
    if (!url) {
      await database.close()
      throw new Error('DATABASE_URL is not set: the PostgreSQL job store contract needs a server')
    }
    return {
      open: ({ name, agenda }) => openJobStore({ databaseUrl: url, name, agenda }),
      childEnv: { DATABASE_URL: url },
      destroy: () => database.close(),
    }
  })
})
