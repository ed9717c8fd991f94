import { beforeAll, describe, expect, it } from 'vitest'
import { runStack, type StackRun } from './harness.ts'

// Issue 14, finding 5: with a self-managed (S3) state backend, the pipeline roles must reach the
// state — deploy to read and write it, preview to read it and take Pulumi's lock — and no more.
let stack: StackRun
beforeAll(async () => {
  stack = await runStack('dev', { 'votelab:stateBucket': 'my-pulumi-state' })
})

interface Statement {
  Sid?: string
  Action: string | string[]
  Resource: string | string[]
}
const policyOf = (name: string) =>
  (
    JSON.parse(String(stack.one('aws:iam/rolePolicy:RolePolicy', name).inputs.policy)) as {
      Statement: Statement[]
    }
  ).Statement.filter((statement) => JSON.stringify(statement.Resource).includes('my-pulumi-state'))

describe('an S3 state backend', () => {
  it('lets deploy read and write the state under .pulumi/, and list the bucket', () => {
    expect(policyOf('pipeline-deploy-policy')).toEqual([
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::my-pulumi-state',
      }),
      expect.objectContaining({
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::my-pulumi-state/.pulumi/*',
      }),
      expect.objectContaining({
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: 'arn:aws:s3:::my-pulumi-state/.pulumi/*',
      }),
    ])
  })

  it('lets preview read the state and write only its lock', () => {
    const statements = policyOf('pipeline-preview-policy')
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: 'arn:aws:s3:::my-pulumi-state/.pulumi/locks/*',
      }),
    )
    const writes = statements.filter((s) => JSON.stringify(s.Action).includes('Put'))
    expect(writes.map((s) => s.Resource)).toEqual(['arn:aws:s3:::my-pulumi-state/.pulumi/locks/*'])
  })
})
