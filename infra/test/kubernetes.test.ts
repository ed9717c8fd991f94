import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { loadConfig } from '@votelab/api/config'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { streamsForTask } from '../src/service.ts'
import {
  apiTelemetryEnvironment,
  COLLECTOR_GO_MEMORY_LIMIT,
  COLLECTOR_MEMORY_MIB,
  COLLECTOR_OTLP_PORT,
} from '../src/telemetry.ts'
import { ROOT } from './harness.ts'

/**
 * Issue 20: the manifests in deploy/kubernetes, rendered by kustomize (`kubectl kustomize`, as
 * `kubectl apply -k` would), every object validated against the Kubernetes API's own schemas
 * (kubernetes-models, generated from the OpenAPI of a current release; the External Secrets
 * Operator's CRDs likewise), then held to what a production service needs. No cluster here:
 * `pnpm k8s:smoke` applies the local overlay to one (deploy/kubernetes/README.md).
 */

type Json = Record<string, unknown>
interface K8sObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
  spec?: Json
  data?: Record<string, string>
}
interface Container {
  name: string
  image: string
  env?: { name: string; value?: string; valueFrom?: Json }[]
  envFrom?: { configMapRef?: { name: string } }[]
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: Json
  startupProbe?: Probe
  livenessProbe?: Probe
  readinessProbe?: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[]
}
interface Probe {
  httpGet?: { path: string; port: string | number }
  exec?: { command: string[] }
  periodSeconds?: number
  failureThreshold?: number
}
interface PodSpec {
  containers: Container[]
  initContainers?: (Container & { restartPolicy?: string })[]
  securityContext?: Json
  automountServiceAccountToken?: boolean
  serviceAccountName?: string
  terminationGracePeriodSeconds?: number
  topologySpreadConstraints?: { topologyKey: string }[]
  volumes?: { name: string; emptyDir?: Json }[]
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
const kustomize = /Kustomize Version: v5/.test(kubectl.stdout ?? '')

function render(overlay: string): K8sObject[] {
  const out = spawnSync(
    'kubectl',
    ['kustomize', join(ROOT, 'deploy/kubernetes/overlays', overlay)],
    {
      encoding: 'utf8',
    },
  )
  if (out.status !== 0) throw new Error(`kubectl kustomize ${overlay}: ${out.stderr}`)
  // No deprecation warnings either: a learner reads them as something broken.
  expect(out.stderr).toBe('')
  return parseAllDocuments(out.stdout).map((document) => document.toJSON() as K8sObject)
}

/** The model class for an object: `kubernetes-models/<group>/<version>/<Kind>`, CRDs from their package. */
/**
 * The AWS Load Balancer Controller's TargetGroupBinding has no published model package: its
 * required fields (serviceRef, targetGroupARN) and enums are checked by the test that reads it.
 */
const WITHOUT_MODEL = new Set(['elbv2.k8s.aws/v1beta1 TargetGroupBinding'])

async function modelOf(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion]
  const path =
    group === 'external-secrets.io'
      ? `@kubernetes-models/external-secrets/${group}/${String(version)}/${object.kind}`
      : `kubernetes-models/${group === '' ? '' : `${String(group)}/`}${String(version)}/${object.kind}`
  const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>
  const model = module[object.kind]
  if (!model) throw new Error(`no model for ${object.apiVersion} ${object.kind}`)
  return model
}

const mebibytes = (quantity: string) => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity)
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`)
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1)
}

const millicores = (quantity: string) => {
  const match = /^(\d+)(m?)$/.exec(quantity)
  if (!match) throw new Error(`unexpected CPU quantity ${quantity}`)
  return Number(match[1]) * (match[2] === 'm' ? 1 : 1000)
}

function workloads(objects: K8sObject[]): { object: K8sObject; pod: PodSpec }[] {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
    .map((object) => ({
      object,
      pod: (object.spec?.template as { spec: PodSpec }).spec,
    }))
}

describe.skipIf(!kustomize)('deploy/kubernetes', () => {
  const overlays = { local: render('local'), eks: render('eks') }
  const one = (objects: K8sObject[], kind: string, name?: string) => {
    const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name))
    expect(found, `${kind} ${name ?? ''}`).toHaveLength(1)
    return found[0] as K8sObject
  }
  const apiPod = (objects: K8sObject[]) =>
    (one(objects, 'Deployment', 'votelab-api').spec?.template as { spec: PodSpec }).spec
  const apiContainer = (objects: K8sObject[]) => apiPod(objects).containers[0] as Container
  const configOf = (objects: K8sObject[]) => {
    const map = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('votelab-api'),
    )
    return map?.data ?? {}
  }

  describe.each(Object.entries(overlays))('the %s overlay', (name, objects) => {
    it('validates against the Kubernetes API schemas, every object in the votelab namespace', async () => {
      expect(objects.length).toBeGreaterThan(8)
      for (const object of objects) {
        if (WITHOUT_MODEL.has(`${object.apiVersion} ${object.kind}`)) continue
        const Model = await modelOf(object)
        expect(
          () => new Model(object).validate(),
          `${object.kind} ${object.metadata.name}`,
        ).not.toThrow()
        if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('votelab')
      }
      // The schemas bite: a wrong type or a missing required field is refused.
      const deployment = one(objects, 'Deployment', 'votelab-api')
      const Deployment = await modelOf(deployment)
      expect(() =>
        new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } }).validate(),
      ).toThrow()
      expect(() =>
        new Deployment({
          ...deployment,
          spec: { ...deployment.spec, selector: undefined },
        }).validate(),
      ).toThrow()
      // The restricted Pod Security Standard, enforced by the namespace itself.
      expect(one(objects, 'Namespace').metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
      })
    })

    it('gives the API settings the API itself accepts', () => {
      const env = { ...configOf(objects), DATABASE_PASSWORD: 'from-a-secret' }
      const config = loadConfig(env)
      expect(config.auth.mode).toBe(name === 'local' ? 'local' : 'external')
      expect(config.database.kind).toBe('postgres')
      expect(config.metrics.port).toBe(9464)
      // The password never sits in the ConfigMap, nor in a plain env value.
      expect(
        Object.keys(configOf(objects)).filter((key) => /PASSWORD|SECRET|TOKEN/.test(key)),
      ).toEqual([])
      expect(new URL(configOf(objects).DATABASE_URL ?? '').password).toBe('')
      const password = apiContainer(objects).env?.find((v) => v.name === 'DATABASE_PASSWORD')
      expect(password?.valueFrom).toEqual({
        // kustomize suffixes a generated Secret's name with its hash (local), and follows it.
        secretKeyRef: {
          name: expect.stringMatching(/^votelab-database/) as unknown,
          key: 'password',
        },
      })
    })

    it('probes liveness on /healthz, readiness on /readyz, and gives migrations a startup window', () => {
      const api = apiContainer(objects)
      expect(api.livenessProbe?.httpGet?.path).toBe('/healthz')
      expect(api.readinessProbe?.httpGet?.path).toBe('/readyz')
      const startup = api.startupProbe
      expect(startup?.httpGet?.path).toBe('/healthz')
      expect(
        (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3),
      ).toBeGreaterThanOrEqual(60)
    })

    it('sizes the API as docs/operations.md does: CPU requested, memory capped at what its streams need', () => {
      const { resources } = apiContainer(objects)
      expect(resources?.requests?.cpu).toBeDefined()
      expect(resources?.requests?.memory).toBeDefined()
      const limit = mebibytes(resources?.limits?.memory ?? '0Mi')
      // The CPU request in Fargate's units (1024 to a vCPU), as a task's `cpu`.
      const cpuUnits = (millicores(resources?.requests?.cpu ?? '0m') * 1024) / 1000
      expect(Number(configOf(objects).STREAMS_PER_PROCESS)).toBe(streamsForTask(cpuUnits, limit))
    })

    it('runs every container as the restricted profile asks: non-root, read-only, no capabilities, no service account token', () => {
      for (const { object, pod } of workloads(objects)) {
        const where = `${object.kind} ${object.metadata.name}`
        expect(pod.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        })
        expect(pod.automountServiceAccountToken, where).toBe(false)
        const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]))
        for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
          expect(container.securityContext, `${where} ${container.name}`).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          })
          // Writable only where a volume was chosen for it.
          for (const mount of container.volumeMounts ?? []) {
            const claimed = (
              object.spec?.volumeClaimTemplates as { metadata: { name: string } }[] | undefined
            )?.some((claim) => claim.metadata.name === mount.name)
            expect(volumes.has(mount.name) || claimed, `${where} ${mount.mountPath}`).toBe(true)
          }
        }
      }
      const account = one(objects, 'ServiceAccount', 'votelab-api') as K8sObject & {
        automountServiceAccountToken?: boolean
      }
      expect(account.automountServiceAccountToken).toBe(false)
      expect(apiPod(objects).serviceAccountName).toBe('votelab-api')
    })

    it('drains like the API does: endpoints removed first, then SIGTERM, with time to finish', () => {
      const pod = apiPod(objects)
      const preStop = apiContainer(objects).lifecycle?.preStop?.exec?.command ?? []
      expect(preStop[0]).toBe('sleep')
      const pause = Number(preStop[1])
      expect(pause).toBeGreaterThan(0)
      const drain =
        loadConfig({ ...configOf(objects), DATABASE_PASSWORD: 'x' }).shutdownTimeoutMs / 1000
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + drain)
    })

    it('spreads replicas over zones, keeps one up through drains, and scales on CPU', () => {
      expect(apiPod(objects).topologySpreadConstraints?.map((c) => c.topologyKey)).toContain(
        'topology.kubernetes.io/zone',
      )
      const deployment = one(objects, 'Deployment', 'votelab-api')
      const selector = (deployment.spec?.selector as { matchLabels: Record<string, string> })
        .matchLabels
      const budget = one(objects, 'PodDisruptionBudget')
      expect(
        (budget.spec?.selector as { matchLabels: Record<string, string> }).matchLabels,
      ).toEqual(selector)
      expect(budget.spec?.maxUnavailable).toBe(1)
      const autoscaler = one(objects, 'HorizontalPodAutoscaler')
      expect(autoscaler.spec).toMatchObject({
        scaleTargetRef: { kind: 'Deployment', name: 'votelab-api' },
        minReplicas: 2,
        // The API container's CPU alone: a sidecar's idle share would hold scaling back.
        metrics: [
          {
            type: 'ContainerResource',
            containerResource: { name: 'cpu', container: apiContainer(objects).name },
          },
        ],
      })
      expect(deployment.spec?.strategy).toMatchObject({ rollingUpdate: { maxUnavailable: 0 } })
    })

    it('admits traffic to the API from the way in only, and to Postgres from the API only', () => {
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
      const denyAll = policies.find((p) => p.metadata.name === 'default-deny-ingress')
      expect(denyAll?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] })
      const api = policies.find((p) => p.metadata.name === 'votelab-api')
      const rules = (api?.spec?.ingress ?? []) as { from: Json[]; ports: { port: string }[] }[]
      const httpRule = rules.find((rule) => rule.ports.some((port) => port.port === 'http'))
      expect(httpRule?.from).toEqual(
        name === 'local'
          ? [
              {
                namespaceSelector: {
                  matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
                },
              },
            ]
          : [{ ipBlock: { cidr: expect.stringMatching(/^10\./) as unknown } }],
      )
      for (const rule of rules) expect(rule.from.length).toBeGreaterThan(0)
      const postgres = policies.find((p) => p.metadata.name === 'postgres')
      if (name === 'local') {
        expect(postgres?.spec?.ingress).toEqual([
          {
            from: [
              { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'votelab-api' } } },
              { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'votelab-seed' } } },
            ],
            ports: [{ port: 'postgres' }],
          },
        ])
      } else {
        expect(postgres).toBeUndefined() // RDS: its security group admits the cluster's nodes
      }
    })

    it('streams live results through the way in: no buffering, nothing that cuts a stream', () => {
      const lifetime =
        loadConfig({ ...configOf(objects), DATABASE_PASSWORD: 'x' }).limits.streams.maxLifetimeMs /
        1000
      if (name === 'local') {
        const annotations = one(objects, 'Ingress').metadata.annotations ?? {}
        expect(one(objects, 'Ingress').spec?.ingressClassName).toBe('nginx')
        expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off')
        expect(
          Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
        ).toBeGreaterThan(lifetime)
      } else {
        // No Ingress: the stack's own ALB (the ECS path's, whose idle timeout the streams'
        // heartbeats stay under) forwards to the pods through a TargetGroupBinding.
        expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([])
        const binding = one(objects, 'TargetGroupBinding')
        const service = one(objects, 'Service', 'votelab-api')
        const ports = (service.spec?.ports ?? []) as { name: string }[]
        // No `networking`: the ALB → pods rule is Pulumi's (eks/cluster.ts), so the controller
        // needs no rights over security groups.
        expect(binding.spec).not.toHaveProperty('networking')
        expect(binding.spec).toMatchObject({
          serviceRef: { name: 'votelab-api', port: ports[0]?.name },
          targetType: 'ip',
          targetGroupARN: expect.stringMatching(
            /^arn:aws:elasticloadbalancing:.*:targetgroup\//,
          ) as unknown,
        })
      }
    })
  })

  it('runs the collector beside the API on EKS as on ECS: a native sidecar, bounded, probed on loopback', () => {
    const pod = apiPod(overlays.eks)
    const [collector, ...others] = pod.initContainers ?? []
    expect(others).toEqual([])
    // restartPolicy Always: started before the API, stopped after it, so the API's last push
    // on SIGTERM still reaches it. No startup probe: the API never waits on its health (not
    // essential, as on ECS).
    expect(collector).toMatchObject({ name: 'collector', restartPolicy: 'Always' })
    expect(collector).not.toHaveProperty('startupProbe')
    const memory = `${String(COLLECTOR_MEMORY_MIB)}Mi`
    expect(collector?.resources).toMatchObject({
      requests: { memory },
      limits: { memory },
    })
    const env = collector?.env ?? []
    const value = (name: string) => env.find((variable) => variable.name === name)?.value
    expect(value('GOMEMLIMIT')).toBe(COLLECTOR_GO_MEMORY_LIMIT)
    expect(Number.parseInt(COLLECTOR_GO_MEMORY_LIMIT)).toBeLessThan(COLLECTOR_MEMORY_MIB)
    // Kubernetes expands $(POD_NAME) only from variables defined before the one using it.
    const order = (name: string) => env.findIndex((variable) => variable.name === name)
    expect(order('POD_NAME')).toBeGreaterThanOrEqual(0)
    for (const user of ['OTEL_RESOURCE_ATTRIBUTES', 'AOT_CONFIG_CONTENT']) {
      expect(order(user), user).toBeGreaterThan(order('POD_NAME'))
    }
    expect(value('OTEL_RESOURCE_ATTRIBUTES')).toContain('k8s.pod.name=$(POD_NAME)')
    // Its health endpoint listens on loopback: probed from inside the container.
    expect(collector?.livenessProbe?.exec?.command).toEqual(['/healthcheck'])
    expect(collector).not.toHaveProperty('ports')
    // The API pushes to it with what telemetry.ts gives the ECS task (a default stack's ratio).
    const otel = Object.fromEntries(
      Object.entries(configOf(overlays.eks)).filter(([key]) => key.startsWith('OTEL_')),
    )
    expect(otel).toEqual(apiTelemetryEnvironment(0.05))
    const config = loadConfig({ ...configOf(overlays.eks), DATABASE_PASSWORD: 'x' })
    expect(config.metrics.otlpEndpoint).toBe(`http://127.0.0.1:${String(COLLECTOR_OTLP_PORT)}`)
    // Any cluster: Prometheus scrapes the metrics port; no collector, nothing pushed.
    expect(apiPod(overlays.local).initContainers).toBeUndefined()
    expect(Object.keys(configOf(overlays.local)).filter((key) => key.startsWith('OTEL_'))).toEqual(
      [],
    )
  })

  it('deploys images by digest on EKS; the local overlay runs the image built on the machine', () => {
    for (const { pod } of workloads(overlays.eks)) {
      for (const container of pod.containers)
        expect(container.image).toMatch(/@sha256:[0-9a-f]{64}$/)
      // AWS's collector as on ECS: a release tag, never `latest` (votelab:collectorImage may
      // name a digest instead).
      for (const container of pod.initContainers ?? [])
        expect(container.image).toMatch(/:v\d+\.\d+\.\d+$|@sha256:[0-9a-f]{64}$/)
    }
    expect(apiContainer(overlays.local).image).toBe('votelab-api:local')
  })

  it('takes the database password on EKS from Secrets Manager, never from a Secret in the manifests', () => {
    expect(overlays.eks.filter((o) => o.kind === 'Secret')).toEqual([])
    const external = one(overlays.eks, 'ExternalSecret')
    expect(external.spec).toMatchObject({
      target: { name: 'votelab-database' },
      data: [{ secretKey: 'password', remoteRef: { property: 'password' } }],
    })
    const reader = one(overlays.eks, 'ServiceAccount', 'votelab-secrets-reader')
    expect(reader.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::/)
  })
})

describe('kubectl', () => {
  it.runIf(process.env.CI)(
    'is on the machine with kustomize v5 (the Kubernetes tests need it)',
    () => {
      expect(kustomize, kubectl.stdout || String(kubectl.error)).toBe(true)
    },
  )
})
