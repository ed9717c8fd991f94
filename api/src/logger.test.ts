import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from './logger.ts'

describe('createLogger', () => {
  it('logs a pg error without the client pg hangs on it (connection parameters, password)', () => {
    const lines: string[] = []
    const logger = createLogger('warn', { write: (line: string) => lines.push(line) })
    const error = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { connectionParameters: { user: 'votelab', password: 'hunter2-secret' } },
    })
    logger.warn({ err: error }, 'idle database connection lost')
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown>; msg: string }
    expect(line.msg).toBe('idle database connection lost')
    expect(line.err).toMatchObject({ message: error.message, code: '57P01', type: 'Error' })
    expect(lines[0]).not.toContain('hunter2-secret')
    expect(lines[0]).not.toContain('connectionParameters')
  })

  it('prints one short line per request for people (pretty), secrets still redacted (issue 18, item 8)', () => {
    const lines: string[] = []
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const logger = createLogger('info', out, 'pretty')
    logger.info(
      { requestId: 'r-1', method: 'GET', path: '/api/polls', status: 200, ms: 4 },
      'request',
    )
    logger.warn({ user: { password: 'hunter2-secret' } }, 'something to look at')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/polls 200 4 ms\n$/)
    expect(lines[1]).toContain('WARN: something to look at')
    expect(lines[1]).not.toContain('hunter2-secret')
    expect(() => JSON.parse(lines[0] ?? '') as unknown).toThrow()
  })
})
