import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'
import { attachManagedPolicy } from './managed-policy.ts'
import {
  COLLECTOR_MEMORY_MIB,
  apiTelemetryEnvironment,
  collectorConfig,
  collectorContainer,
  collectorStatements,
} from './telemetry.ts'

export const API_PORT = 3000
const CONTAINER = 'api'

export interface ServiceArgs {
  imageUri: pulumi.Input<string>
  repositoryArn: pulumi.Input<string>
  subnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
  targetGroupArn: pulumi.Input<string>
  /** `app/…/…/targetgroup/…/…`: what request-count scaling watches. */
  requestCountLabel: pulumi.Input<string>
  siteUrl: pulumi.Input<string>
  database: {
    /** Without the password (Database.url). */
    url: pulumi.Input<string>
    passwordSecretArn: pulumi.Input<string>
  }
  auth: {
    issuer: pulumi.Input<string>
    clientId: pulumi.Input<string>
    /** The hosted domain's userInfo endpoint: voter rolls ask it for a voter's verified email. */
    userInfoUrl: pulumi.Input<string>
    /** The pool whose groups the API counts when a group poll closes (turnout). */
    userPoolId: pulumi.Input<string>
    userPoolArn: pulumi.Input<string>
  }
  cpu: number
  memory: number
  minTasks: number
  maxTasks: number
  targetCpuPercent: number
  targetRequestsPerTask: number
  logRetentionDays: number
  /** Metrics to CloudWatch and traces to X-Ray through a collector beside the API, or none. */
  telemetry: {
    mode: 'cloudwatch' | 'off'
    traceSampleRatio: number
    collectorImage: string
    /** The CloudWatch namespace of the API's metrics (`votelab/<stack>`). */
    namespace: string
  }
  /** IAM path for the task roles and their policies (`/votelab/<stack>/`): the pipeline may
   * manage only these. */
  rolePath: string
  /** The permissions boundary the pipeline requires on every role it manages. */
  permissionsBoundaryArn: pulumi.Input<string>
  /** The listener forwarding to the target group: the service may exist only after it. */
  listener: pulumi.Resource
}

/**
 * Rules for the ECS service awsx creates inside its component (they reach it by transform):
 * autoscaling owns the task count once the service exists, so a later `pulumi up` must not reset
 * it; and the service has a fixed name, so a replacement must delete the old one first (creating
 * the new one first fails with "already exists").
 */
export const ecsServiceRules: pulumi.ResourceTransform = (args) =>
  args.type === 'aws:ecs/service:Service'
    ? {
        props: args.props,
        opts: pulumi.mergeOptions(args.opts, {
          ignoreChanges: ['desiredCount'],
          deleteBeforeReplace: true,
        }),
      }
    : undefined

/** CPU to write one event to one stream: 7.6–8.2 µs measured (docs/operations.md, 2026-12-01). */
const BROADCAST_US_PER_STREAM = 8
/** The share of a task's CPU a hot poll's broadcasts may take; votes keep the rest. */
const BROADCAST_CPU_SHARE = 0.5

/**
 * Live-result streams one task can hold, the lower of two limits, rounded down to a thousand:
 * memory — ~150 MB idle plus ~35 KB per stream, 70 MB to spare (measured 21 KB in a 1 GB
 * container's heap: the margin is kept); and CPU — every coalescing window (the API's
 * `RESULTS_COALESCE_MS`, 250 ms) a hot poll writes one event to each stream, which may take half
 * the task's CPU. ¼ vCPU → 3,000; ½ vCPU / 1 GB → 7,000; 1 vCPU / 1 GB → 15,000; memory binds
 * from about 1½ vCPU per GB.
 */
export function streamsForTask(cpuUnits: number, memoryMiB: number, coalesceMs = 250): number {
  const byMemory = ((memoryMiB - 220) * 1024) / 35
  const byCpu =
    ((cpuUnits / 1024) * coalesceMs * 1000 * BROADCAST_CPU_SHARE) / BROADCAST_US_PER_STREAM
  return Math.max(1_000, Math.floor(Math.min(byMemory, byCpu) / 1_000) * 1_000)
}

/**
 * The API on ECS Fargate: private subnets, no public IP, behind the internal load balancer,
 * rolled out with a circuit breaker, scaled on CPU and on requests per task.
 */

export class Service extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>
  public readonly serviceName: pulumi.Output<string>
  public readonly logGroupName: pulumi.Output<string>
  /** Where the collector writes the API's metrics (EMF events), when telemetry is on. */
  public readonly metricsLogGroupName: pulumi.Output<string | undefined>

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:Service', name, {}, opts)

    const region = aws.getRegionOutput({}, { parent: this }).region
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: 'containerInsights', value: 'enabled' }] },
      { parent: this },
    )
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays },
      { parent: this },
    )
    // Container Insights writes to this group, creating it (kept forever, left behind by
    // `pulumi destroy`) unless it exists: created here, before the service starts any task.
    const insightsLogs = new aws.cloudwatch.LogGroup(
      `${name}-container-insights`,
      {
        name: pulumi.interpolate`/aws/ecs/containerinsights/${cluster.name}/performance`,
        retentionInDays: args.logRetentionDays,
      },
      { parent: this },
    )

    const telemetry = args.telemetry.mode === 'cloudwatch' ? args.telemetry : undefined
    // The collector's embedded-metric events: CloudWatch makes metrics of them; the events
    // themselves (every data point, all attributes) stay queryable here for a while.
    const metricsLogs = telemetry
      ? new aws.cloudwatch.LogGroup(
          `${name}-metrics`,
          { retentionInDays: args.logRetentionDays },
          { parent: this },
        )
      : undefined

    const assumedByEcsTasks = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    })
    // ECS itself uses this role to start a task: pull the image, write logs, fetch the password.
    const executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        path: args.rolePath,
        permissionsBoundary: args.permissionsBoundaryArn,
        assumeRolePolicy: assumedByEcsTasks,
        description: 'ECS starts votelab API tasks: image pull, logs, database password',
      },
      { parent: this },
    )
    const executionPolicyAttachment = attachManagedPolicy(
      `${name}-execution-policy`,
      {
        role: executionRole,
        path: args.rolePath,
        description: 'ECS starts votelab API tasks: image pull, logs, database password',
        statements: [
          // GetAuthorizationToken has no resource to scope to.
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
          {
            Effect: 'Allow',
            Action: [
              'ecr:BatchCheckLayerAvailability',
              'ecr:BatchGetImage',
              'ecr:GetDownloadUrlForLayer',
            ],
            Resource: args.repositoryArn,
          },
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: pulumi.interpolate`${logGroup.arn}:*`,
          },
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: args.database.passwordSecretArn,
          },
        ],
      },
      { parent: this },
    )
    // The API calls one AWS API: counting a group's members when a group poll closes; the
    // collector beside it writes metrics and traces.
    const taskPurpose = telemetry
      ? 'votelab API tasks: count user pool group members (turnout), ship metrics and traces'
      : 'votelab API tasks: count user pool group members (turnout)'
    const taskRole = new aws.iam.Role(
      `${name}-task`,
      {
        path: args.rolePath,
        permissionsBoundary: args.permissionsBoundaryArn,
        assumeRolePolicy: assumedByEcsTasks,
        description: taskPurpose,
      },
      { parent: this },
    )
    const taskPolicyAttachment = attachManagedPolicy(
      `${name}-task-policy`,
      {
        role: taskRole,
        path: args.rolePath,
        description: taskPurpose,
        statements: [
          {
            Effect: 'Allow',
            Action: 'cognito-idp:ListUsersInGroup',
            Resource: args.auth.userPoolArn,
          },
          ...(metricsLogs ? collectorStatements(metricsLogs.arn) : []),
        ],
      },
      { parent: this },
    )

    const serviceName = `${name}-api`
    // What the API has once the collector's reservation is set aside.
    const apiMemory = args.memory - (telemetry ? COLLECTOR_MEMORY_MIB : 0)
    const environment: Record<string, pulumi.Input<string>> = {
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: String(API_PORT),
      PUBLIC_URL: args.siteUrl,
      LOG_LEVEL: 'info',
      // No password here: it arrives as DATABASE_PASSWORD from Secrets Manager.
      DATABASE_URL: args.database.url,
      DATABASE_SSL: 'verify-full',
      // RDS's certificate authorities, bundled with the API (api/src/db/amazon-rds-ca.ts).
      DATABASE_CA: 'amazon-rds',
      AUTH_ISSUER: args.auth.issuer,
      AUTH_CLIENT_IDS: args.auth.clientId,
      AUTH_USERINFO_URL: args.auth.userInfoUrl,
      AUTH_USER_POOL_ID: args.auth.userPoolId,
      // CloudFront then the ALB each append to X-Forwarded-For: the client is two from the end.
      TRUST_PROXY_HOPS: '2',
      STREAMS_PER_PROCESS: String(streamsForTask(args.cpu, apiMemory)),
      ...(telemetry ? apiTelemetryEnvironment(telemetry.traceSampleRatio) : {}),
    }

    const service = new awsx.ecs.FargateService(
      `${name}-fargate`,
      {
        name: serviceName,
        cluster: cluster.arn,
        desiredCount: args.minTasks,
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [args.securityGroupId],
          assignPublicIp: false,
        },
        loadBalancers: [
          {
            targetGroupArn: args.targetGroupArn,
            containerName: CONTAINER,
            containerPort: API_PORT,
          },
        ],
        // Never below today's capacity during a deploy; a release that cannot get healthy
        // rolls back by itself.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // Start-up includes migrations (under an advisory lock) before the port opens.
        healthCheckGracePeriodSeconds: 60,
        propagateTags: 'SERVICE',
        enableEcsManagedTags: true,
        taskDefinitionArgs: {
          cpu: String(args.cpu),
          memory: String(args.memory),
          runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
          executionRole: { roleArn: executionRole.arn },
          taskRole: { roleArn: taskRole.arn },
          logGroup: { skip: true },
          // The root filesystem is read-only; Node and libraries may still want a scratch dir.
          volumes: [{ name: 'tmp' }],
          containers: {
            [CONTAINER]: {
              name: CONTAINER,
              image: args.imageUri,
              essential: true,
              readonlyRootFilesystem: true,
              portMappings: [{ containerPort: API_PORT, protocol: 'tcp' }],
              mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }],
              environment: Object.entries(environment).map(([key, value]) => ({
                name: key,
                value,
              })),
              secrets: [
                {
                  name: 'DATABASE_PASSWORD',
                  valueFrom: pulumi.interpolate`${args.database.passwordSecretArn}:password::`,
                },
              ],
              linuxParameters: { initProcessEnabled: true },
              stopTimeout: 30,
              // Started after the collector and, in reverse, stopped before it: the API's last
              // metrics and spans, flushed while it drains, still have somewhere to go.
              ...(telemetry
                ? { dependsOn: [{ containerName: 'collector', condition: 'START' }] }
                : {}),
              logConfiguration: {
                logDriver: 'awslogs',
                options: {
                  'awslogs-group': logGroup.name,
                  'awslogs-region': region,
                  'awslogs-stream-prefix': 'api',
                },
              },
            },
            ...(telemetry && metricsLogs
              ? {
                  collector: collectorContainer({
                    image: telemetry.collectorImage,
                    config: pulumi
                      .all([metricsLogs.name, region])
                      .apply(([logGroupName, regionName]) =>
                        collectorConfig({
                          namespace: telemetry.namespace,
                          logGroupName,
                          region: regionName,
                          host: 'ecs',
                        }),
                      ),
                    logGroupName: logGroup.name,
                    region,
                  }),
                }
              : {}),
          },
        },
      },
      {
        parent: this,
        ignoreChanges: ['desiredCount'],
        transforms: [ecsServiceRules],
        // ECS refuses a service whose target group no load balancer forwards to yet, and the
        // first tasks need their execution role's policy to read the database password.
        dependsOn: [args.listener, executionPolicyAttachment, taskPolicyAttachment, insightsLogs],
      },
    )

    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${cluster.name}/${serviceName}`,
        minCapacity: args.minTasks,
        maxCapacity: args.maxTasks,
      },
      { parent: this, dependsOn: [service] },
    )
    const targetTracking = (
      metric: string,
      predefinedMetricType: string,
      targetValue: number,
      resourceLabel?: pulumi.Input<string>,
    ) =>
      new aws.appautoscaling.Policy(
        `${name}-scale-on-${metric}`,
        {
          policyType: 'TargetTrackingScaling',
          serviceNamespace: scaling.serviceNamespace,
          scalableDimension: scaling.scalableDimension,
          resourceId: scaling.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification: {
              predefinedMetricType,
              ...(resourceLabel ? { resourceLabel } : {}),
            },
            targetValue,
            scaleOutCooldown: 60,
            scaleInCooldown: 300,
          },
        },
        { parent: this },
      )
    targetTracking('cpu', 'ECSServiceAverageCPUUtilization', args.targetCpuPercent)
    targetTracking(
      'requests',
      'ALBRequestCountPerTarget',
      args.targetRequestsPerTask,
      args.requestCountLabel,
    )

    this.clusterName = cluster.name
    this.serviceName = pulumi.output(serviceName)
    this.logGroupName = logGroup.name
    this.metricsLogGroupName = metricsLogs ? metricsLogs.name : pulumi.output(undefined)
    this.registerOutputs({
      metricsLogGroupName: this.metricsLogGroupName,
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      logGroupName: this.logGroupName,
    })
  }
}
