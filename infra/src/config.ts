import type { SignUpPolicy } from './sign-in.ts'
import * as pulumi from '@pulumi/pulumi'

/** Everything a stack can choose, read once from `Pulumi.<stack>.yaml` (the `votelab:` keys). */
export interface StackConfig {
  readonly project: string
  readonly stack: string
  /** `Single` (one NAT gateway, the lab) or `OnePerAz` (survives losing a zone). */
  readonly natGateways: 'Single' | 'OnePerAz'
  /**
   * Where the API runs: `ecs` (Fargate, the default) or `eks` (Kubernetes: a cluster of this
   * stack's own, deploy/kubernetes/overlays/eks applied to it; docs/decisions/019).
   */
  readonly compute: 'ecs' | 'eks'
  /** The EKS cluster, when `compute` is `eks`. */
  readonly kubernetes: KubernetesConfig
  readonly availabilityZones: number
  readonly database: {
    /** The RDS instance identifier (`<project>-<stack>-postgres` unless set). */
    readonly identifier: string
    readonly instanceClass: string
    readonly allocatedStorageGb: number
    readonly maxAllocatedStorageGb: number
    readonly engineVersion: string
    readonly multiAz: boolean
    readonly backupRetentionDays: number
    readonly deletionProtection: boolean
    /** Take a snapshot when the database is destroyed. */
    readonly finalSnapshot: boolean
  }
  readonly service: {
    /** Fargate CPU units (256 = ¼ vCPU) and memory (MiB) per task. */
    readonly cpu: number
    readonly memory: number
    readonly minTasks: number
    readonly maxTasks: number
    readonly targetCpuPercent: number
    readonly targetRequestsPerTask: number
    readonly logRetentionDays: number
  }
  readonly signIn: {
    readonly deletionProtection: boolean
    /** Extra callback origins besides the site itself (the laptop by default). */
    readonly extraOrigins: readonly string[]
    /**
     * `open`: anyone signs up (email verified by a code); `invite`: only admins create accounts;
     * `domains`: anyone at `votelab:signUpDomains` (a pre-sign-up Lambda checks).
     */
    readonly signUp: SignUpPolicy
  }
  readonly web: {
    /** The built client, relative to the repository root (`pnpm build` makes it). */
    readonly distDir: string
    /** CloudFront price class: `PriceClass_100` keeps the lab cheap. */
    readonly priceClass: string
  }
  readonly pipeline: {
    /** `owner/name` of the GitHub repository whose workflows may deploy this stack. */
    readonly githubRepository: string
    /** OIDC subjects (after `repo:owner/name:`) allowed to deploy; default `environment:<stack>`. */
    readonly deploySubjects: readonly string[]
    /** Subjects allowed the read-only preview role, e.g. `pull_request`. */
    readonly previewSubjects: readonly string[]
    /** The account's GitHub OIDC provider; looked up by its URL when not given (one per account). */
    readonly existingOidcProviderArn: string | undefined
    /** The S3 bucket of a self-managed state backend, which the pipeline roles then may use. */
    readonly stateBucket: string | undefined
  }
  readonly telemetry: {
    /**
     * `cloudwatch` (default): a collector beside the API ships its metrics to CloudWatch and its
     * traces to X-Ray; `off`: neither (no sidecar, no application widgets or alarms).
     */
    readonly mode: 'cloudwatch' | 'off'
    /** Share of requests traced (`votelab:traceSampleRatio`, 0–1): X-Ray bills per trace. */
    readonly traceSampleRatio: number
    /** The AWS Distro for OpenTelemetry collector's image (pin by digest where you can). */
    readonly collectorImage: string
  }
  /** Alarm notifications go to this address (a subscription to confirm), if set. */
  readonly alarmEmail: string | undefined
  /** A monthly AWS Budgets budget for the account: alerts at 80 % forecast and 100 % spent. */
  readonly monthlyBudgetUsd: number
  /** What the API runs: an image the pipeline pushed, by digest (`VOTELAB_IMAGE`). */
  readonly image: ImageToDeploy
}

/**
 * `digest`: `<repository>@sha256:<64 hex>`, as `pnpm image:publish` prints it. `repositoryOnly`:
 * a new stack's very first step, which creates just the repository to publish into (scripts/image.ts
 * runs it, with `--target` so nothing else can change).
 */
export type ImageToDeploy =
  { readonly kind: 'digest'; readonly reference: string } | { readonly kind: 'repositoryOnly' }

export interface KubernetesConfig {
  /** The control plane's Kubernetes minor version (`votelab:eksVersion`). */
  readonly version: string
  /** The managed node group's EC2 type (x86, as the image) and size. */
  readonly nodeInstanceType: string
  readonly nodes: number
  readonly maxNodes: number
  /**
   * Who may reach the cluster's public endpoint (`votelab:eksPublicAccessCidrs`); none: private
   * endpoint only, reachable from inside the VPC (a runner there deploys). Never in prod.
   */
  readonly publicAccessCidrs: readonly string[]
  /** IAM roles or users given cluster-admin besides the pipeline's deploy role (people, for kubectl). */
  readonly adminPrincipalArns: readonly string[]
}

export const REPOSITORY_ONLY = 'repository-only'

/** The AWS Distro for OpenTelemetry collector release this program was written against. */
export const DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3'

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/

function kubernetesConfig(config: pulumi.Config): KubernetesConfig {
  const nodes = atLeast(config.getNumber('eksNodes') ?? 2, 1, 'eksNodes')
  const publicAccessCidrs = config.getObject<string[]>('eksPublicAccessCidrs') ?? []
  for (const cidr of publicAccessCidrs) {
    if (typeof cidr !== 'string' || !CIDR.test(cidr)) {
      throw new Error(
        `votelab:eksPublicAccessCidrs: "${cidr}" is not an IPv4 CIDR like 203.0.113.7/32`,
      )
    }
  }
  if (publicAccessCidrs.length > 0 && pulumi.getStack() === 'prod') {
    throw new Error(
      'votelab:eksPublicAccessCidrs: prod keeps its Kubernetes API private; deploy from a runner ' +
        'inside the VPC (infra/README.md, "On Amazon EKS")',
    )
  }
  const adminPrincipalArns = config.getObject<string[]>('eksAdminPrincipalArns') ?? []
  for (const arn of adminPrincipalArns) {
    if (typeof arn !== 'string' || !/^arn:aws:iam::\d{12}:(role|user)\/.+$/.test(arn)) {
      throw new Error(`votelab:eksAdminPrincipalArns: "${arn}" is not an IAM role or user ARN`)
    }
  }
  return {
    version: config.get('eksVersion') ?? DEFAULT_KUBERNETES_VERSION,
    nodeInstanceType: config.get('eksNodeInstanceType') ?? 't3.medium',
    nodes,
    maxNodes: atLeast(config.getNumber('eksMaxNodes') ?? nodes + 1, nodes, 'eksMaxNodes'),
    publicAccessCidrs,
    adminPrincipalArns,
  }
}

/** EKS's standard-support Kubernetes release this program was written against. */
export const DEFAULT_KUBERNETES_VERSION = '1.34'

/**
 * The collector runs beside the API wherever it runs: a sidecar of the ECS task, a native
 * sidecar of the Kubernetes pod (telemetry.ts, deploy/kubernetes/overlays/eks/collector.yaml).
 */
function telemetryMode(config: pulumi.Config): 'cloudwatch' | 'off' {
  return oneOf(config.get('telemetry') ?? 'cloudwatch', ['cloudwatch', 'off'], 'telemetry')
}

function traceSampleRatio(config: pulumi.Config): number {
  const ratio = config.getNumber('traceSampleRatio') ?? 0.05
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new Error(`votelab:traceSampleRatio must be between 0 and 1 (got ${String(ratio)})`)
  }
  return ratio
}

function imageToDeploy(config: pulumi.Config): ImageToDeploy {
  const value = process.env.VOTELAB_IMAGE || config.get('image')
  if (!value) {
    throw new Error(
      'VOTELAB_IMAGE must name the image to deploy by digest: `pnpm image:publish ' +
        `${pulumi.getStack()}\` builds and pushes it and prints the reference (a preview uses ` +
        `\`pnpm image:deployed ${pulumi.getStack()}\`, the one running now)`,
    )
  }
  if (value === REPOSITORY_ONLY) return { kind: 'repositoryOnly' }
  if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/.test(value)) {
    throw new Error(
      `VOTELAB_IMAGE must be <repository>@sha256:<digest>, not a tag (got "${value}"): ` +
        'a tag can move, a digest is what was tested',
    )
  }
  return { kind: 'digest', reference: value }
}

const oneOf = <T extends string>(value: string, allowed: readonly T[], key: string): T => {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new Error(`votelab:${key} must be one of ${allowed.join(', ')} (got "${value}")`)
}

const atLeast = (value: number, min: number, key: string): number => {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`votelab:${key} must be an integer ≥ ${min} (got ${String(value)})`)
  }
  return value
}

/**
 * Origins besides the site that Cognito may send people back to. The lab (`dev`) trusts the
 * laptop by default, so `pnpm dev` can sign in against it; any other stack must say what it
 * trusts — a production pool that redirects to `http://localhost` hands codes to whatever runs
 * on a voter's machine.
 */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/

function signUpPolicy(config: pulumi.Config): SignUpPolicy {
  const policy = oneOf(config.get('signUp') ?? 'open', ['open', 'invite', 'domains'], 'signUp')
  const domains = config.getObject<string[]>('signUpDomains')
  if (policy !== 'domains') {
    if (domains) throw new Error('votelab:signUpDomains: only with votelab:signUp domains')
    return { policy }
  }
  if (!domains?.length) {
    throw new Error('votelab:signUp domains needs votelab:signUpDomains, e.g. ["example.org"]')
  }
  for (const domain of domains) {
    if (typeof domain !== 'string' || !DOMAIN.test(domain)) {
      throw new Error(`votelab:signUpDomains: "${domain}" is not a domain like example.org`)
    }
  }
  return { policy, domains }
}

function signInExtraOrigins(config: pulumi.Config): string[] {
  const configured = config.getObject<string[]>('signInExtraOrigins')
  if (configured) {
    for (const origin of configured) {
      const url = URL.parse(origin)
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/') {
        throw new Error(
          `votelab:signInExtraOrigins: "${origin}" is not an absolute URL (an origin like https://example.com)`,
        )
      }
    }
    return configured
  }
  if (pulumi.getStack() === 'dev') return ['http://localhost:3000']
  throw new Error(
    `votelab:signInExtraOrigins must be set for stack "${pulumi.getStack()}" ([] for none): ` +
      'only the dev stack trusts http://localhost:3000 by default',
  )
}

/**
 * Every resource must carry `stack: <this stack>` (`aws:defaultTags` in the stack's file): the
 * deploy role is denied anything on resources tagged with another stack's name (infra/src/pipeline-access.ts).
 */
function requireStackTag(): void {
  const tags = new pulumi.Config('aws').getObject<{ tags?: Record<string, string> }>(
    'defaultTags',
  )?.tags
  if (tags?.stack !== pulumi.getStack()) {
    throw new Error(
      `aws:defaultTags must tag every resource with stack: ${pulumi.getStack()} ` +
        `(got ${JSON.stringify(tags?.stack ?? null)}): the pipeline's guard against touching ` +
        'another stack reads that tag',
    )
  }
}

/** RDS's rules for an instance identifier, checked before AWS refuses it half-way. */
function rdsIdentifier(value: string): string {
  if (!/^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$/.test(value)) {
    throw new Error(
      `votelab:dbIdentifier must be 2–63 lowercase letters, digits and single hyphens, ` +
        `starting with a letter and not ending with a hyphen (got "${value}")`,
    )
  }
  return value
}

export function readConfig(): StackConfig {
  requireStackTag()
  const config = new pulumi.Config('votelab')
  const minTasks = atLeast(config.getNumber('minTasks') ?? 1, 1, 'minTasks')
  const maxTasks = atLeast(
    config.getNumber('maxTasks') ?? Math.max(2, minTasks),
    minTasks,
    'maxTasks',
  )
  const compute = oneOf(config.get('compute') ?? 'ecs', ['ecs', 'eks'], 'compute')
  const githubRepository = config.require('githubRepository')
  if (!/^[\w.-]+\/[\w.-]+$/.test(githubRepository)) {
    throw new Error(
      `votelab:githubRepository must look like owner/name (got "${githubRepository}")`,
    )
  }
  return {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    natGateways: oneOf(
      config.get('natGateways') ?? 'Single',
      ['Single', 'OnePerAz'],
      'natGateways',
    ),
    availabilityZones: atLeast(config.getNumber('availabilityZones') ?? 2, 2, 'availabilityZones'),
    compute,
    kubernetes: kubernetesConfig(config),
    database: {
      identifier: rdsIdentifier(
        config.get('dbIdentifier') ?? `${pulumi.getProject()}-${pulumi.getStack()}-postgres`,
      ),
      instanceClass: config.get('dbInstanceClass') ?? 'db.t4g.micro',
      allocatedStorageGb: atLeast(
        config.getNumber('dbAllocatedStorageGb') ?? 20,
        20,
        'dbAllocatedStorageGb',
      ),
      maxAllocatedStorageGb: atLeast(
        config.getNumber('dbMaxAllocatedStorageGb') ?? 100,
        20,
        'dbMaxAllocatedStorageGb',
      ),
      engineVersion: config.get('dbEngineVersion') ?? '17',
      multiAz: config.getBoolean('dbMultiAz') ?? false,
      backupRetentionDays: atLeast(
        config.getNumber('dbBackupRetentionDays') ?? 1,
        1,
        'dbBackupRetentionDays',
      ),
      deletionProtection: config.getBoolean('deletionProtection') ?? false,
      finalSnapshot: config.getBoolean('dbFinalSnapshot') ?? false,
    },
    service: {
      cpu: config.getNumber('taskCpu') ?? 256,
      memory: config.getNumber('taskMemory') ?? 1024,
      minTasks,
      maxTasks,
      targetCpuPercent: config.getNumber('targetCpuPercent') ?? 60,
      // ALB requests per target per minute (docs/operations.md): ~half a ¼-vCPU task's vote capacity.
      targetRequestsPerTask: config.getNumber('targetRequestsPerTask') ?? 12_000,
      logRetentionDays: config.getNumber('logRetentionDays') ?? 14,
    },
    signIn: {
      deletionProtection: config.getBoolean('deletionProtection') ?? false,
      extraOrigins: signInExtraOrigins(config),
      signUp: signUpPolicy(config),
    },
    web: {
      distDir: config.get('webDistDir') ?? 'web/dist',
      priceClass: config.get('priceClass') ?? 'PriceClass_100',
    },
    pipeline: {
      githubRepository,
      deploySubjects: config.getObject<string[]>('deploySubjects') ?? [
        `environment:${pulumi.getStack()}`,
      ],
      previewSubjects: config.getObject<string[]>('previewSubjects') ?? ['pull_request'],
      existingOidcProviderArn: config.get('githubOidcProviderArn'),
      stateBucket: config.get('stateBucket'),
    },
    telemetry: {
      mode: telemetryMode(config),
      traceSampleRatio: traceSampleRatio(config),
      collectorImage: config.get('collectorImage') ?? DEFAULT_COLLECTOR_IMAGE,
    },
    alarmEmail: config.get('alarmEmail'),
    monthlyBudgetUsd: atLeast(config.getNumber('monthlyBudgetUsd') ?? 100, 1, 'monthlyBudgetUsd'),
    image: imageToDeploy(config),
  }
}
