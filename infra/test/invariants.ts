import { expect, it } from 'vitest'
import { streamsForTask } from '../src/service.ts'
import { COLLECTOR_MEMORY_MIB } from '../src/telemetry.ts'
import { CLOUDFRONT_PREFIX_LIST, IMAGE_DIGEST, type Registered, type StackRun } from './harness.ts'

/**
 * Security and reliability properties every stack must keep, checked over every resource the
 * program registers. Each `it` names the property a reviewer would look for.
 */

export interface Statement {
  Sid?: string
  Effect: string
  Action: string | string[]
  Resource: string | string[]
  Principal?: Record<string, unknown>
  Condition?: Record<string, Record<string, unknown>>
}
export const statements = (policy: unknown): Statement[] =>
  (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement
export const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])
const get = (resource: Registered, key: string) => resource.inputs[key] as Record<string, unknown>

export interface Container {
  essential?: boolean
  image: string
  dependsOn?: { containerName: string; condition: string }[]
  environment: { name: string; value: string }[]
  secrets: { name: string; valueFrom: string }[]
  readonlyRootFilesystem: boolean
  portMappings: { containerPort: number }[]
  logConfiguration: { logDriver: string; options: Record<string, string> }
}

/** The task's containers by name: the API and, with telemetry on, the collector. */
export function containersOf(run: StackRun): { api: Container } & Record<string, Container> {
  const definition = run.one('awsx:ecs:FargateService').inputs.taskDefinitionArgs as {
    containers: { api: Container } & Record<string, Container>
  }
  return definition.containers
}

export function expectedResources(stack: () => StackRun): void {
  it('registers every part of the system', () => {
    const counts = (type: string) => stack().ofType(type).length
    const expected: Record<string, number> = {
      'awsx:ec2:Vpc': 1,
      'aws:ec2/securityGroup:SecurityGroup': 3,
      'aws:rds/instance:Instance': 1,
      'aws:rds/subnetGroup:SubnetGroup': 1,
      'aws:secretsmanager/secretRotation:SecretRotation': 1,
      'aws:ecr/repository:Repository': 1,
      'aws:ecr/lifecyclePolicy:LifecyclePolicy': 1,
      // Never a build: the pipeline pushes the image, the program deploys its digest.
      'awsx:ecr:Image': 0,
      'aws:ecs/cluster:Cluster': 1,
      'awsx:ecs:FargateService': 1,
      'aws:lb/loadBalancer:LoadBalancer': 1,
      'aws:lb/targetGroup:TargetGroup': 1,
      'aws:lb/listener:Listener': 1,
      'aws:appautoscaling/target:Target': 1,
      'aws:appautoscaling/policy:Policy': 2,
      'aws:cognito/userPool:UserPool': 1,
      'aws:cognito/userGroup:UserGroup': 1,
      'aws:cognito/userPoolClient:UserPoolClient': 1,
      'aws:cognito/userPoolDomain:UserPoolDomain': 1,
      'aws:s3/bucket:Bucket': 1,
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': 1,
      'aws:s3/bucketPolicy:BucketPolicy': 1,
      'aws:cloudfront/distribution:Distribution': 1,
      'aws:cloudfront/originAccessControl:OriginAccessControl': 1,
      'aws:cloudfront/vpcOrigin:VpcOrigin': 1,
      'aws:cloudfront/function:Function': 1,
      'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy': 2,
      // Account-wide, created once outside every stack (issue 14, finding 1; account.test.ts).
      'aws:iam/openIdConnectProvider:OpenIdConnectProvider': 0,
      'aws:iam/role:Role': 4,
      // The API's, RDS's export, Container Insights', the collector's metric events.
      'aws:cloudwatch/logGroup:LogGroup': 4,
      // Five on AWS's metrics, seven on the API's own (four of them burn-rate windows)…
      'aws:cloudwatch/metricAlarm:MetricAlarm': 12,
      // …combined into the fast and slow error-budget burns.
      'aws:cloudwatch/compositeAlarm:CompositeAlarm': 2,
      'aws:cloudwatch/dashboard:Dashboard': 1,
      'aws:sns/topic:Topic': 1,
      'aws:sns/topicPolicy:TopicPolicy': 1,
      'aws:budgets/budget:Budget': 1,
    }
    expect(Object.fromEntries(Object.keys(expected).map((type) => [type, counts(type)]))).toEqual(
      expected,
    )
    // Concerns as components, each child under its component.
    expect(
      stack()
        .resources.filter((r) => r.type.startsWith('votelab:infra:'))
        .map((r) => r.type.split(':')[2])
        .sort(),
    ).toEqual([
      'Database',
      'ImageRepository',
      'LoadBalancer',
      'Network',
      'Observability',
      'PipelineAccess',
      'Service',
      'SignIn',
      'Site',
      'SiteContent',
    ])
  })

  it('uploads the built page and writes the stack-specific config.json', () => {
    const objects = stack().ofType('aws:s3/bucketObjectv2:BucketObjectv2')
    const byKey = new Map(objects.map((o) => [String(o.inputs.key), o.inputs]))
    expect([...byKey.keys()].sort()).toEqual([
      'assets/index-AbC123.js',
      'assets/index-DeF456.css',
      'config.json',
      'favicon.svg',
      'index.html',
    ])
    expect(byKey.get('assets/index-AbC123.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    })
    expect(byKey.get('index.html')).toMatchObject({ cacheControl: 'no-cache' })
    const config = JSON.parse(String(byKey.get('config.json')?.content)) as Record<string, string>
    const outputs = stack().outputs
    expect(config).toEqual({
      issuer: outputs.issuer,
      clientId: outputs.webClientId,
      apiBaseUrl: '/api',
      signOutUrl: `https://${String(outputs.signInDomain)}/logout`,
    })
  })

  it('names its outputs for people and never exports a password', () => {
    const outputs = stack().outputs
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'siteUrl',
        'apiUrl',
        'signInDomain',
        'userPoolId',
        'webClientId',
        'imageRepository',
        'databaseEndpoint',
        'pipelineDeployRoleArn',
      ]),
    )
    expect(String(outputs.siteUrl)).toMatch(/^https:\/\/[a-z0-9]+\.cloudfront\.net$/)
    // Issue 14, finding 8: the console link names the stack's region.
    expect(String(outputs.dashboard)).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\//,
    )
    expect(Object.keys(outputs).filter((key) => /password(?!SecretArn)/i.test(key))).toEqual([])
  })
}

export function securityInvariants(stack: () => StackRun): void {
  const groups = () => {
    const byRole = (role: string) =>
      stack().one('aws:ec2/securityGroup:SecurityGroup', `-${role}`).name
    return {
      loadBalancer: `${byRole('load-balancer')}-id`,
      service: `${byRole('service')}-id`,
      database: `${byRole('database')}-id`,
    }
  }
  const ingress = () => stack().ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')
  const egress = () => stack().ofType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')

  it('keeps the database private, encrypted, and its password in Secrets Manager', () => {
    const db = stack().one('aws:rds/instance:Instance').inputs
    expect(db).toMatchObject({
      publiclyAccessible: false,
      storageEncrypted: true,
      manageMasterUserPassword: true,
      vpcSecurityGroupIds: [groups().database],
    })
    expect(db.password).toBeUndefined()
    expect(stack().one('aws:rds/subnetGroup:SubnetGroup').inputs.subnetIds).toEqual([
      'subnet-private-a',
      'subnet-private-b',
    ])
    const parameters = stack().one('aws:rds/parameterGroup:ParameterGroup').inputs.parameters
    expect(parameters).toContainEqual({ name: 'rds.force_ssl', value: '1' })
  })

  it("opens no security group to the internet: the only ingress without a group is CloudFront's prefix list", () => {
    for (const group of stack().ofType('aws:ec2/securityGroup:SecurityGroup')) {
      expect(group.inputs.ingress ?? []).toEqual([])
    }
    for (const rule of ingress()) {
      expect(rule.inputs.cidrIpv4).toBeUndefined()
      expect(rule.inputs.cidrIpv6).toBeUndefined()
    }
    const unreferenced = ingress().filter((rule) => !rule.inputs.referencedSecurityGroupId)
    expect(unreferenced.map((rule) => rule.inputs)).toEqual([
      expect.objectContaining({
        securityGroupId: groups().loadBalancer,
        prefixListId: CLOUDFRONT_PREFIX_LIST,
        fromPort: 80,
        toPort: 80,
      }),
    ])
  })

  it('admits the database only from the service, and the service only from the load balancer', () => {
    const { loadBalancer, service, database } = groups()
    const into = (group: string) =>
      ingress()
        .filter((rule) => rule.inputs.securityGroupId === group)
        .map((rule) => rule.inputs)
    expect(into(database)).toEqual([
      expect.objectContaining({
        referencedSecurityGroupId: service,
        fromPort: 5432,
        toPort: 5432,
        ipProtocol: 'tcp',
      }),
    ])
    expect(into(service)).toEqual([
      expect.objectContaining({
        referencedSecurityGroupId: loadBalancer,
        fromPort: 3000,
        toPort: 3000,
      }),
    ])
    // Outbound: the database nowhere; the service to Postgres and HTTPS only.
    const out = (group: string) =>
      egress()
        .filter((rule) => rule.inputs.securityGroupId === group)
        .map((rule) => rule.inputs)
    expect(out(database)).toEqual([])
    expect(
      out(service)
        .map((rule) => rule.fromPort)
        .sort(),
    ).toEqual([443, 5432])
    expect(out(loadBalancer)).toEqual([
      expect.objectContaining({ referencedSecurityGroupId: service, fromPort: 3000 }),
    ])
  })

  it('runs the API in private subnets, without public IPs, behind the internal load balancer', () => {
    const service = stack().one('awsx:ecs:FargateService').inputs
    expect(service).toMatchObject({
      networkConfiguration: {
        subnets: ['subnet-private-a', 'subnet-private-b'],
        securityGroups: [groups().service],
        assignPublicIp: false,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
    })
    expect(service.healthCheckGracePeriodSeconds).toBeGreaterThan(0)
    expect(service.loadBalancers).toEqual([
      expect.objectContaining({ containerName: 'api', containerPort: 3000 }),
    ])
    expect(stack().one('aws:lb/loadBalancer:LoadBalancer').inputs).toMatchObject({
      internal: true,
      subnets: ['subnet-private-a', 'subnet-private-b'],
      securityGroups: [groups().loadBalancer],
    })
    expect(stack().one('aws:lb/targetGroup:TargetGroup').inputs).toMatchObject({
      targetType: 'ip',
      port: 3000,
      healthCheck: expect.objectContaining({ path: '/healthz', matcher: '200' }) as unknown,
    })
  })

  it('passes the database password only through the task definition secrets', () => {
    const definition = get(stack().one('awsx:ecs:FargateService'), 'taskDefinitionArgs')
    const container = containersOf(stack()).api
    const secretArn = String(stack().outputs.databasePasswordSecretArn)
    expect(container.secrets).toEqual([
      { name: 'DATABASE_PASSWORD', valueFrom: `${secretArn}:password::` },
    ])
    for (const { name, value } of container.environment) {
      expect(name).not.toMatch(/PASSWORD|SECRET|TOKEN|PRIVATE/)
      expect(value).not.toContain(secretArn)
    }
    const env = Object.fromEntries(container.environment.map(({ name, value }) => [name, value]))
    expect(new URL(env.DATABASE_URL ?? '').password).toBe('')
    expect(env).toMatchObject({
      HOST: '0.0.0.0',
      PORT: '3000',
      DATABASE_SSL: 'verify-full',
      DATABASE_CA: 'amazon-rds',
      TRUST_PROXY_HOPS: '2',
      // Sized on what the API has once the collector's reservation is set aside.
      STREAMS_PER_PROCESS: String(
        streamsForTask(Number(definition.cpu), Number(definition.memory) - COLLECTOR_MEMORY_MIB),
      ),
      PUBLIC_URL: stack().outputs.siteUrl,
      AUTH_ISSUER: stack().outputs.issuer,
      AUTH_CLIENT_IDS: stack().outputs.webClientId,
      AUTH_USERINFO_URL: `https://${String(stack().outputs.signInDomain)}/oauth2/userInfo`,
      // The pool the issuer names: its groups are counted for turnout.
      AUTH_USER_POOL_ID: String(stack().outputs.issuer).split('/').at(-1),
    })
    expect(container.readonlyRootFilesystem).toBe(true)
    // Live-result streams sized from CPU and memory (docs/operations.md): the lab's ¼ vCPU task
    // can write a broadcast to ~3,000 in its CPU budget, production's ½ vCPU ~7,000; memory binds
    // only on big CPU.
    expect([
      streamsForTask(256, 896),
      streamsForTask(512, 896),
      streamsForTask(1024, 896),
      streamsForTask(4096, 512),
      streamsForTask(4096, 1024),
    ]).toEqual([3_000, 7_000, 15_000, 8_000, 23_000])
  })

  it('gives the execution role exactly the image, the log group and the one secret; the task role its pool’s group counts', () => {
    const executionPolicy = stack().one('aws:iam/policy:Policy', 'execution-policy')
    const policy = statements(executionPolicy.inputs.policy)
    const resourcesFor = (action: string) =>
      policy.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource))
    expect(resourcesFor('secretsmanager:GetSecretValue')).toEqual([
      stack().outputs.databasePasswordSecretArn,
    ])
    expect(resourcesFor('ecr:BatchGetImage')).toEqual([
      expect.stringMatching(/^arn:aws:ecr:.*repository/),
    ])
    expect(resourcesFor('logs:PutLogEvents')).toEqual([
      expect.stringMatching(/^arn:aws:logs:.*:log-group:.*:\*$/),
    ])
    // Attached as a managed policy under the stack's path (issue 14, finding 3): no inline ones.
    const executionRole = stack().one('aws:iam/role:Role', '-execution')
    expect(executionPolicy.inputs.path).toBe(executionRole.inputs.path)
    const taskRole = stack().one('aws:iam/role:Role', '-task')
    const taskPolicy = stack().one('aws:iam/policy:Policy', '-task-policy')
    const metricsGroup = stack()
      .ofType('aws:cloudwatch/logGroup:LogGroup')
      .find((group) => group.name.endsWith('-metrics'))
    expect(statements(taskPolicy.inputs.policy)).toEqual([
      {
        Effect: 'Allow',
        Action: 'cognito-idp:ListUsersInGroup',
        Resource: stack().ofType('aws:cognito/userPool:UserPool')[0]?.state.arn,
      },
      // The collector: its metric events into that one group, trace segments to X-Ray.
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${String(metricsGroup?.state.arn)}:*`,
      },
      { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
    ])
    const attachments = stack()
      .ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
      .map((attachment) => attachment.inputs)
    expect(attachments).toHaveLength(2)
    expect(attachments).toEqual(
      expect.arrayContaining([
        {
          role: `${executionRole.name}-abc1234`,
          policyArn: `arn:aws:iam::123456789012:policy${String(executionRole.inputs.path)}${executionPolicy.name}-abc1234`,
        },
        {
          role: `${taskRole.name}-abc1234`,
          policyArn: `arn:aws:iam::123456789012:policy${String(taskRole.inputs.path)}${taskPolicy.name}-abc1234`,
        },
      ]),
    )
    const stackRoles = [executionRole, taskRole]
    const inline = stack().ofType('aws:iam/rolePolicy:RolePolicy')
    expect(inline.map((p) => p.name).every((name) => name.includes('-pipeline-'))).toBe(true)
    // Both carry the workload boundary the pipeline cannot change.
    const boundary = stack().one('aws:iam/policy:Policy', 'workload-boundary')
    for (const role of stackRoles) {
      expect(role.inputs.permissionsBoundary).toBe(
        `arn:aws:iam::123456789012:policy/votelab-pipeline/${boundary.name}-abc1234`,
      )
    }
  })

  it('grants no wildcard-everything, and passes roles to ECS tasks only (the sign-up function’s to Lambda)', () => {
    const policies = [
      ...stack().ofType('aws:iam/rolePolicy:RolePolicy'),
      ...stack().ofType('aws:iam/policy:Policy'),
    ]
    for (const policy of policies) {
      for (const statement of statements(policy.inputs.policy)) {
        if (statement.Effect === 'Deny') continue
        expect(list(statement.Action)).not.toContain('*')
        expect(list(statement.Action)).not.toContain('iam:*')
        if (list(statement.Action).includes('iam:PassRole')) {
          const service = statement.Condition?.StringEquals?.['iam:PassedToService']
          if (service === 'lambda.amazonaws.com') {
            for (const role of list(statement.Resource)) expect(role).toMatch(/-pre-sign-up-\*$/)
          } else {
            expect(service).toBe('ecs-tasks.amazonaws.com')
          }
        }
      }
    }
  })

  it('keeps every log group for a limited time', () => {
    const groups = stack().ofType('aws:cloudwatch/logGroup:LogGroup')
    expect(groups.length).toBeGreaterThan(0)
    for (const group of groups) expect(group.inputs.retentionInDays).toBeGreaterThan(0)
    // awsx would otherwise create its own log group (without our retention) inside the service.
    const definition = get(stack().one('awsx:ecs:FargateService'), 'taskDefinitionArgs')
    expect(definition.logGroup).toEqual({ skip: true })
    for (const container of Object.values(containersOf(stack()))) {
      expect(container.logConfiguration).toMatchObject({
        logDriver: 'awslogs',
        options: { 'awslogs-group': String(stack().outputs.logGroup) },
      })
    }
  })

  it('creates, with retention, the log groups RDS and Container Insights would create without (issue 14, finding 8)', () => {
    const groupNamed = (name: string) =>
      stack()
        .ofType('aws:cloudwatch/logGroup:LogGroup')
        .find((group) => group.inputs.name === name)
    const key = (resource: Registered) => `${resource.type}::${resource.name}`
    // One group per exported RDS log, named as RDS names it, existing before the instance.
    const database = stack().one('aws:rds/instance:Instance')
    const identifier = String(database.inputs.identifier)
    expect(identifier).toMatch(/^votelab-(dev|prod)-postgres$/)
    for (const log of database.inputs.enabledCloudwatchLogsExports as string[]) {
      const group = groupNamed(`/aws/rds/instance/${identifier}/${log}`)
      expect(group?.inputs.retentionInDays, log).toBeGreaterThan(0)
      expect(database.options.dependsOn).toContain(key(group as Registered))
    }
    // A renamed instance is a new, empty database: an older stack keeps its generated name.
    expect(database.options.ignoreChanges).toEqual(['identifier'])
    // Container Insights' group for this cluster, before the service starts a task.
    const cluster = stack().one('aws:ecs/cluster:Cluster')
    const insights = groupNamed(
      `/aws/ecs/containerinsights/${String(cluster.state.name)}/performance`,
    )
    expect(insights?.inputs.retentionInDays).toBeGreaterThan(0)
    expect(stack().one('awsx:ecs:FargateService').options.dependsOn).toContain(
      key(insights as Registered),
    )
  })

  it('blocks public access to the site bucket; only the distribution may read it', () => {
    for (const bucket of stack().ofType('aws:s3/bucket:Bucket')) {
      const block = stack()
        .ofType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')
        .find((b) => b.inputs.bucket === `${bucket.name}-id`)
      expect(block?.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      })
    }
    const [statement, ...rest] = statements(
      stack().one('aws:s3/bucketPolicy:BucketPolicy').inputs.policy,
    )
    expect(rest).toEqual([])
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: {
        StringEquals: { 'AWS:SourceArn': expect.stringMatching(/^arn:aws:cloudfront/) as unknown },
      },
    })
  })

  it('serves everything over HTTPS from one CloudFront origin, /api/* uncached through the VPC origin', () => {
    const cdn = stack().one('aws:cloudfront/distribution:Distribution').inputs
    const behaviors = [
      cdn.defaultCacheBehavior,
      ...(cdn.orderedCacheBehaviors as unknown[]),
    ] as Record<string, unknown>[]
    for (const behavior of behaviors)
      expect(behavior.viewerProtocolPolicy).toBe('redirect-to-https')
    for (const behavior of behaviors) expect(behavior.responseHeadersPolicyId).toBeTruthy()
    const api = behaviors.find((b) => b.pathPattern === '/api/*')
    expect(api).toMatchObject({
      targetOriginId: 'api',
      cachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      originRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      allowedMethods: expect.arrayContaining(['POST', 'PATCH', 'DELETE']) as unknown,
    })
    const stream = behaviors.find((b) => b.pathPattern === '/api/polls/*/results/stream')
    expect(stream).toMatchObject({ targetOriginId: 'api', compress: false })
    // Issue 14, finding 8: bare /api reaches the API (a JSON 404), not the page; nothing uncached
    // claims compression it cannot get.
    expect(behaviors.find((b) => b.pathPattern === '/api')?.targetOriginId).toBe('api')
    for (const behavior of behaviors) {
      if (behavior.cachePolicyId === '4135ea2d-6df8-44a3-9df3-4b5a84be39ad') {
        expect(behavior.compress).toBe(false)
      }
    }
    // The more specific path must come first: CloudFront takes the first match.
    expect(behaviors.indexOf(stream ?? {})).toBeLessThan(behaviors.indexOf(api ?? {}))
    const origins = cdn.origins as Record<string, unknown>[]
    expect(origins.find((o) => o.originId === 'api')?.vpcOriginConfig).toMatchObject({
      originReadTimeout: 60,
    })
    expect(origins.find((o) => o.originId === 'site')?.originAccessControlId).toBeTruthy()
    // The page gets a content security policy, everything gets HSTS.
    const policy = (id: unknown) =>
      stack()
        .ofType('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy')
        .find((p) => `${p.name}-id` === id)?.inputs.securityHeadersConfig as Record<string, unknown>
    const page = policy(
      (cdn.defaultCacheBehavior as Record<string, unknown>).responseHeadersPolicyId,
    )
    expect(JSON.stringify(page.contentSecurityPolicy)).toContain("frame-ancestors 'none'")
    // The API's answers get a deny-all policy, unless the API sends its own (/api/docs).
    expect(policy(api?.responseHeadersPolicyId).contentSecurityPolicy).toEqual({
      contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      override: false,
    })
    for (const behavior of behaviors) {
      expect(policy(behavior.responseHeadersPolicyId).strictTransportSecurity).toMatchObject({
        override: true,
      })
    }
  })

  it('gives the web client no secret and only the code flow', () => {
    const client = stack().one('aws:cognito/userPoolClient:UserPoolClient').inputs
    const site = String(stack().outputs.siteUrl)
    expect(client).toMatchObject({
      generateSecret: false,
      allowedOauthFlows: ['code'],
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthScopes: ['openid', 'email', 'profile'],
      explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    })
    // The site first; laptop origins only where the stack names them (dev by default).
    expect((client.callbackUrls as string[])[0]).toBe(`${site}/callback`)
    expect((client.logoutUrls as string[])[0]).toBe(`${site}/`)
    expect(stack().one('aws:cognito/userGroup:UserGroup').inputs.name).toBe('admins')
    expect(stack().one('aws:cognito/userPool:UserPool').inputs).toMatchObject({
      usernameAttributes: ['email'],
    })
  })

  it('lets GitHub assume the pipeline roles only from this repository, for STS', () => {
    const repo = 'votelab-lab/votelab'
    for (const role of stack()
      .ofType('aws:iam/role:Role')
      .filter((r) => r.name.includes('pipeline'))) {
      const [trust, ...rest] = statements(role.inputs.assumeRolePolicy)
      expect(rest).toEqual([])
      expect(trust?.Condition?.StringLike).toBeUndefined()
      const conditions = trust?.Condition?.StringEquals ?? {}
      expect(conditions['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com')
      const subjects = list(
        conditions['token.actions.githubusercontent.com:sub'] as string | string[],
      )
      expect(subjects.length).toBeGreaterThan(0)
      for (const subject of subjects) {
        expect(subject.startsWith(`repo:${repo}:`)).toBe(true)
        expect(subject).not.toContain('*')
      }
      expect(role.inputs.path).toBe('/votelab-pipeline/')
    }
  })

  it('lets the preview role read no voter and no secret (issue 14, finding 3, preview part)', () => {
    const allowed = statements(
      stack().one('aws:iam/rolePolicy:RolePolicy', 'pipeline-preview-policy').inputs.policy,
    )
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => list(statement.Action))
    const grants = (action: string) =>
      allowed.some((pattern) =>
        new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`, 'i').test(action),
      )
    expect(grants('cognito-idp:DescribeUserPool')).toBe(true) // control: the matcher matches
    for (const action of [
      'cognito-idp:ListUsers',
      'cognito-idp:ListUsersInGroup',
      'cognito-idp:AdminGetUser',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameter',
      's3:GetObject',
    ]) {
      expect(grants(action), action).toBe(false)
    }
  })

  it('lets the pipeline create, replace and delete the database and its managed password (issue 14, finding 4)', () => {
    const policy = statements(
      stack().one('aws:iam/rolePolicy:RolePolicy', 'pipeline-deploy-policy').inputs.policy,
    )
    const lifecycle = policy.find((s) => s.Sid === 'DatabasePasswordSecretLifecycle')
    expect(lifecycle?.Resource).toBe(`arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!*`)
    expect(list(lifecycle?.Action as string | string[])).toEqual(
      expect.arrayContaining([
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:DeleteSecret',
      ]),
    )
    const kms = policy.find((s) => s.Sid === 'DatabasePasswordSecretEncryption')
    expect(list(kms?.Action as string | string[])).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
    )
    expect(JSON.stringify(kms?.Condition)).toContain('secretsmanager.eu-west-1.amazonaws.com')
    // Still never the value.
    for (const statement of policy) {
      for (const action of list(statement.Action)) {
        expect(action).not.toMatch(/^secretsmanager:(GetSecretValue|\*)$/)
      }
    }
  })

  it("keeps the deploy role from managing its own or other stacks' roles", () => {
    const policy = statements(
      stack().one('aws:iam/rolePolicy:RolePolicy', 'pipeline-deploy-policy').inputs.policy,
    )
    // The stack's own roles live under /votelab/<stack>/; the pipeline roles elsewhere.
    const rolePath = String(stack().one('aws:iam/role:Role', '-execution').inputs.path)
    expect(rolePath).toMatch(/^\/votelab\/(dev|prod)\/$/)
    expect(stack().one('aws:iam/role:Role', '-task').inputs.path).toBe(rolePath)
    for (const statement of policy) {
      const actions = list(statement.Action)
      if (actions.includes('iam:CreateServiceLinkedRole')) {
        expect(statement.Condition?.StringEquals?.['iam:AWSServiceName']).toBeTruthy()
        continue
      }
      if (
        !actions.some((action) =>
          /^iam:(Create|Delete|Put|Update|Attach|Tag|Untag|Pass)/.test(action),
        )
      )
        continue
      if (statement.Effect === 'Deny') continue
      for (const resource of list(statement.Resource)) {
        expect(resource).toMatch(
          new RegExp(`:(role|policy)${rolePath}(votelab-(dev|prod)-pre-sign-up-)?\\*$`),
        )
      }
    }
    expect(policy.flatMap((s) => list(s.Action))).not.toContain('secretsmanager:GetSecretValue')
    const preview = statements(
      stack().one('aws:iam/rolePolicy:RolePolicy', 'pipeline-preview-policy').inputs.policy,
    )
    for (const action of preview.flatMap((s) => list(s.Action))) {
      expect(action).toMatch(/:(Describe|Get|List|View)|^ecr:GetAuthorizationToken$/)
      expect(action).not.toBe('secretsmanager:GetSecretValue')
      expect(action).not.toBe('s3:GetObject')
    }
  })

  it('orders what mocks never show (issue 14, finding 6): the ECS service after the listener and the execution policy', () => {
    const service = stack().one('awsx:ecs:FargateService')
    const listener = stack().one('aws:lb/listener:Listener')
    const policy = stack().one(
      'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
      'execution-policy',
    )
    expect(service.options.dependsOn).toEqual(
      expect.arrayContaining([
        `${listener.type}::${listener.name}`,
        `${policy.type}::${policy.name}`,
      ]),
    )
  })

  it('replaces fixed-name resources without an "already exists" (issue 14, finding 7)', () => {
    // The Cognito domain prefix is account-wide: the old one must go first.
    expect(
      stack().one('aws:cognito/userPoolDomain:UserPoolDomain').options.deleteBeforeReplace,
    ).toBe(true)
    // The ECS service (inside awsx) gets deleteBeforeReplace by transform (units.test.ts).
    expect(stack().one('awsx:ecs:FargateService').transforms).toBeGreaterThan(0)
    // The VPC origin is named after the load balancer it fronts, so its replacement (a new load
    // balancer) gets a new name and can be created before the old one goes.
    const origin = stack().one('aws:cloudfront/vpcOrigin:VpcOrigin').inputs
      .vpcOriginEndpointConfig as { name: string }
    expect(origin.name).toMatch(/-api-[0-9a-f]{8}$/)
  })

  it('scales on CPU and requests per task, and never resets the scaled task count on deploy', () => {
    const policies = stack()
      .ofType('aws:appautoscaling/policy:Policy')
      .map((p) => p.inputs)
    const metrics = policies.map(
      (p) =>
        (p.targetTrackingScalingPolicyConfiguration as Record<string, Record<string, unknown>>)
          .predefinedMetricSpecification?.predefinedMetricType,
    )
    expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization'])
    expect(stack().one('awsx:ecs:FargateService').transforms).toBe(1)
  })

  it('warns before the lab gets expensive: a monthly budget reporting to the alarm topic (issue 14, finding 10)', () => {
    const budget = stack().one('aws:budgets/budget:Budget')
    const topic = stack().one('aws:sns/topic:Topic')
    expect(budget.inputs).toMatchObject({
      budgetType: 'COST',
      limitUnit: 'USD',
      timeUnit: 'MONTHLY',
    })
    expect(Number(budget.inputs.limitAmount)).toBeGreaterThan(0)
    const notifications = budget.inputs.notifications as Record<string, unknown>[]
    expect(notifications.map((n) => [n.notificationType, n.threshold])).toEqual([
      ['FORECASTED', 80],
      ['ACTUAL', 100],
    ])
    for (const notification of notifications) {
      expect(notification.subscriberSnsTopicArns).toEqual([
        `arn:aws:sns:eu-west-1:123456789012:${topic.name}`,
      ])
    }
    expect(budget.options.deleteBeforeReplace).toBe(true)
    // Budgets may publish to the topic only for this account.
    const policy = statements(stack().one('aws:sns/topicPolicy:TopicPolicy').inputs.policy)
    const budgets = policy.find((s) =>
      JSON.stringify(s.Principal).includes('budgets.amazonaws.com'),
    )
    expect(budgets?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } })
    // The deploy role manages this stack's budgets only.
    const deploy = statements(
      stack().one('aws:iam/rolePolicy:RolePolicy', 'pipeline-deploy-policy').inputs.policy,
    )
    expect(deploy.find((s) => s.Sid === 'StackBudget')?.Resource).toMatch(
      /^arn:aws:budgets::123456789012:budget\/votelab-(dev|prod)-\*$/,
    )
  })

  it('scans and pins images, and reports alarms somewhere', () => {
    expect(stack().one('aws:ecr/repository:Repository').inputs).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    })
    // Tasks run the digest the pipeline pushed (issue 14, finding 2): no build, no tag.
    expect(stack().outputs.image).toBe(`${String(stack().outputs.imageRepository)}@${IMAGE_DIGEST}`)
    expect(stack().resources.some((r) => /docker|ecr:Image/i.test(r.type))).toBe(false)
    expect(stack().one('aws:ecs/cluster:Cluster').inputs.settings).toEqual([
      { name: 'containerInsights', value: 'enabled' },
    ])
    const topic = String(stack().outputs.alarmTopicArn)
    const alarms = stack().ofType('aws:cloudwatch/metricAlarm:MetricAlarm')
    const short = (name: string) => name.replace(/^votelab-\w+-/, '')
    expect(alarms.map((a) => short(a.name)).sort()).toEqual([
      'database-cpu',
      'database-free-storage',
      'http-5xx-rate',
      'p99-latency',
      'results-delivery',
      'unhealthy-tasks',
      'vote-errors-fast-1h',
      'vote-errors-fast-5m',
      'vote-errors-slow-30m',
      'vote-errors-slow-6h',
      'vote-p99',
      'votes-shed',
    ])
    // A burn window alone says little: only the composites of two windows notify.
    for (const alarm of alarms) {
      expect(alarm.inputs.alarmActions).toEqual(
        short(alarm.name).startsWith('vote-errors-') ? undefined : [topic],
      )
    }
    const composites = stack().ofType('aws:cloudwatch/compositeAlarm:CompositeAlarm')
    for (const composite of composites) expect(composite.inputs.alarmActions).toEqual([topic])
  })
}
