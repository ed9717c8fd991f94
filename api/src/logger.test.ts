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
})
