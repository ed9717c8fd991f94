import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as pulumi from '@pulumi/pulumi'
import { parse } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ACCOUNT = '123456789012'
export const REGION = 'eu-west-1'
export const CLOUDFRONT_PREFIX_LIST = 'pl-4fa04526'
/** The image `pnpm image:publish` pushed: the mocked repository's URL plus this digest. */
export const IMAGE_DIGEST = `sha256:${'5e'.repeat(32)}`
export const imageOf = (stack: string) =>
  `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/votelab-${stack}-image-repository-abc1234@${IMAGE_DIGEST}`
export const GITHUB_OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`

export const EKS_OIDC_ID = 'EXAMPLED539D4633E53DE1B71EXAMPLE'
/** The security group EKS makes for a cluster (its nodes and pods use it). */
export const EKS_CLUSTER_SECURITY_GROUP = 'sg-0eks0cluster'

/** One resource the program registered, with the inputs it asked for. */
export interface Registered {
  type: string
  name: string
  custom: boolean
  inputs: Record<string, unknown>
  /** What the mocked provider answered: inputs plus the values AWS would compute (ARNs, names). */
  state: Record<string, unknown>
  /** Transforms passed with the resource (how rules reach awsx's hidden children). */
  transforms: number
  /** The URN the engine gives it (what `pulumi up --target` names). */
  urn: string
  /** Resource options mocks never see, captured as the program passed them. */
  options: {
    deleteBeforeReplace: boolean
    ignoreChanges: string[]
    /** The resources named in `dependsOn`, as `type::name`. */
    dependsOn: string[]
  }
}

export interface StackRun {
  resources: Registered[]
  outputs: Record<string, unknown>
  ofType(type: string): Registered[]
  one(type: string, nameIncludes?: string): Registered
}

/** Values AWS would compute, so outputs that flow between components look like the real thing. */
function computed(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const arn = `arn:aws:${type.split(':')[1]?.split('/')[0] ?? 'x'}:${REGION}:${ACCOUNT}:${name}`
  switch (type) {
    case 'awsx:ec2:Vpc':
      return {
        vpcId: 'vpc-0abc',
        publicSubnetIds: ['subnet-public-a', 'subnet-public-b'],
        privateSubnetIds: ['subnet-private-a', 'subnet-private-b'],
      }
    // @pulumi/eks's cluster: a component whose children never register under mocks; these are
    // the outputs the program reads.
    case 'eks:index:Cluster': {
      const issuer = `oidc.eks.${REGION}.amazonaws.com/id/${EKS_OIDC_ID}`
      const clusterName = typeof inputs.name === 'string' ? inputs.name : name
      return {
        oidcIssuer: issuer,
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}`,
        clusterSecurityGroupId: EKS_CLUSTER_SECURITY_GROUP,
        nodeSecurityGroupId: EKS_CLUSTER_SECURITY_GROUP,
        kubeconfigJson: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [] }),
        eksCluster: {
          name: clusterName,
          arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${clusterName}`,
        },
      }
    }
    case 'aws:rds/instance:Instance': {
      const identifier = typeof inputs.identifier === 'string' ? inputs.identifier : name
      return {
        arn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${identifier}`,
        identifier,
        address: `${name}.cxyz.${REGION}.rds.amazonaws.com`,
        port: 5432,
        endpoint: `${name}.cxyz.${REGION}.rds.amazonaws.com:5432`,
        masterUserSecrets: [
          {
            secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCd`,
            secretStatus: 'active',
          },
        ],
      }
    }
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        arn,
        arnSuffix: `app/${name}/abc`,
        dnsName: `internal-${name}.${REGION}.elb.amazonaws.com`,
      }
    case 'aws:cognito/userPool:UserPool':
      return { arn: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_AbC123` }
    case 'aws:lb/targetGroup:TargetGroup':
      return { arn, arnSuffix: `targetgroup/${name}/def` }
    case 'aws:cloudfront/distribution:Distribution':
      return {
        arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/E${name.length}ABCDEF`,
        domainName: 'd111111abcdef8.cloudfront.net',
      }
    case 'aws:s3/bucket:Bucket':
      return {
        arn: `arn:aws:s3:::${name}-abc1234`,
        bucket: `${name}-abc1234`,
        bucketRegionalDomainName: `${name}-abc1234.s3.${REGION}.amazonaws.com`,
      }
    case 'aws:ecr/repository:Repository':
      return {
        arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}-abc1234`,
        name: `${name}-abc1234`,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}-abc1234`,
      }
    case 'aws:iam/role:Role':
    case 'aws:iam/policy:Policy': {
      const kind = type === 'aws:iam/role:Role' ? 'role' : 'policy'
      const path = typeof inputs.path === 'string' ? inputs.path : '/'
      return {
        arn: `arn:aws:iam::${ACCOUNT}:${kind}${path}${name}-abc1234`,
        name: `${name}-abc1234`,
      }
    }
    case 'aws:cloudfront/vpcOrigin:VpcOrigin':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:vpcorigin/vo_${name}` }
    case 'aws:cloudfront/function:Function':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:function/${name}-abc1234` }
    case 'aws:cloudfront/originAccessControl:OriginAccessControl':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:origin-access-control/E${name}` }
    case 'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:response-headers-policy/${name}-id` }
    case 'aws:ecs/cluster:Cluster':
      return { arn, name: `${name}-abc1234` }
    case 'aws:cloudwatch/logGroup:LogGroup':
      return {
        arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}-abc1234`,
        name: `${name}-abc1234`,
      }
    default:
      return { arn, name: inputs.name ?? `${name}-abc1234` }
  }
}

/** Turns a stack file's `config:` into what the Pulumi CLI would hand the program. */
export function stackConfig(
  stack: string,
  overrides: Record<string, unknown>,
): Record<string, string> {
  const file = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>
  }
  return Object.fromEntries(
    Object.entries({ ...file.config, ...overrides }).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  )
}

/** A stand-in for `web/dist`: the program uploads whatever the build produced. */
export function fakeWebBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'votelab-web-dist-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>votelab</title>')
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)')
  writeFileSync(join(dir, 'assets', 'index-DeF456.css'), 'body{}')
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>')
  return dir
}

/**
 * Runs the program for one stack under Pulumi's mocks: no CLI, no cloud. Call once per test file
 * (the Pulumi runtime is per process, and vitest gives each file its own).
 */
export async function runStack(
  stack: 'dev' | 'prod',
  overrides: Record<string, unknown> = {},
  program: 'whole' | 'repositoryOnly' = 'whole',
): Promise<StackRun> {
  const resources: Registered[] = []
  // Options as the program passed them (the mocks see inputs only), read by a stack transformation.
  const options = new Map<
    string,
    { deleteBeforeReplace: boolean; ignoreChanges: string[]; dependsOn: unknown[] }
  >()
  const names = new Map<unknown, string>()
  const objects = new Map<string, pulumi.Resource>()
  const key = (type: string, name: string) => `${type}::${name}`
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>
        if (args.type === 'pulumi:pulumi:Stack') return { id: 'stack', state: {} }
        const state = { ...inputs, ...computed(args.type, args.name, inputs) }
        resources.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          inputs,
          state,
          urn: '',
          transforms: args.transforms?.length ?? 0,
          options: { deleteBeforeReplace: false, ignoreChanges: [], dependsOn: [] },
        })
        return { id: `${args.name}-id`, state }
      },
      call(args) {
        switch (args.token) {
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return {
              accountId: ACCOUNT,
              arn: `arn:aws:iam::${ACCOUNT}:user/test`,
              userId: 'AIDTEST',
            }
          case 'aws:index/getRegion:getRegion':
            return { name: REGION, region: REGION, id: REGION }
          case 'aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider':
            // The account's one provider, created once outside every stack.
            return { arn: GITHUB_OIDC_PROVIDER_ARN, url: 'token.actions.githubusercontent.com' }
          case 'aws:ec2/getManagedPrefixList:getManagedPrefixList':
            return {
              id: CLOUDFRONT_PREFIX_LIST,
              name: String((args.inputs as { name?: unknown }).name),
            }
          default:
            throw new Error(`the program made a call the tests do not expect: ${args.token}`)
        }
      },
    },
    'votelab',
    stack,
    false,
  )
  pulumi.runtime.setAllConfig(
    stackConfig(stack, {
      'votelab:webDistDir': fakeWebBuild(),
      'votelab:image': imageOf(stack),
      ...overrides,
    }),
  )

  const { readConfig } = await import('../src/config.ts')
  const { imageRepositoryOnly, votelab } = await import('../src/program.ts')
  const outputs = ((await pulumi.runtime.runInPulumiStack(() => {
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, key(args.type, args.name))
      objects.set(key(args.type, args.name), args.resource)
      const dependsOn = args.opts.dependsOn
      options.set(key(args.type, args.name), {
        deleteBeforeReplace: Boolean(
          (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
        ),
        ignoreChanges: args.opts.ignoreChanges ?? [],
        dependsOn: Array.isArray(dependsOn) ? dependsOn : dependsOn ? [dependsOn] : [],
      })
      return undefined
    })
    const config = readConfig()
    return Promise.resolve(
      program === 'whole' ? votelab(config, { root: ROOT }) : imageRepositoryOnly(config),
    )
  })) ?? {}) as Record<string, unknown>
  // Resources no output depends on (alarms, uploads) register later: wait for every RPC.
  await pulumi.runtime.disconnect()
  for (const resource of resources) {
    // Set on the resource after the transformation ran: read it once all have registered.
    const registered = objects.get(key(resource.type, resource.name))
    if (registered) resource.urn = await resolve(registered.urn)
    const captured = options.get(key(resource.type, resource.name))
    if (!captured) continue
    resource.options = {
      deleteBeforeReplace: captured.deleteBeforeReplace,
      ignoreChanges: captured.ignoreChanges,
      dependsOn: captured.dependsOn.map((dependency) => names.get(dependency) ?? '?'),
    }
  }
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((resource) => resource.type === type),
    one(type, nameIncludes = '') {
      const found = resources.filter((r) => r.type === type && r.name.includes(nameIncludes))
      if (found.length !== 1)
        throw new Error(
          `expected one ${type} named *${nameIncludes}*, found ${String(found.length)}`,
        )
      return found[0] as Registered
    },
  }
}

/** The plain value behind an output (or an input that may be one). */
export function resolve<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((done) => {
    pulumi.output(value).apply((plain) => {
      done(plain)
      return plain
    })
  })
}
