import type { ReportViolation, ResourceValidationPolicy } from '@pulumi/policy'

// The security invariants of the program as Pulumi CrossGuard policies, so a real `pulumi
// preview`/`up` is gated by the same rules the mock tests check (index.ts packs them; CI passes
// the pack with `--policy-pack infra/policy`). Each takes the resource's inputs as the program
// passed them. Plain functions over plain data: tests run them without the Pulumi CLI.

type Props = Record<string, unknown>

const OPEN_TO_ALL = new Set(['0.0.0.0/0', '::/0'])
/** Environment names that must come from `secrets`, never `environment`. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL/i

function policy(
  name: string,
  description: string,
  type: string | ((type: string) => boolean),
  check: (props: Props, report: ReportViolation) => void,
): ResourceValidationPolicy {
  const applies = typeof type === 'string' ? (t: string) => t === type : type
  return {
    name,
    description,
    enforcementLevel: 'mandatory',
    validateResource: (args, report) => {
      if (applies(args.type)) check(args.props as Props, report)
    },
  }
}

interface Statement {
  Effect?: string
  Action?: string | string[]
  Resource?: string | string[]
}
const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

const isTaskDefinition = (type: string) =>
  type === 'awsx:ecs:FargateService' || type === 'aws:ecs/taskDefinition:TaskDefinition'

/** A task's containers, as awsx's service (one, or a map) or a plain task definition has them. */
function containersOf(props: Props): Props[] {
  const definition = props.taskDefinitionArgs as Props | undefined
  if (definition) {
    return [
      ...asList<Props>(definition.container as Props | undefined),
      ...Object.values((definition.containers ?? {}) as Record<string, Props>),
    ]
  }
  return typeof props.containerDefinitions === 'string'
    ? (JSON.parse(props.containerDefinitions) as Props[])
    : []
}

export const policies: ResourceValidationPolicy[] = [
  policy(
    'rds-private-encrypted-managed-password',
    'Postgres is not publicly accessible, its storage is encrypted, and RDS keeps its password in Secrets Manager.',
    'aws:rds/instance:Instance',
    (props, report) => {
      if (props.publiclyAccessible === true) report('the database must not be publicly accessible')
      if (props.storageEncrypted !== true) report('the database storage must be encrypted')
      if (props.manageMasterUserPassword !== true || props.password !== undefined) {
        report('the master password must be managed by RDS in Secrets Manager, never set in code')
      }
    },
  ),
  // After @pulumi/awsguard's rds-instance-backup-enabled (that package is not used: see
  // infra/README.md, "Tests").
  policy(
    'rds-backups-enabled',
    'Postgres keeps automated backups (point-in-time recovery) for at least a day.',
    'aws:rds/instance:Instance',
    (props, report) => {
      if (typeof props.backupRetentionPeriod !== 'number' || props.backupRetentionPeriod < 1) {
        report(
          'set backupRetentionPeriod to 1 day or more: without it there is no point-in-time restore',
        )
      }
    },
  ),
  policy(
    'no-ingress-from-anywhere',
    'No security group admits traffic from 0.0.0.0/0 or ::/0 (CloudFront reaches the load balancer by prefix list).',
    'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
    (props, report) => {
      for (const cidr of [props.cidrIpv4, props.cidrIpv6]) {
        if (typeof cidr === 'string' && OPEN_TO_ALL.has(cidr)) {
          report(`ingress from ${cidr}: admit a security group or a prefix list instead`)
        }
      }
    },
  ),
  policy(
    'https-only-on-cloudfront',
    'Every CloudFront behaviour redirects HTTP to HTTPS (or serves HTTPS only).',
    'aws:cloudfront/distribution:Distribution',
    (props, report) => {
      const behaviours = [props.defaultCacheBehavior, ...asList(props.orderedCacheBehaviors)]
      for (const behaviour of behaviours as (Props | undefined)[]) {
        const viewer = behaviour?.viewerProtocolPolicy
        if (viewer !== 'redirect-to-https' && viewer !== 'https-only') {
          const path =
            typeof behaviour?.pathPattern === 'string' ? behaviour.pathPattern : 'default'
          report(`the ${path} behaviour allows plain HTTP`)
        }
      }
    },
  ),
  policy(
    'log-retention',
    'Every log group keeps its logs for a limited time.',
    'aws:cloudwatch/logGroup:LogGroup',
    (props, report) => {
      if (typeof props.retentionInDays !== 'number' || props.retentionInDays <= 0) {
        report('set retentionInDays: logs kept forever cost money and keep data nobody needs')
      }
    },
  ),
  policy(
    's3-public-access-blocked',
    'Buckets block every form of public access.',
    'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
    (props, report) => {
      for (const flag of [
        'blockPublicAcls',
        'blockPublicPolicy',
        'ignorePublicAcls',
        'restrictPublicBuckets',
      ]) {
        if (props[flag] !== true) report(`${flag} must be true`)
      }
    },
  ),
  policy(
    'no-secrets-in-environment',
    'Containers get passwords and tokens through `secrets` (Secrets Manager), never as plain environment variables.',
    isTaskDefinition,
    (props, report) => {
      for (const container of containersOf(props)) {
        for (const variable of asList(container.environment as { name?: string }[] | undefined)) {
          if (variable.name && SECRET_NAME.test(variable.name)) {
            report(`${variable.name} is in the environment: pass it through secrets`)
          }
        }
      }
    },
  ),
  policy(
    'containers-read-only',
    'Every container of a task, sidecars included, runs on a read-only root filesystem: what it may write is a volume someone chose.',
    isTaskDefinition,
    (props, report) => {
      for (const container of containersOf(props)) {
        if (container.readonlyRootFilesystem !== true) {
          report(`container ${String(container.name)} has a writable root filesystem`)
        }
      }
    },
  ),
  policy(
    'no-wildcard-admin',
    'No IAM policy allows every action on every resource.',
    (type) => type === 'aws:iam/rolePolicy:RolePolicy' || type === 'aws:iam/policy:Policy',
    (props, report) => {
      if (typeof props.policy !== 'string') return
      const document = JSON.parse(props.policy) as { Statement?: Statement | Statement[] }
      for (const statement of asList(document.Statement)) {
        if (statement.Effect !== 'Allow') continue
        const actions = asList(statement.Action)
        const resources = asList(statement.Resource)
        if (actions.includes('*') && resources.includes('*')) report('Allow *:* is account admin')
      }
    },
  ),
  {
    name: 'eks-endpoint-private',
    description:
      "An EKS cluster's Kubernetes API is reachable privately; publicly only from named address ranges, and never in prod.",
    enforcementLevel: 'mandatory',
    validateResource: (args, report) => {
      const props = args.props as Props
      // @pulumi/eks's component takes the endpoint settings flat; the cluster it makes, in vpcConfig.
      const endpoint =
        args.type === 'eks:index:Cluster'
          ? { ...props, endpointPublicAccess: props.endpointPublicAccess ?? true }
          : args.type === 'aws:eks/cluster:Cluster'
            ? ((props.vpcConfig ?? {}) as Props)
            : undefined
      if (!endpoint) return
      if (endpoint.endpointPrivateAccess !== true) {
        report('turn on endpointPrivateAccess: nodes and in-VPC runners reach the API privately')
      }
      if (endpoint.endpointPublicAccess === false) return
      const stack = args.urn.split('::')[0]?.split(':').at(-1)
      if (stack === 'prod') report('prod keeps its Kubernetes API endpoint private')
      const cidrs = asList(endpoint.publicAccessCidrs as string[] | undefined)
      if (cidrs.length === 0 || cidrs.some((cidr) => OPEN_TO_ALL.has(cidr))) {
        report(
          'a public Kubernetes API endpoint must be limited to named CIDRs (publicAccessCidrs)',
        )
      }
    },
  },
]
