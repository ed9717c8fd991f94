import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { applicationAlarms, applicationWidgets } from './application-monitoring.ts'

export interface ObservabilityArgs {
  loadBalancerArnSuffix: pulumi.Input<string>
  targetGroupArnSuffix: pulumi.Input<string>
  /** Where the API runs: its CPU and memory widget, and the log group its errors are read from. */
  compute:
    | {
        kind: 'ecs'
        clusterName: pulumi.Input<string>
        serviceName: pulumi.Input<string>
        logGroupName: pulumi.Input<string>
      }
    | { kind: 'eks'; clusterName: pulumi.Input<string>; logGroupName: pulumi.Input<string> }
  databaseInstanceId: pulumi.Input<string>
  /** The API's own metrics (through the collector), when telemetry is on: widgets and alarms. */
  application: { namespace: string } | undefined
  alarmEmail: string | undefined
  monthlyBudgetUsd: number
}

/** The alarms that mean "voters are affected", an SNS topic they report to, and one dashboard. */
export class Observability extends pulumi.ComponentResource {
  public readonly alarmTopicArn: pulumi.Output<string>
  public readonly dashboardName: pulumi.Output<string>
  public readonly alarmNames: pulumi.Output<string>[]

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:Observability', name, {}, opts)

    const topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this })
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: 'email', endpoint: args.alarmEmail },
        { parent: this },
      )
    }

    // A lab left running costs money every hour: the account's spending reports to the same topic
    // (and email) as the alarms, at 80 % of the month's budget forecast and at 100 % spent.
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId
    new aws.sns.TopicPolicy(
      `${name}-alarms-policy`,
      {
        arn: topic.arn,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'BudgetsAndAlarmsOfThisAccount',
              Effect: 'Allow',
              Principal: { Service: ['budgets.amazonaws.com', 'cloudwatch.amazonaws.com'] },
              Action: 'SNS:Publish',
              Resource: topic.arn,
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
          ],
        }),
      },
      { parent: this },
    )
    const subscribers = {
      subscriberSnsTopicArns: [topic.arn],
      ...(args.alarmEmail ? { subscriberEmailAddresses: [args.alarmEmail] } : {}),
    }
    new aws.budgets.Budget(
      `${name}-budget`,
      {
        // Budget names are per account: the stack's prefix keeps dev's and prod's apart.
        name: `${name}-monthly`,
        budgetType: 'COST',
        limitAmount: String(args.monthlyBudgetUsd),
        limitUnit: 'USD',
        timeUnit: 'MONTHLY',
        notifications: [
          {
            comparisonOperator: 'GREATER_THAN',
            threshold: 80,
            thresholdType: 'PERCENTAGE',
            notificationType: 'FORECASTED',
            ...subscribers,
          },
          {
            comparisonOperator: 'GREATER_THAN',
            threshold: 100,
            thresholdType: 'PERCENTAGE',
            notificationType: 'ACTUAL',
            ...subscribers,
          },
        ],
      },
      // A fixed name: a replacement must delete the old budget first.
      { parent: this, deleteBeforeReplace: true },
    )

    const loadBalancer = { LoadBalancer: args.loadBalancerArnSuffix }
    const database = { DBInstanceIdentifier: args.databaseInstanceId }
    const notify = { alarmActions: [topic.arn], okActions: [topic.arn] }
    const alarm = (id: string, alarmArgs: aws.cloudwatch.MetricAlarmArgs) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        { treatMissingData: 'notBreaching', ...notify, ...alarmArgs },
        { parent: this },
      )

    const alarms = [
      alarm('http-5xx-rate', {
        alarmDescription: 'More than 5 % of requests end in a 5xx (load balancer or API)',
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 5,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        metricQueries: [
          {
            id: 'rate',
            label: '5xx %',
            returnData: true,
            expression:
              '100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / IF(requests > 0, requests, 1)',
          },
          ...(
            [
              ['target5xx', 'HTTPCode_Target_5XX_Count'],
              ['elb5xx', 'HTTPCode_ELB_5XX_Count'],
              ['requests', 'RequestCount'],
            ] as const
          ).map(([id, metricName]) => ({
            id,
            metric: {
              namespace: 'AWS/ApplicationELB',
              metricName,
              dimensions: loadBalancer,
              period: 60,
              stat: 'Sum',
            },
          })),
        ],
      }),
      alarm('p99-latency', {
        alarmDescription:
          'p99 time to first response byte above 1 s (a live-results stream counts until its headers)',
        namespace: 'AWS/ApplicationELB',
        metricName: 'TargetResponseTime',
        dimensions: loadBalancer,
        extendedStatistic: 'p99',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 1,
      }),
      alarm('unhealthy-tasks', {
        alarmDescription: 'A task fails the /healthz check',
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions: { ...loadBalancer, TargetGroup: args.targetGroupArnSuffix },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 3,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
      }),
      alarm('database-cpu', {
        alarmDescription: 'Postgres CPU above 80 % for 10 minutes',
        namespace: 'AWS/RDS',
        metricName: 'CPUUtilization',
        dimensions: database,
        statistic: 'Average',
        period: 300,
        evaluationPeriods: 2,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 80,
      }),
      alarm('database-free-storage', {
        alarmDescription: 'Postgres has less than 2 GiB of free storage',
        namespace: 'AWS/RDS',
        metricName: 'FreeStorageSpace',
        dimensions: database,
        statistic: 'Minimum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'LessThanThreshold',
        threshold: 2 * 1024 ** 3,
        treatMissingData: 'breaching',
      }),
    ]

    const application = args.application
      ? applicationAlarms(name, args.application.namespace, notify, this)
      : undefined

    const region = aws.getRegionOutput({}, { parent: this }).region
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: name,
        dashboardBody: pulumi.jsonStringify({
          widgets: [
            widget(0, 0, 'Requests and 5xx', region, [
              [
                'AWS/ApplicationELB',
                'RequestCount',
                'LoadBalancer',
                args.loadBalancerArnSuffix,
                { stat: 'Sum' },
              ],
              ['.', 'HTTPCode_Target_5XX_Count', '.', '.', { stat: 'Sum' }],
              ['.', 'HTTPCode_ELB_5XX_Count', '.', '.', { stat: 'Sum' }],
            ]),
            widget(12, 0, 'Response time p50 / p99 (s)', region, [
              [
                'AWS/ApplicationELB',
                'TargetResponseTime',
                'LoadBalancer',
                args.loadBalancerArnSuffix,
                { stat: 'p50' },
              ],
              ['...', { stat: 'p99' }],
            ]),
            computeWidget(args.compute, region),
            widget(12, 6, 'Postgres: CPU %, connections', region, [
              ['AWS/RDS', 'CPUUtilization', 'DBInstanceIdentifier', args.databaseInstanceId],
              ['.', 'DatabaseConnections', '.', '.', { yAxis: 'right' }],
            ]),
            {
              type: 'log',
              x: 0,
              y: 12,
              width: 24,
              height: 6,
              properties: {
                title: 'API errors',
                region,
                query: errorQuery(args.compute),
              },
            },
            ...(args.application ? applicationWidgets(args.application.namespace, region, 18) : []),
          ],
        }),
      },
      { parent: this },
    )

    this.alarmTopicArn = topic.arn
    this.dashboardName = dashboard.dashboardName
    this.alarmNames = [
      ...[...alarms, ...(application?.metricAlarms ?? [])].map((created) => created.name),
      ...(application?.compositeAlarms ?? []).map((created) => created.alarmName),
    ]
    this.registerOutputs({
      alarmTopicArn: this.alarmTopicArn,
      dashboardName: this.dashboardName,
      alarmNames: this.alarmNames,
    })
  }
}

/**
 * The API's error lines (pino level ≥ 50). On EKS, Fluent Bit wraps each line: the parsed JSON
 * is under `log_processed`.
 */
function errorQuery(compute: ObservabilityArgs['compute']) {
  const field = compute.kind === 'eks' ? 'log_processed.' : ''
  return pulumi.interpolate`SOURCE '${compute.logGroupName}' | fields @timestamp, ${field}msg, ${field}err.message | filter ${field}level >= 50 | sort @timestamp desc | limit 50`
}

function computeWidget(compute: ObservabilityArgs['compute'], region: pulumi.Input<string>) {
  if (compute.kind === 'ecs') {
    return widget(0, 6, 'API tasks: CPU and memory %', region, [
      [
        'AWS/ECS',
        'CPUUtilization',
        'ClusterName',
        compute.clusterName,
        'ServiceName',
        compute.serviceName,
      ],
      ['.', 'MemoryUtilization', '.', '.', '.', '.'],
    ])
  }
  // Container Insights (the cluster's CloudWatch add-on), per workload of the votelab namespace.
  return widget(0, 6, 'API pods: CPU and memory % of limit', region, [
    [
      'ContainerInsights',
      'pod_cpu_utilization_over_pod_limit',
      'ClusterName',
      compute.clusterName,
      'Namespace',
      'votelab',
      'PodName',
      'votelab-api',
    ],
    ['.', 'pod_memory_utilization_over_pod_limit', '.', '.', '.', '.', '.', '.'],
  ])
}

function widget(
  x: number,
  y: number,
  title: string,
  region: pulumi.Input<string>,
  metrics: unknown[],
) {
  return {
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, metrics, period: 60, view: 'timeSeries', stacked: false },
  }
}
