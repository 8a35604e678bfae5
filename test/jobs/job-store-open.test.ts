import { openJobStore, redactUrl } from '../../jobs/store'

// Port 1 on loopback refuses connections: no server needed.
describe('openJobStore on an unreachable server', () => {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => rejections.push(reason)
  beforeAll(() => {
    process.on('unhandledRejection', onRejection)
  })
  afterAll(() => {
    process.off('unhandledRejection', onRejection)
  })

  it('fails with an error naming the MongoDB URL (password hidden) and leaves no rejection behind', async () => {
    await expect(openJobStore({ mongodbUrl: 'mongodb://trickle:s3cret@127.0.0.1:1/trickle', connectTimeoutMs: 500 })).rejects.toThrow(
      /^job store unreachable at mongodb:\/\/trickle:\*\*\*@127\.0\.0\.1:1\/trickle: .*ECONNREFUSED/,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(rejections).toEqual([])
  })

  it('fails with an error naming the PostgreSQL URL (password hidden) and leaves no rejection behind', async () => {
    const error = await openJobStore({ databaseUrl: 'postgres://trickle:s3cret@127.0.0.1:1/trickle', connectTimeoutMs: 500 }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/^job store unreachable at postgres:\/\/trickle:\*\*\*@127\.0\.0\.1:1\/trickle: .*ECONNREFUSED/)
    expect((error as Error).message).not.toContain('s3cret')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(rejections).toEqual([])
  })

  it('redacts only the password of a URL', () => {
    expect(redactUrl('mongodb://u:p@h1:27017,h2:27017/db?x=1')).toBe('mongodb://u:***@h1:27017,h2:27017/db?x=1')
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/postgres')).toBe('postgres://postgres@127.0.0.1:5432/postgres')
  })
})
