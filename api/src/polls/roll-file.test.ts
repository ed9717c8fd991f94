import { describe, expect, it } from 'vitest'
import { readRollFile } from './roll-file.ts'

describe('readRollFile', () => {
  it('reads one address per line, folding case, tags and repeats into mailboxes', () => {
    const file = readRollFile('ada@example.org\r\nGrace@Example.org\n\nada+polls@example.org\n')
    expect(file).toEqual({
      ok: true,
      mailboxes: ['ada@example.org', 'grace@example.org'],
      entries: 3,
    })
  })

  it('reads a spreadsheet export by its email column, whatever else it has', () => {
    const csv =
      '\uFEFFName,"E-mail",Team\n"Lovelace, Ada",ada@example.org,x\nGrace,grace@example.org\n'
    expect(readRollFile(csv)).toEqual({
      ok: true,
      mailboxes: ['ada@example.org', 'grace@example.org'],
      entries: 2,
    })
  })

  it('refuses a file with mistakes whole, naming them', () => {
    const file = readRollFile('ada@example.org\nnot an address\n,\ngrace@example.org\n')
    expect(file.ok).toBe(false)
    if (file.ok) return
    expect(file.message).toBe('2 of 4 entries are not email addresses; nothing was stored')
    expect(file.details).toEqual([
      { path: 'record 2', message: 'not an email address: "not an address"' },
      { path: 'record 3', message: 'empty' },
    ])
  })

  it('refuses more than 100,000 entries', () => {
    const file = readRollFile(
      Array.from({ length: 100_001 }, (_, i) => `v${String(i)}@example.org`).join('\n'),
    )
    expect(file.ok).toBe(false)
    expect(file.ok ? '' : file.message).toContain('100,001')
  })

  it('refuses what is not CSV at all', () => {
    expect(readRollFile('"unterminated\n')).toMatchObject({ ok: false })
    expect(readRollFile('')).toEqual({ ok: true, mailboxes: [], entries: 0 })
  })
})
