import { runInNewContext } from 'node:vm'
import * as pulumi from '@pulumi/pulumi'
import { describe, expect, it } from 'vitest'
import { DEFAULT_COLLECTOR_IMAGE, readConfig } from '../src/config.ts'
import { ecsServiceRules } from '../src/service.ts'
import { cacheControlFor } from '../src/site-content.ts'
import { spaRoutingFunctionCode } from '../src/spa-routing.ts'

describe('the CloudFront routing function', () => {
  // The very source CloudFront runs, in a context of its own (no Node globals, like CloudFront).
  const handler = runInNewContext(`${spaRoutingFunctionCode}; handler`) as (event: {
    request: { uri: string }
  }) => { uri: string }
  const route = (uri: string) => handler({ request: { uri } }).uri

  it('serves index.html for the routes of the page', () => {
    for (const uri of [
      '/',
      '/polls/00000000-0000-4000-8000-000000000001',
      '/callback',
      '/admin/',
    ]) {
      expect(route(uri)).toBe('/index.html')
    }
  })

  it('leaves files alone', () => {
    for (const uri of ['/config.json', '/assets/index-AbC123.js', '/favicon.svg']) {
      expect(route(uri)).toBe(uri)
    }
  })
})

describe('site files', () => {
  it('caches fingerprinted assets for good and revalidates the rest', () => {
    expect(cacheControlFor('assets/index-AbC123.js')).toBe('public, max-age=31536000, immutable')
    expect(cacheControlFor('index.html')).toBe('no-cache')
    expect(cacheControlFor('favicon.svg')).toBe('no-cache')
  })
})

describe('ecsServiceRules', () => {
  it('keeps the autoscaled task count and deletes before replacing the ECS service awsx creates, and touches nothing else', async () => {
    const service = await ecsServiceRules({
      type: 'aws:ecs/service:Service',
      name: 'api',
      custom: true,
      props: { desiredCount: 2 },
      opts: { ignoreChanges: ['tags'] },
    })
    expect(service?.opts.ignoreChanges).toEqual(['tags', 'desiredCount'])
    expect(service?.opts).toMatchObject({ deleteBeforeReplace: true })
    expect(service?.props).toEqual({ desiredCount: 2 })
    const other = await ecsServiceRules({
      type: 'aws:ecs/taskDefinition:TaskDefinition',
      name: 'api',
      custom: true,
      props: {},
      opts: {},
    })
    expect(other).toBeUndefined()
  })
})

describe('readConfig', () => {
  // Every stack's file tags its resources with the stack's name (these tests run as "stack"),
  // and every deploy names its image.
  const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/votelab-stack-image-repository-x@sha256:${'0'.repeat(64)}`
  const always = {
    'aws:defaultTags': JSON.stringify({ tags: { stack: 'stack' } }),
    'votelab:image': image,
  }
  const withConfig = (values: Record<string, string>) => {
    pulumi.runtime.setAllConfig({ ...always, ...values })
    return readConfig()
  }

  it('fills the lab defaults around the required settings', () => {
    const config = withConfig({
      'votelab:githubRepository': 'me/votelab',
      'votelab:signInExtraOrigins': '["http://localhost:3000"]',
    })
    expect(config).toMatchObject({
      natGateways: 'Single',
      availabilityZones: 2,
      database: { multiAz: false, instanceClass: 'db.t4g.micro', deletionProtection: false },
      service: { minTasks: 1, maxTasks: 2 },
      pipeline: { githubRepository: 'me/votelab', deploySubjects: ['environment:stack'] },
    })
  })

  it('trusts laptop origins for sign-in by default in dev only (issue 14, finding 9)', () => {
    // These tests run as stack "stack": not dev, so the origins must be named.
    expect(() => withConfig({ 'votelab:githubRepository': 'me/v' })).toThrow(
      /signInExtraOrigins must be set for stack "stack"/,
    )
    expect(
      withConfig({ 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }).signIn
        .extraOrigins,
    ).toEqual([])
    expect(() =>
      withConfig({
        'votelab:githubRepository': 'me/v',
        'votelab:signInExtraOrigins': '["localhost:3000"]',
      }),
    ).toThrow(/not an absolute URL/)
  })

  it('ships telemetry to CloudWatch by default, a few traces in a hundred, and refuses a ratio outside 0–1', () => {
    const valid = { 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }
    expect(withConfig(valid).telemetry).toEqual({
      mode: 'cloudwatch',
      traceSampleRatio: 0.05,
      collectorImage: DEFAULT_COLLECTOR_IMAGE,
    })
    expect(withConfig({ ...valid, 'votelab:telemetry': 'off' }).telemetry.mode).toBe('off')
    expect(() => withConfig({ ...valid, 'votelab:telemetry': 'xray' })).toThrow(
      /votelab:telemetry must be one of cloudwatch, off/,
    )
    expect(() => withConfig({ ...valid, 'votelab:traceSampleRatio': '5' })).toThrow(
      /traceSampleRatio must be between 0 and 1 \(got 5\)/,
    )
  })

  it('lets a stack choose who signs up (open, invite only, listed domains), and refuses the rest', () => {
    const valid = { 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }
    expect(withConfig(valid).signIn.signUp).toEqual({ policy: 'open' })
    expect(withConfig({ ...valid, 'votelab:signUp': 'invite' }).signIn.signUp).toEqual({
      policy: 'invite',
    })
    expect(
      withConfig({
        ...valid,
        'votelab:signUp': 'domains',
        'votelab:signUpDomains': '["example.org"]',
      }).signIn.signUp,
    ).toEqual({ policy: 'domains', domains: ['example.org'] })
    expect(() => withConfig({ ...valid, 'votelab:signUp': 'anyone' })).toThrow(
      /votelab:signUp must be one of open, invite, domains \(got "anyone"\)/,
    )
    expect(() => withConfig({ ...valid, 'votelab:signUp': 'domains' })).toThrow(
      /needs votelab:signUpDomains/,
    )
    expect(() =>
      withConfig({
        ...valid,
        'votelab:signUp': 'domains',
        'votelab:signUpDomains': '["example.org", "not a domain"]',
      }),
    ).toThrow(/"not a domain" is not a domain/)
    expect(() => withConfig({ ...valid, 'votelab:signUpDomains': '["example.org"]' })).toThrow(
      /only with votelab:signUp domains/,
    )
  })

  it('refuses settings that would build something broken, naming the key', () => {
    expect(() => withConfig({ 'votelab:githubRepository': 'votelab' })).toThrow(/githubRepository/)
    expect(() =>
      withConfig({ 'votelab:githubRepository': 'me/v', 'votelab:natGateways': 'None' }),
    ).toThrow(/natGateways must be one of Single, OnePerAz/)
    expect(() =>
      withConfig({
        'votelab:githubRepository': 'me/v',
        'votelab:minTasks': '3',
        'votelab:maxTasks': '2',
      }),
    ).toThrow(/maxTasks must be an integer ≥ 3/)
    expect(() =>
      withConfig({ 'votelab:githubRepository': 'me/v', 'votelab:availabilityZones': '1' }),
    ).toThrow(/availabilityZones/)
  })

  it("refuses a stack whose resources would not carry the stack's name (the pipeline's guard reads it)", () => {
    const valid = { 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }
    for (const defaultTags of ['{}', JSON.stringify({ tags: { stack: 'dev' } })]) {
      expect(() => withConfig({ ...valid, 'aws:defaultTags': defaultTags })).toThrow(
        /aws:defaultTags must tag every resource with stack: stack/,
      )
    }
    expect(withConfig(valid).stack).toBe('stack')
  })

  it('names the database so its log group can exist first, and refuses a name RDS would refuse', () => {
    const valid = { 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }
    expect(withConfig(valid).database.identifier).toBe('project-stack-postgres')
    expect(
      withConfig({ ...valid, 'votelab:dbIdentifier': 'votelab-dev-a1b2c3' }).database.identifier,
    ).toBe('votelab-dev-a1b2c3')
    for (const bad of ['1db', 'db--x', 'db-', 'DB', 'x'.repeat(64)]) {
      expect(() => withConfig({ ...valid, 'votelab:dbIdentifier': bad }), bad).toThrow(
        /votelab:dbIdentifier must be/,
      )
    }
  })

  it('deploys an image by digest only, never a tag and never a build (issue 14, finding 2)', () => {
    const valid = { 'votelab:githubRepository': 'me/v', 'votelab:signInExtraOrigins': '[]' }
    expect(withConfig(valid).image).toEqual({ kind: 'digest', reference: image })
    expect(() => withConfig({ ...valid, 'votelab:image': '' })).toThrow(
      /VOTELAB_IMAGE must name the image to deploy by digest: `pnpm image:publish stack`/,
    )
    expect(() =>
      withConfig({ ...valid, 'votelab:image': image.replace(/@sha256:.*/, ':0123456789ab') }),
    ).toThrow(/not a tag/)
    expect(withConfig({ ...valid, 'votelab:image': 'repository-only' }).image).toEqual({
      kind: 'repositoryOnly',
    })
  })
})
