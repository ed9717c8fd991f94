import {
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider'
import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

/**
 * How many accounts a group has, for a group poll's turnout at close; undefined when the identity
 * provider cannot say. Counted once per close, never per vote.
 */
export type GroupSize = (group: string) => Promise<number | undefined>

/** The local provider's accounts. */
export function localGroupSize(db: Db): GroupSize {
  return async (group) => {
    const row = await db
      .selectFrom('local_users')
      .select((eb) => eb.fn.countAll<number | string>().as('members'))
      .where(sql<boolean>`${group} = any(groups)`)
      .executeTakeFirstOrThrow()
    return Number(row.members)
  }
}

export interface CognitoGroupSizeOptions {
  userPoolId: string
  /** Another endpoint than AWS's (tests: a stand-in speaking Cognito's JSON protocol). */
  endpoint?: string
  /** Longest the whole count may take: closing a poll does not wait on Cognito for long. */
  timeoutMs?: number
}

/**
 * A Cognito user pool's group, counted with ListUsersInGroup (60 a page), with the task role's
 * credentials (infra grants exactly this action on exactly this pool).
 */
export function cognitoGroupSize({
  userPoolId,
  endpoint,
  timeoutMs = 5_000,
}: CognitoGroupSizeOptions): GroupSize {
  const region = userPoolId.split('_')[0]
  const client = new CognitoIdentityProviderClient({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
  })
  return async (group) => {
    const signal = AbortSignal.timeout(timeoutMs)
    let members = 0
    let nextToken: string | undefined
    do {
      const page = await client.send(
        new ListUsersInGroupCommand({
          UserPoolId: userPoolId,
          GroupName: group,
          Limit: 60,
          NextToken: nextToken,
        }),
        { abortSignal: signal },
      )
      members += page.Users?.length ?? 0
      nextToken = page.NextToken
    } while (nextToken)
    return members
  }
}
