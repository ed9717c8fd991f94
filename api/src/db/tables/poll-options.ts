import type { Generated } from 'kysely'

export interface PollOptionsTable {
  id: Generated<string>
  poll_id: string
  label: string
  position: number
}
