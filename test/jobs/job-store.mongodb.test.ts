import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { openJobStore } from '../../jobs/store'
import { runJobStoreContract } from '../contract/job-store'
import { withDatabase } from '../db'

describe.runIf(!!process.env.MONGODB_URL || process.env.CI === 'true')('job store contract: MongoDB protocol', () => {
  runJobStoreContract('mongodb', async () => {
    const serverUrl = process.env.MONGODB_URL
    if (!serverUrl) throw new Error('MONGODB_URL is not set: the MongoDB job store contract needs a server')
    const url = withDatabase(serverUrl, `trickle_jobs_${randomBytes(6).toString('hex')}`)
    const probe = await MongoClient.connect(url)
    const buildInfo = await probe.db().admin().command({ buildInfo: 1 }).finally(() => probe.close())
    return {
      // Real MongoDB locks a job atomically (findOneAndUpdate); FerretDB 1.x does not (FerretDB#3040).
      exclusiveLocks: !('ferretdbVersion' in buildInfo),
      open: ({ name, agenda }) => openJobStore({ mongodbUrl: url, name, agenda }),
      childEnv: { MONGODB_URL: url },
      async destroy() {
        const client = await MongoClient.connect(url)
        try {
          await client.db().dropDatabase()
        } finally {
          await client.close()
        }
      },
    }
  })
})
