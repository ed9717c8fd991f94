import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cognitoGroupSize } from './group-size.ts'

// AWS itself cannot be reached here: a stand-in speaks Cognito's JSON protocol on 127.0.0.1, so
// the real SDK signs, sends, pages and parses as it would against cognito-idp.<region>.
const MEMBERS = 130
const requests: { target: string | undefined; body: Record<string, unknown>; signed: boolean }[] =
  []
const server = createServer((req, res) => {
  void readJson(req).then((body) => {
    requests.push({
      target: req.headers['x-amz-target'] as string | undefined,
      body,
      signed: /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\//.test(req.headers.authorization ?? ''),
    })
    if (body.GroupName === 'missing') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Group not found.' }))
      return
    }
    const from = Number(body.NextToken ?? 0)
    const to = Math.min(MEMBERS, from + Number(body.Limit))
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
    res.end(
      JSON.stringify({
        Users: Array.from({ length: to - from }, (_, i) => ({
          Username: `user-${String(from + i)}`,
        })),
        ...(to < MEMBERS ? { NextToken: String(to) } : {}),
      }),
    )
  })
})

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>
}

let endpoint: string
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDSTANDIN'
  process.env.AWS_SECRET_ACCESS_KEY = 'stand-in-secret'
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  endpoint = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
})
afterAll(() => {
  delete process.env.AWS_ACCESS_KEY_ID
  delete process.env.AWS_SECRET_ACCESS_KEY
  server.close()
})

describe('counting a Cognito group', () => {
  it('pages through ListUsersInGroup, signed, for the pool and group asked', async () => {
    const size = cognitoGroupSize({ userPoolId: 'eu-west-1_AbC123', endpoint })
    expect(await size('staff')).toBe(MEMBERS)
    expect(requests.map((request) => request.body.NextToken ?? null)).toEqual([null, '60', '120'])
    for (const request of requests) {
      expect(request).toMatchObject({
        target: 'AWSCognitoIdentityProviderService.ListUsersInGroup',
        body: { UserPoolId: 'eu-west-1_AbC123', GroupName: 'staff', Limit: 60 },
        signed: true,
      })
    }
  })

  it('fails (the close then records no count) when Cognito refuses', async () => {
    const size = cognitoGroupSize({ userPoolId: 'eu-west-1_AbC123', endpoint })
    await expect(size('missing')).rejects.toThrow('Group not found.')
  })
})
