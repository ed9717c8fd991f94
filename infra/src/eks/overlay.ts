import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { parseAllDocuments } from 'yaml'

/** A Kubernetes object as kustomize renders it. */
export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> }
  [field: string]: unknown
}

/**
 * `kubectl kustomize <dir>`: what `kubectl apply -k` would send. The kubectl on PATH must carry
 * kustomize v5 (any kubectl since 1.27); the ECS path never calls this.
 */
export function renderOverlay(dir: string): K8sObject[] {
  const out = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })
  if (out.error || out.status !== 0) {
    throw new Error(
      `kubectl kustomize ${dir} failed (kubectl ≥ 1.27 must be on PATH for an eks stack): ` +
        (out.error?.message ?? out.stderr),
    )
  }
  return parseAllDocuments(out.stdout).map((document) => document.toJSON() as K8sObject)
}

/** The stack's own values: the lines marked `# set by Pulumi` in deploy/kubernetes/overlays/eks. */
export interface StackValues {
  /** `<repository>@sha256:<digest>`. */
  image: string
  region: string
  vpcCidr: string
  targetGroupArn: string
  databasePasswordSecretArn: string
  apiRoleArn: string
  secretsReaderRoleArn: string
  /** The ConfigMap's entries the stack decides (database address, issuer, site). */
  settings: {
    DATABASE_URL: string
    AUTH_ISSUER: string
    AUTH_CLIENT_IDS: string
    AUTH_USERINFO_URL: string
    AUTH_USER_POOL_ID: string
    PUBLIC_URL: string
  }
  /**
   * The collector beside the API (overlays/eks/collector.yaml) and the API's OTEL_* settings;
   * absent with votelab:telemetry off, when both leave the pod.
   */
  telemetry?: {
    collectorImage: string
    /** telemetry.ts's collectorConfig for a Kubernetes pod. */
    collectorConfig: string
    /** telemetry.ts's apiTelemetryEnvironment: every key is one the ConfigMap has. */
    apiEnvironment: Record<string, string>
  }
}

/** Pod templates roll when this changes: the ConfigMap keeps kustomize's name, not its content. */
export const CONFIG_HASH_ANNOTATION = 'votelab.dev/config-hash'

type Json = Record<string, unknown>

/**
 * The rendered eks overlay with the stack's values in place of its placeholders. Each value has
 * one home, found by kind and name; a home that is missing (the overlay changed) is an error,
 * never a placeholder left for the cluster.
 */
export function withStackValues(objects: K8sObject[], values: StackValues): K8sObject[] {
  const copy = structuredClone(objects)
  const find = (kind: string, name: string | RegExp) => {
    const found = copy.find(
      (object) =>
        object.kind === kind &&
        (typeof name === 'string'
          ? object.metadata.name === name
          : name.test(object.metadata.name)),
    )
    if (!found) throw new Error(`the eks overlay has no ${kind} ${String(name)}`)
    return found as K8sObject & Json
  }
  const roleOf = (serviceAccount: string, arn: string) => {
    const account = find('ServiceAccount', serviceAccount)
    const annotations = account.metadata.annotations ?? {}
    if (!('eks.amazonaws.com/role-arn' in annotations)) {
      throw new Error(`the eks overlay's ServiceAccount ${serviceAccount} has no role annotation`)
    }
    annotations['eks.amazonaws.com/role-arn'] = arn
  }

  const config = find('ConfigMap', /^votelab-api-/) as K8sObject & { data: Record<string, string> }
  const setting = (key: string, value: string) => {
    if (!(key in config.data)) throw new Error(`the eks overlay's ConfigMap has no ${key}`)
    config.data[key] = value
  }
  for (const [key, value] of Object.entries(values.settings)) setting(key, value)

  const deployment = find('Deployment', 'votelab-api') as unknown as {
    spec: {
      template: {
        metadata: { annotations?: Record<string, string> }
        spec: {
          containers: { name: string; image: string }[]
          initContainers?: {
            name: string
            image: string
            env?: { name: string; value?: string }[]
          }[]
        }
      }
    }
  }
  const template = deployment.spec.template
  const collector = template.spec.initContainers?.find(
    (container) => container.name === 'collector',
  )
  if (!collector) throw new Error('the eks overlay has no collector container')
  if (values.telemetry) {
    for (const [key, value] of Object.entries(values.telemetry.apiEnvironment)) setting(key, value)
    collector.image = values.telemetry.collectorImage
    const content = collector.env?.find((variable) => variable.name === 'AOT_CONFIG_CONTENT')
    if (!content) throw new Error('the eks overlay gives the collector no AOT_CONFIG_CONTENT')
    content.value = values.telemetry.collectorConfig
  } else {
    // Telemetry off: neither the collector nor the API's settings for pushing to it.
    template.spec.initContainers = template.spec.initContainers?.filter((c) => c !== collector)
    if (template.spec.initContainers?.length === 0) delete template.spec.initContainers
    config.data = Object.fromEntries(
      Object.entries(config.data).filter(([key]) => !key.startsWith('OTEL_')),
    )
  }

  const configHash = createHash('sha256')
    .update(JSON.stringify(Object.entries(config.data).sort()))
    .digest('hex')
    .slice(0, 16)

  const api = template.spec.containers.find((container) => container.name === 'api')
  if (!api) throw new Error('the eks overlay has no api container')
  api.image = values.image
  template.metadata.annotations = {
    ...template.metadata.annotations,
    [CONFIG_HASH_ANNOTATION]: configHash,
  }

  roleOf('votelab-api', values.apiRoleArn)
  roleOf('votelab-secrets-reader', values.secretsReaderRoleArn)

  const store = find('SecretStore', 'aws-secrets-manager') as unknown as {
    spec: { provider: { aws: { region: string } } }
  }
  store.spec.provider.aws.region = values.region
  const secret = find('ExternalSecret', 'votelab-database') as unknown as {
    spec: { data: { remoteRef: { key: string } }[] }
  }
  for (const entry of secret.spec.data) entry.remoteRef.key = values.databasePasswordSecretArn

  const binding = find('TargetGroupBinding', 'votelab-api') as unknown as {
    spec: { targetGroupARN: string }
  }
  binding.spec.targetGroupARN = values.targetGroupArn

  const policy = find('NetworkPolicy', 'votelab-api') as unknown as {
    spec: { ingress: { from: { ipBlock?: { cidr: string } }[] }[] }
  }
  const blocks = policy.spec.ingress.flatMap((rule) =>
    rule.from.flatMap((from) => from.ipBlock ?? []),
  )
  if (blocks.length === 0) throw new Error('the eks overlay admits the API from no address range')
  for (const block of blocks) block.cidr = values.vpcCidr

  return copy
}
