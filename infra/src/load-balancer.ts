import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>
  subnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
  apiPort: number
}

/**
 * An internal Application Load Balancer: no public address at all. CloudFront reaches it through
 * a VPC origin (docs/decisions/008), so the only way in from the internet is the distribution.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>
  public readonly dnsName: pulumi.Output<string>
  public readonly targetGroupArn: pulumi.Output<string>
  /** For CloudWatch dimensions: `app/…` and `targetgroup/…`. */
  public readonly arnSuffix: pulumi.Output<string>
  public readonly targetGroupArnSuffix: pulumi.Output<string>
  /** Forwards to the target group; ECS refuses a service on a target group nothing forwards to. */
  public readonly listener: aws.lb.Listener

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:LoadBalancer', name, {}, opts)

    const loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: true,
        subnets: args.subnetIds,
        securityGroups: [args.securityGroupId],
        // Below the API's keep-alive (65 s), so the ALB, not the task, closes idle connections;
        // live-result streams send a heartbeat every 15 s and never sit idle that long.
        idleTimeout: 60,
        dropInvalidHeaderFields: true,
        enableHttp2: true,
      },
      { parent: this },
    )
    const targets = new aws.lb.TargetGroup(
      `${name}-api`,
      {
        vpcId: args.vpcId,
        targetType: 'ip',
        protocol: 'HTTP',
        port: args.apiPort,
        // The API drains in-flight requests within 10 s of SIGTERM; ECS stops a task only after
        // this delay, so requests already routed to it finish.
        deregistrationDelay: 20,
        healthCheck: {
          path: '/healthz',
          matcher: '200',
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      },
      { parent: this },
    )
    this.listener = new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: [{ type: 'forward', targetGroupArn: targets.arn }],
      },
      { parent: this },
    )

    this.arn = loadBalancer.arn
    this.dnsName = loadBalancer.dnsName
    this.arnSuffix = loadBalancer.arnSuffix
    this.targetGroupArn = targets.arn
    this.targetGroupArnSuffix = targets.arnSuffix
    this.registerOutputs({
      arn: this.arn,
      dnsName: this.dnsName,
      targetGroupArn: this.targetGroupArn,
      arnSuffix: this.arnSuffix,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
      listener: this.listener,
    })
  }
}
