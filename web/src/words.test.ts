import { describe, expect, it } from 'vitest'
import { counted } from './words.ts'

describe('counted', () => {
  it('says one ballot, and every other count in the plural (issue 18, item 10)', () => {
    expect(counted(1, 'ballot', 'ballots')).toBe('1 ballot')
    expect(counted(0, 'ballot', 'ballots')).toBe('0 ballots')
    expect(counted(2, 'entry', 'entries')).toBe('2 entries')
    expect(counted(12_345, 'entry', 'entries')).toBe('12,345 entries')
    expect(counted(1, 'person', 'people')).toBe('1 person')
  })
})
