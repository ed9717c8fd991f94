import { parse } from 'csv-parse/sync'
import { mailboxOf } from '../auth/mailbox.ts'
import { MAX_ROLL_ENTRIES } from './schemas.ts'

/** Largest roll upload: 100,000 addresses of up to 80 characters. */
export const MAX_ROLL_BYTES = 8 * 1024 * 1024

const HEADER = /^(e-?mail|e-?mail address|address)$/i
const MAX_REPORTED = 20

export type RollFile =
  | { ok: true; mailboxes: string[]; entries: number }
  | { ok: false; message: string; details: { path: string; message: string }[] }

/**
 * A roll as admins have it: one address per line, or a spreadsheet's CSV export with an `email`
 * column (any other columns are ignored). Every entry must be an address; a file with mistakes is
 * refused whole, naming the lines, so no one is silently left off.
 */
export function readRollFile(text: string): RollFile {
  let records: string[][]
  try {
    records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      // Files pasted together from several sources mix line endings.
      record_delimiter: ['\r\n', '\n', '\r'],
    })
  } catch (error) {
    return {
      ok: false,
      message: `The file is not readable as CSV: ${(error as Error).message}`,
      details: [],
    }
  }
  let column = 0
  let firstLine = 0
  const header = records[0]?.findIndex((cell) => HEADER.test(cell)) ?? -1
  if (header >= 0) {
    column = header
    firstLine = 1
  }
  const entries = records.length - firstLine
  if (entries > MAX_ROLL_ENTRIES) {
    return {
      ok: false,
      message: `A roll has at most ${MAX_ROLL_ENTRIES.toLocaleString('en')} entries; this file has ${entries.toLocaleString('en')}`,
      details: [],
    }
  }
  const mailboxes = new Set<string>()
  const problems: { path: string; message: string }[] = []
  let wrong = 0
  for (let index = firstLine; index < records.length; index += 1) {
    const cell = records[index]?.[column] ?? ''
    const mailbox = mailboxOf(cell)
    if (mailbox) {
      mailboxes.add(mailbox)
      continue
    }
    wrong += 1
    if (problems.length < MAX_REPORTED) {
      problems.push({
        path: `record ${String(index + 1)}`,
        message: cell ? `not an email address: ${JSON.stringify(cell.slice(0, 80))}` : 'empty',
      })
    }
  }
  if (wrong > 0) {
    return {
      ok: false,
      message: `${String(wrong)} of ${String(entries)} entries are not email addresses; nothing was stored`,
      details: problems,
    }
  }
  return { ok: true, mailboxes: [...mailboxes], entries }
}
