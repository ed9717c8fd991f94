import * as pulumi from '@pulumi/pulumi'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DEFAULT_COLLECTOR_IMAGE, readConfig } from '../src/config.ts'
import { CHARTS } from '../src/eks/workload.ts'
import { CONFIG_HASH_ANNOTATION, type K8sObject, withStackValues } from '../src/eks/overlay.ts'
import { VPC_CIDR } from '../src/network.ts'
import { apiTelemetryEnvironment } from '../src/telemetry.ts'
import {
  EKS_CLUSTER_SECURITY_GROUP,
  EKS_OIDC_ID,
  imageOf,
  runStack,
  stackConfig,
  type StackRun,
} from './harness.ts'
import { list, statements } from './invariants.ts'

/**
 * Issue 20: `votelab:compute eks` under Pulumi's mocks — the cluster, its nodes and controllers
 * beside the parts the ECS path shares, and the eks overlay as the cluster would receive it.
 */

let dev: StackRun
let prod: StackRun
beforeAll(async () => {
  dev = await runStack('dev', { 'votelab:compute': 'eks' })
  prod = await runStack('prod', { 'votelab:compute': 'eks' })
}, 120_000)

const role = (stack: StackRun, purpose: string) =>
  stack.one('aws:iam/role:Role', `kubernetes-${purpose}`)
const policyOf = (stack: StackRun, purpose: string) =>
  statements(stack.one('aws:iam/policy:Policy', `kubernetes-${purpose}-policy`).inputs.policy)
const overlay = (stack: StackRun) =>
  stack.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as K8sObject[]
const object = (objects: K8sObject[], kind: string, name?: string) => {
  const found = objects.find((o) => o.kind === kind && (!name || o.metadata.name.startsWith(name)))
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`)
  return found
}
/** A field deep in an object, by its keys (annotation names have dots of their own). */
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>(
    (current, key) => (current as Record<string | number, unknown> | undefined)?.[key],
    value,
  )

describe('an eks stack', () => {
  it('shares the VPC, database, load balancer, CloudFront, Cognito and registry with the ECS path, and runs no ECS service', () => {
    for (const type of [
      'awsx:ec2:Vpc',
      'aws:rds/instance:Instance',
      'aws:lb/loadBalancer:LoadBalancer',
      'aws:lb/targetGroup:TargetGroup',
      'aws:cloudfront/distribution:Distribution',
      'aws:cognito/userPool:UserPool',
      'aws:ecr/repository:Repository',
      'eks:index:Cluster',
      'aws:eks/nodeGroup:NodeGroup',
    ]) {
      expect(dev.ofType(type), type).toHaveLength(1)
    }
    expect(dev.ofType('awsx:ecs:FargateService')).toEqual([])
    expect(dev.ofType('aws:ecs/cluster:Cluster')).toEqual([])
    expect(dev.outputs).toMatchObject({
      cluster: 'votelab-dev',
      kubeconfigCommand: 'aws eks update-kubeconfig --region eu-west-1 --name votelab-dev',
    })
  })

  it('puts the cluster in the private subnets with a private endpoint, IAM access entries and NetworkPolicies enforced', () => {
    for (const stack of [dev, prod]) {
      expect(stack.one('eks:index:Cluster').inputs).toMatchObject({
        privateSubnetIds: ['subnet-private-a', 'subnet-private-b'],
        endpointPrivateAccess: true,
        endpointPublicAccess: false,
        nodeAssociatePublicIpAddress: false,
        authenticationMode: 'API',
        createOidcProvider: true,
        skipDefaultNodeGroup: true,
        useDefaultVpcCni: true,
        enabledClusterLogTypes: expect.arrayContaining(['api', 'audit']) as unknown,
      })
      const entries = stack.one('eks:index:Cluster').inputs.accessEntries as Record<
        string,
        { principalArn: string }
      >
      expect(Object.values(entries).map((entry) => entry.principalArn)).toEqual([
        stack.one('aws:iam/role:Role', 'pipeline-deploy').state.arn,
      ])
      expect(stack.one('aws:eks/nodeGroup:NodeGroup').inputs).toMatchObject({
        subnetIds: ['subnet-private-a', 'subnet-private-b'],
        instanceTypes: ['t3.medium'],
        scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 3 },
        amiType: 'AL2023_x86_64_STANDARD',
      })
    }
  })

  it('opens the public endpoint only to the CIDRs a stack names, and never in prod', async () => {
    const open = await runStack('dev', {
      'votelab:compute': 'eks',
      'votelab:eksPublicAccessCidrs': ['203.0.113.7/32'],
    })
    expect(open.one('eks:index:Cluster').inputs).toMatchObject({
      endpointPublicAccess: true,
      publicAccessCidrs: ['203.0.113.7/32'],
    })
    // Settings a stack must never deploy with, refused before anything registers.
    await pulumi.runtime.setMocks(
      { newResource: (args) => ({ id: args.name, state: {} }), call: () => ({}) },
      'votelab',
      'prod',
      false,
    )
    const refused = (stack: string, overrides: Record<string, unknown>) => {
      pulumi.runtime.setAllConfig(
        stackConfig(stack, {
          'votelab:image': imageOf(stack),
          'votelab:compute': 'eks',
          ...overrides,
        }),
      )
      return () => readConfig()
    }
    expect(refused('prod', { 'votelab:eksPublicAccessCidrs': ['203.0.113.7/32'] })).toThrow(
      /prod keeps its Kubernetes API private/,
    )
    expect(refused('prod', { 'votelab:eksPublicAccessCidrs': ['everyone'] })).toThrow(
      /not an IPv4 CIDR/,
    )
    expect(refused('prod', { 'votelab:compute': 'nomad' })).toThrow(
      /compute must be one of ecs, eks/,
    )
  }, 120_000)

  it('keeps the log groups it writes to expiring: control plane and containers', () => {
    const groups = dev
      .ofType('aws:cloudwatch/logGroup:LogGroup')
      .filter((group) => group.name.includes('kubernetes'))
    expect(groups.map((group) => group.inputs.name ?? group.name).sort()).toEqual([
      '/aws/containerinsights/votelab-dev/application',
      '/aws/containerinsights/votelab-dev/dataplane',
      '/aws/containerinsights/votelab-dev/host',
      '/aws/containerinsights/votelab-dev/performance',
      '/aws/eks/votelab-dev/cluster',
      // The collectors' metric events (named by Pulumi, like the ECS service's).
      'votelab-dev-kubernetes-metrics',
    ])
    for (const group of groups) expect(group.inputs.retentionInDays).toBe(7)
    const cluster = dev.one('eks:index:Cluster')
    expect(cluster.options.dependsOn).toContain(
      'aws:cloudwatch/logGroup:LogGroup::votelab-dev-kubernetes-control-plane-logs',
    )
  })

  it('admits the pods from the load balancer only, and the database from the pods', () => {
    const rules = [
      ...dev.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'),
      ...dev.ofType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule'),
    ].filter((rule) => rule.name.includes('kubernetes'))
    const summary = rules.map((rule) => ({
      type: rule.type.includes('Ingress') ? 'in' : 'out',
      group: rule.inputs.securityGroupId,
      peer: rule.inputs.referencedSecurityGroupId,
      port: rule.inputs.fromPort,
    }))
    const group = (name: string) =>
      dev.one('aws:ec2/securityGroup:SecurityGroup', `votelab-dev-${name}`).state.id ??
      `votelab-dev-${name}-id`
    expect(summary).toEqual(
      expect.arrayContaining([
        { type: 'in', group: EKS_CLUSTER_SECURITY_GROUP, peer: group('load-balancer'), port: 3000 },
        {
          type: 'out',
          group: group('load-balancer'),
          peer: EKS_CLUSTER_SECURITY_GROUP,
          port: 3000,
        },
        { type: 'in', group: group('database'), peer: EKS_CLUSTER_SECURITY_GROUP, port: 5432 },
      ]),
    )
    expect(summary).toHaveLength(3)
    for (const rule of rules) expect(rule.inputs.cidrIpv4).toBeUndefined()
  })

  it('gives each controller a role only its own service account can assume (IRSA), under a boundary', () => {
    const issuer = `oidc.eks.eu-west-1.amazonaws.com/id/${EKS_OIDC_ID}`
    const accounts: [string, string][] = [
      ['lb-controller', 'system:serviceaccount:kube-system:aws-load-balancer-controller'],
      ['secrets-reader', 'system:serviceaccount:votelab:votelab-secrets-reader'],
      ['api', 'system:serviceaccount:votelab:votelab-api'],
      ['container-logs', 'system:serviceaccount:amazon-cloudwatch:cloudwatch-agent'],
      ['cni', 'system:serviceaccount:kube-system:aws-node'],
    ]
    for (const [purpose, subject] of accounts) {
      const trust = statements(role(dev, purpose).inputs.assumeRolePolicy)
      expect(trust, purpose).toEqual([
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { [`${issuer}:sub`]: subject, [`${issuer}:aud`]: 'sts.amazonaws.com' },
          },
        },
      ])
    }
    const boundaries = (name: string) => String(dev.one('aws:iam/policy:Policy', name).state.arn)
    for (const purpose of ['cluster', 'nodes', 'lb-controller', 'container-logs', 'cni']) {
      expect(role(dev, purpose).inputs.permissionsBoundary, purpose).toBe(
        boundaries('cluster-boundary'),
      )
    }
    for (const purpose of ['secrets-reader', 'api']) {
      expect(role(dev, purpose).inputs.permissionsBoundary, purpose).toBe(
        boundaries('workload-boundary'),
      )
    }
  })

  it('runs the VPC CNI on a role of its own (IRSA), installed before any node, with NetworkPolicies enforced', () => {
    const addon = dev.one('eks:index:VpcCniAddon')
    expect(addon.inputs).toMatchObject({
      clusterName: 'votelab-dev',
      serviceAccountRoleArn: role(dev, 'cni').state.arn,
      enableNetworkPolicy: true,
    })
    expect(dev.one('aws:eks/nodeGroup:NodeGroup').options.dependsOn).toContain(
      'eks:index:VpcCniAddon::votelab-dev-kubernetes-vpc-cni',
    )
    // AWS's CNI policy on aws-node's role only: a pod that reaches the node's credentials
    // (instance metadata) cannot create, attach or move network interfaces with them.
    const attached = (purpose: string) =>
      dev
        .ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
        .filter((attachment) => attachment.inputs.role === role(dev, purpose).state.name)
        .map((attachment) => String(attachment.inputs.policyArn).split('/').pop())
        .sort()
    expect(attached('nodes')).toEqual([
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKSWorkerNodePolicy',
    ])
    expect(attached('cni')).toEqual(['AmazonEKS_CNI_Policy'])
  })

  it('lets the Load Balancer Controller register targets in the stack’s one target group and create nothing', () => {
    const policy = policyOf(dev, 'lb-controller')
    const targetGroup = String(dev.one('aws:lb/targetGroup:TargetGroup').state.arn)
    const writes = policy.filter((statement) =>
      list(statement.Action).some((action) => !/:(Describe|Get|List)/.test(action)),
    )
    expect(writes).toEqual([
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: targetGroup,
      },
    ])
    const actions = policy.flatMap((statement) => list(statement.Action))
    expect(
      actions.filter((action) => /Create|Delete|Modify|Authorize|Revoke/.test(action)),
    ).toEqual([])
    expect(policyOf(dev, 'secrets-reader')).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCd',
      },
    ])
    const metrics = dev.one('aws:cloudwatch/logGroup:LogGroup', 'kubernetes-metrics').state
    expect(policyOf(dev, 'api')).toEqual([
      {
        Effect: 'Allow',
        Action: 'cognito-idp:ListUsersInGroup',
        Resource: dev.one('aws:cognito/userPool:UserPool').state.arn,
      },
      // The collector beside the API shares the pod's service account, so its rights too.
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${String(metrics.arn)}:*`,
      },
      { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
    ])
  })

  it('installs the controllers from pinned charts, the Load Balancer Controller without an IngressClass or Service webhook', () => {
    const release = (name: string) => dev.one('kubernetes:helm.sh/v3:Release', name).inputs
    const lbc = release('load-balancer-controller')
    expect(lbc).toMatchObject({
      chart: CHARTS.loadBalancerController.chart,
      version: CHARTS.loadBalancerController.version,
      repositoryOpts: { repo: 'https://aws.github.io/eks-charts' },
      namespace: 'kube-system',
      values: {
        clusterName: 'votelab-dev',
        createIngressClassResource: false,
        enableServiceMutatorWebhook: false,
        serviceAccount: {
          name: 'aws-load-balancer-controller',
          annotations: { 'eks.amazonaws.com/role-arn': role(dev, 'lb-controller').state.arn },
        },
      },
    })
    expect(release('external-secrets')).toMatchObject({
      chart: 'external-secrets',
      version: CHARTS.externalSecrets.version,
      values: { installCRDs: true },
    })
    for (const chart of Object.values(CHARTS)) expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/)
  })
})

describe('the eks overlay as the cluster receives it', () => {
  it('applies after both controllers, through the cluster’s provider', () => {
    const group = dev.one('kubernetes:yaml/v2:ConfigGroup')
    expect(group.options.dependsOn.sort()).toEqual([
      'kubernetes:helm.sh/v3:Release::votelab-dev-workload-external-secrets',
      'kubernetes:helm.sh/v3:Release::votelab-dev-workload-load-balancer-controller',
    ])
  })

  it('carries the stack’s own values in every place the overlay marks `# set by Pulumi`', () => {
    const objects = overlay(dev)
    const rds = dev.one('aws:rds/instance:Instance').state
    const deployment = object(objects, 'Deployment', 'votelab-api')
    expect(at(deployment, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(
      imageOf('dev'),
    )
    expect(at(object(objects, 'ConfigMap', 'votelab-api-'), 'data')).toMatchObject({
      DATABASE_URL: `postgres://votelab@${String(rds.address)}:5432/votelab`,
      AUTH_ISSUER: dev.outputs.issuer,
      AUTH_CLIENT_IDS: dev.outputs.webClientId,
      AUTH_USER_POOL_ID: dev.outputs.userPoolId,
      AUTH_USERINFO_URL: `https://${String(dev.outputs.signInDomain)}/oauth2/userInfo`,
      PUBLIC_URL: dev.outputs.siteUrl,
    })
    expect(
      at(deployment, 'spec', 'template', 'metadata', 'annotations', CONFIG_HASH_ANNOTATION),
    ).toMatch(/^[0-9a-f]{16}$/)
    expect(at(object(objects, 'TargetGroupBinding'), 'spec', 'targetGroupARN')).toBe(
      dev.one('aws:lb/targetGroup:TargetGroup').state.arn,
    )
    const annotation = (name: string) =>
      object(objects, 'ServiceAccount', name).metadata.annotations?.['eks.amazonaws.com/role-arn']
    expect(annotation('votelab-api')).toBe(role(dev, 'api').state.arn)
    expect(annotation('votelab-secrets-reader')).toBe(role(dev, 'secrets-reader').state.arn)
    expect(at(object(objects, 'SecretStore'), 'spec', 'provider', 'aws', 'region')).toBe(
      'eu-west-1',
    )
    expect(at(object(objects, 'ExternalSecret'), 'spec', 'data', 0, 'remoteRef', 'key')).toBe(
      dev.outputs.databasePasswordSecretArn,
    )
    expect(
      at(object(objects, 'NetworkPolicy', 'votelab-api'), 'spec', 'ingress', 0, 'from'),
    ).toEqual([{ ipBlock: { cidr: VPC_CIDR } }])
    // Nothing of the placeholders' own is left: their digest, pool, role paths, RDS host.
    const text = JSON.stringify(objects)
    for (const placeholder of [
      'sha256:0000',
      'eu-west-1_AbC123',
      'abc.eu-west-1.rds',
      'abc123clientid',
    ]) {
      expect(text).not.toContain(placeholder)
    }
  })

  it('rolls the pods when a setting changes, and refuses an overlay that lost a place for a value', () => {
    const objects = overlay(dev)
    const values = {
      image: imageOf('dev'),
      region: 'eu-west-1',
      vpcCidr: VPC_CIDR,
      targetGroupArn: 'arn:tg',
      databasePasswordSecretArn: 'arn:secret',
      apiRoleArn: 'arn:api',
      secretsReaderRoleArn: 'arn:reader',
      settings: {
        DATABASE_URL: 'postgres://votelab@db:5432/votelab',
        AUTH_ISSUER: 'https://issuer',
        AUTH_CLIENT_IDS: 'client',
        AUTH_USERINFO_URL: 'https://issuer/userInfo',
        AUTH_USER_POOL_ID: 'pool',
        PUBLIC_URL: 'https://site',
      },
    }
    const hash = (rendered: K8sObject[]) =>
      at(
        object(rendered, 'Deployment', 'votelab-api'),
        'spec',
        'template',
        'metadata',
        'annotations',
        CONFIG_HASH_ANNOTATION,
      )
    const first = hash(withStackValues(objects, values))
    expect(hash(withStackValues(objects, values))).toBe(first)
    expect(
      hash(
        withStackValues(objects, {
          ...values,
          settings: { ...values.settings, PUBLIC_URL: 'https://other' },
        }),
      ),
    ).not.toBe(first)
    const withoutBinding = objects.filter((o) => o.kind !== 'TargetGroupBinding')
    expect(() => withStackValues(withoutBinding, values)).toThrow(/no TargetGroupBinding/)
  })
})

describe('metrics and traces on EKS, as on ECS (votelab:telemetry cloudwatch, the default)', () => {
  let ecs: StackRun
  let off: StackRun
  beforeAll(async () => {
    ecs = await runStack('dev')
    off = await runStack('dev', { 'votelab:compute': 'eks', 'votelab:telemetry': 'off' })
  }, 120_000)

  const collectorOf = (stack: StackRun) => {
    const pod = at(object(overlay(stack), 'Deployment', 'votelab-api'), 'spec', 'template', 'spec')
    const sidecars = (at(pod, 'initContainers') ?? []) as {
      name: string
      image: string
      env: { name: string; value?: string }[]
    }[]
    return sidecars.find((container) => container.name === 'collector')
  }
  const configOf = (text: string | undefined) =>
    parse(text ?? '') as {
      processors: { resourcedetection: { detectors: string[] } }
      exporters: { awsemf: Record<string, unknown> }
    } & Record<string, unknown>
  const aotConfig = (environment: { name: string; value?: string }[]) =>
    environment.find((variable) => variable.name === 'AOT_CONFIG_CONTENT')?.value

  it('gives each pod the collector the ECS task has: one configuration but for where it runs', () => {
    const collector = collectorOf(dev)
    expect(collector?.image).toBe(DEFAULT_COLLECTOR_IMAGE)
    const pod = configOf(aotConfig(collector?.env ?? []))
    const metrics = dev.one('aws:cloudwatch/logGroup:LogGroup', 'kubernetes-metrics').state
    expect(pod.exporters.awsemf).toMatchObject({
      namespace: 'votelab/dev',
      log_group_name: metrics.name,
      // Kubernetes writes the pod's name in (an env value's $(POD_NAME)): one stream a pod.
      log_stream_name: '$(POD_NAME)',
    })
    expect(pod.processors.resourcedetection.detectors).toEqual(['env'])
    // Nothing else in it looks like a variable Kubernetes would expand.
    expect(aotConfig(collector?.env ?? [])?.match(/\$\(\w+\)/g)).toEqual(['$(POD_NAME)'])

    const task = ecs.one('awsx:ecs:FargateService').inputs as unknown as {
      taskDefinitionArgs: {
        containers: Record<string, { environment: { name: string; value: string }[] }>
      }
    }
    const onEcs = configOf(
      aotConfig(task.taskDefinitionArgs.containers.collector?.environment ?? []),
    )
    // The same receivers, pipelines, metric declarations and units: only where it runs differs.
    const withoutWhere = (config: ReturnType<typeof configOf>) => ({
      ...config,
      processors: { ...config.processors, resourcedetection: undefined },
      exporters: {
        ...config.exporters,
        awsemf: {
          ...config.exporters.awsemf,
          log_group_name: undefined,
          log_stream_name: undefined,
        },
      },
    })
    expect(withoutWhere(pod)).toEqual(withoutWhere(onEcs))
  })

  it('tells the API what the ECS task is told, and lets only its pods write the metrics', () => {
    const data = at(object(overlay(dev), 'ConfigMap', 'votelab-api-'), 'data') as Record<
      string,
      string
    >
    expect(
      Object.fromEntries(Object.entries(data).filter(([key]) => key.startsWith('OTEL_'))),
    ).toEqual(apiTelemetryEnvironment(0.05))
    expect(dev.outputs.metricsLogGroup).toBe(
      dev.one('aws:cloudwatch/logGroup:LogGroup', 'kubernetes-metrics').state.name,
    )
    expect(String(dev.outputs.traces)).toContain('#xray:traces')
  })

  it('alarms and charts on the API’s own metrics as the ECS stack does', () => {
    const applicationAlarms = (stack: StackRun) =>
      stack
        .ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
        .filter((alarm) => JSON.stringify(alarm.inputs).includes('votelab/dev'))
        .map((alarm) => alarm.name)
        .sort()
    expect(applicationAlarms(dev).length).toBeGreaterThan(0)
    expect(applicationAlarms(dev)).toEqual(applicationAlarms(ecs))
    expect(applicationAlarms(off)).toEqual([])
  })

  it('with votelab:telemetry off, runs the API alone and pushes nothing', () => {
    expect(collectorOf(off)).toBeUndefined()
    const data = at(object(overlay(off), 'ConfigMap', 'votelab-api-'), 'data') as Record<
      string,
      string
    >
    expect(Object.keys(data).filter((key) => key.startsWith('OTEL_'))).toEqual([])
    expect(policyOf(off, 'api')).toHaveLength(1)
    expect(
      off
        .ofType('aws:cloudwatch/logGroup:LogGroup')
        .filter((group) => group.name.includes('metrics')),
    ).toEqual([])
    expect(off.outputs).not.toHaveProperty('metricsLogGroup')
  })
})
