import nodemailer from 'nodemailer'
import type { Db } from '../db/database.ts'

export interface Mail {
  to: string
  subject: string
  text: string
}

/** Sends the provider's mail: sign-up codes, invitations, "someone used your address". */
export interface Mailer {
  send(mail: Mail): Promise<void>
  /** Where a person reads mail that never left this machine (the development mailbox), if so. */
  readonly mailboxUrl: string | undefined
}

/** Through a real SMTP server (nodemailer): `smtp://user:pass@host:587` or `smtps://…`. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url)
  return {
    mailboxUrl: undefined,
    async send({ to, subject, text }) {
      await transport.sendMail({ from, to, subject, text })
    },
  }
}

/**
 * Into the database, for a laptop without a mail server: every replica writes to one mailbox, and
 * `/auth/dev/mailbox` shows it (mounted only where DEV_MAILBOX allows). Keeps the newest 500.
 */
export function developmentMailbox(db: Db, mailboxUrl: string): Mailer {
  return {
    mailboxUrl,
    async send({ to, subject, text }) {
      await db.insertInto('dev_mail').values({ recipient: to, subject, body: text }).execute()
      await db
        .deleteFrom('dev_mail')
        .where('id', '<', (eb) =>
          eb.selectFrom('dev_mail').select('id').orderBy('id', 'desc').offset(500).limit(1),
        )
        .execute()
    },
  }
}

export interface StoredMail {
  recipient: string
  subject: string
  body: string
  sentAt: Date
}

/** The development mailbox's newest mail, for one address or all. */
export async function readDevelopmentMailbox(
  db: Db,
  { to, limit = 50 }: { to?: string | undefined; limit?: number } = {},
): Promise<StoredMail[]> {
  let query = db
    .selectFrom('dev_mail')
    .select(['recipient', 'subject', 'body', 'sent_at as sentAt'])
    .orderBy('id', 'desc')
    .limit(limit)
  if (to) query = query.where('recipient', '=', to)
  return query.execute()
}
