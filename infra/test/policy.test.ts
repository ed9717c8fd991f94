import type { ResourceValidationArgs, ResourceValidationPolicy } from '@pulumi/policy'
import { beforeAll, describe, expect, it } from 'vitest'
import { policies } from '../policy/policies.ts'
import { runStack, type StackRun } from './harness.ts'

// The CrossGuard policy pack (infra/policy), run over every resource both stacks register under
// mocks: the real program passes, and a resource changed in the one way each policy forbids fails.
let stacks: StackRun[]
beforeAll(async () => {
  stacks = [
    await runStack('dev'),
    await runStack('prod'),
    await runStack('dev', { 'votelab:compute': 'eks' }),
    await runStack('prod', { 'votelab:compute': 'eks' }),
  ]
})

function violations(
  policy: ResourceValidationPolicy,
  type: string,
  props: object,
  stack = 'test',
): string[] {
  const found: string[] = []
  const validations = [policy.validateResource ?? []].flat()
  for (const validate of validations) {
    void validate(
      {
        type,
        props,
        urn: `urn:pulumi:${stack}::votelab::${type}::x`,
        name: 'x',
      } as unknown as ResourceValidationArgs,
      (message) => found.push(message),
    )
  }
  return found
}

const byName = (name: string) => {
  const found = policies.find((p) => p.name === name)
  if (!found) throw new Error(`no policy ${name}`)
  return found
}
/** The dev stack's inputs for a type; `{}` for types awsx creates out of the mocks' sight. */
const inputsOf = (type: string): Record<string, unknown> => stacks[0]?.ofType(type)[0]?.inputs ?? {}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

/** The service's inputs with its collector container changed (the task's sidecar). */
function changeCollector(
  props: Record<string, unknown>,
  change: (collector: Record<string, unknown>) => Record<string, unknown>,
): object {
  const definition = props.taskDefinitionArgs as {
    containers: Record<string, Record<string, unknown>>
  }
  return {
    ...props,
    taskDefinitionArgs: {
      ...definition,
      containers: {
        ...definition.containers,
        collector: change(definition.containers.collector ?? {}),
      },
    },
  }
}

describe('the policy pack', () => {
  it('passes every resource of the dev and prod programs, and each policy meets a resource it checks', () => {
    for (const policy of policies) {
      let checked = 0
      for (const stack of stacks) {
        for (const resource of stack.resources) {
          expect(
            violations(policy, resource.type, resource.inputs),
            `${policy.name} ${resource.name}`,
          ).toEqual([])
          // A probe: would a resource of this type be checked at all?
          if (violations(policy, resource.type, { __probe: true }).length > 0) checked += 1
        }
      }
      if (
        policy.name !== 'no-ingress-from-anywhere' &&
        policy.name !== 'no-wildcard-admin' &&
        policy.name !== 'no-secrets-in-environment' &&
        policy.name !== 'containers-read-only'
      ) {
        expect(checked, policy.name).toBeGreaterThan(0)
      }
    }
  })

  const violating: [string, string, (props: Record<string, unknown>) => object][] = [
    [
      'rds-private-encrypted-managed-password',
      'aws:rds/instance:Instance',
      (p) => ({ ...p, publiclyAccessible: true }),
    ],
    [
      'rds-private-encrypted-managed-password',
      'aws:rds/instance:Instance',
      (p) => ({ ...p, storageEncrypted: false }),
    ],
    [
      'rds-private-encrypted-managed-password',
      'aws:rds/instance:Instance',
      (p) => ({ ...p, manageMasterUserPassword: false, password: 'hunter2hunter2' }),
    ],
    [
      'rds-backups-enabled',
      'aws:rds/instance:Instance',
      (p) => ({ ...p, backupRetentionPeriod: 0 }),
    ],
    [
      'no-ingress-from-anywhere',
      'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
      (p) => ({ ...p, prefixListId: undefined, cidrIpv4: '0.0.0.0/0' }),
    ],
    [
      'no-ingress-from-anywhere',
      'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
      (p) => ({ ...p, cidrIpv6: '::/0' }),
    ],
    [
      'https-only-on-cloudfront',
      'aws:cloudfront/distribution:Distribution',
      (p) => ({
        ...p,
        defaultCacheBehavior: {
          ...(p.defaultCacheBehavior as object),
          viewerProtocolPolicy: 'allow-all',
        },
      }),
    ],
    [
      'log-retention',
      'aws:cloudwatch/logGroup:LogGroup',
      (p) => ({ ...p, retentionInDays: undefined }),
    ],
    [
      's3-public-access-blocked',
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
      (p) => ({ ...p, restrictPublicBuckets: false }),
    ],
    [
      'no-secrets-in-environment',
      'aws:ecs/taskDefinition:TaskDefinition',
      () => ({
        containerDefinitions: JSON.stringify([
          { name: 'api', environment: [{ name: 'DATABASE_PASSWORD', value: 'x' }] },
        ]),
      }),
    ],
    [
      'no-secrets-in-environment',
      'awsx:ecs:FargateService',
      // The collector's container, as any sidecar could.
      (p) =>
        changeCollector(p, (collector) => ({
          ...collector,
          environment: [...asArray(collector.environment), { name: 'AUTH_TOKEN', value: 'x' }],
        })),
    ],
    [
      'containers-read-only',
      'awsx:ecs:FargateService',
      (p) => changeCollector(p, (collector) => ({ ...collector, readonlyRootFilesystem: false })),
    ],
    [
      'no-wildcard-admin',
      'aws:iam/rolePolicy:RolePolicy',
      (p) => ({
        ...p,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    ],
  ]
  it.each(violating)('%s reports a %s changed the way it forbids', (name, type, change) => {
    expect(violations(byName(name), type, change(inputsOf(type))).length).toBeGreaterThan(0)
  })

  it('eks-endpoint-private: no public endpoint in prod, none open to all, none without the private one', () => {
    const eks = byName('eks-endpoint-private')
    const cluster = stacks[3]?.one('eks:index:Cluster').inputs ?? {}
    const named = { ...cluster, endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.7/32'] }
    expect(violations(eks, 'eks:index:Cluster', named, 'dev')).toEqual([])
    expect(violations(eks, 'eks:index:Cluster', named, 'prod')).toEqual([
      'prod keeps its Kubernetes API endpoint private',
    ])
    expect(
      violations(eks, 'eks:index:Cluster', { ...named, publicAccessCidrs: ['0.0.0.0/0'] }, 'dev'),
    ).toHaveLength(1)
    // @pulumi/eks's default is a public endpoint: leaving it out is not private.
    expect(
      violations(eks, 'eks:index:Cluster', { ...cluster, endpointPublicAccess: undefined }, 'dev'),
    ).toHaveLength(1)
    expect(
      violations(
        eks,
        'aws:eks/cluster:Cluster',
        { vpcConfig: { endpointPrivateAccess: false, endpointPublicAccess: false } },
        'dev',
      ),
    ).toHaveLength(1)
  })
})
