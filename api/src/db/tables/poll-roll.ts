/**
 * A poll's voter roll: the mailboxes (auth/mailbox.ts) that may vote in it. Nothing here changes
 * when someone votes, so the roll says nothing about who did.
 */
export interface PollRollTable {
  poll_id: string
  mailbox: string
}
