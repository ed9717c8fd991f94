import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'

/** The VPC's range (awsx's default, said out loud: Kubernetes NetworkPolicies name it). */
export const VPC_CIDR = '10.0.0.0/16'

export interface NetworkArgs {
  availabilityZones: number
  natGateways: 'Single' | 'OnePerAz'
  /** The port the API listens on inside its container. */
  apiPort: number
}

/**
 * The VPC and the three security groups that fence the request path: CloudFront → load balancer
 * → API tasks → database. Each group admits only the hop before it. The groups are ours, not
 * awsx's defaults (which open 0.0.0.0/0), and every rule is a resource of its own so the tests
 * can see it.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>
  public readonly publicSubnetIds: pulumi.Output<string[]>
  public readonly privateSubnetIds: pulumi.Output<string[]>
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>
  public readonly serviceSecurityGroupId: pulumi.Output<string>
  public readonly databaseSecurityGroupId: pulumi.Output<string>

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:Network', name, {}, opts)

    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: VPC_CIDR,
        numberOfAvailabilityZones: args.availabilityZones,
        natGateways: { strategy: args.natGateways },
        subnetStrategy: 'Auto',
        subnetSpecs: [
          { type: awsx.ec2.SubnetType.Public, cidrMask: 22 },
          { type: awsx.ec2.SubnetType.Private, cidrMask: 20 },
        ],
        enableDnsHostnames: true,
        tags: { Name: `${name}-vpc` },
      },
      { parent: this },
    )
    this.vpcId = vpc.vpcId
    this.publicSubnetIds = vpc.publicSubnetIds
    this.privateSubnetIds = vpc.privateSubnetIds

    const group = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(
        `${name}-${role}`,
        { vpcId: vpc.vpcId, description, tags: { Name: `${name}-${role}` } },
        { parent: this },
      )
    const loadBalancer = group('load-balancer', 'Internal ALB: reachable from CloudFront only')
    const service = group('service', 'API tasks: reachable from the load balancer only')
    const database = group('database', 'RDS Postgres: reachable from the API tasks only')

    // CloudFront reaches the internal load balancer through its VPC origin, from addresses in
    // this AWS-managed list (docs/decisions/008).
    const cloudFront = aws.ec2.getManagedPrefixListOutput(
      { name: 'com.amazonaws.global.cloudfront.origin-facing' },
      { parent: this },
    )
    const tcp = (port: number) => ({ ipProtocol: 'tcp', fromPort: port, toPort: port })

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-load-balancer-from-cloudfront`,
      {
        securityGroupId: loadBalancer.id,
        prefixListId: cloudFront.id,
        ...tcp(80),
        description: 'HTTP from CloudFront (VPC origin)',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-load-balancer-to-service`,
      {
        securityGroupId: loadBalancer.id,
        referencedSecurityGroupId: service.id,
        ...tcp(args.apiPort),
        description: 'To the API tasks',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-service-from-load-balancer`,
      {
        securityGroupId: service.id,
        referencedSecurityGroupId: loadBalancer.id,
        ...tcp(args.apiPort),
        description: 'From the load balancer',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-service-to-database`,
      {
        securityGroupId: service.id,
        referencedSecurityGroupId: database.id,
        ...tcp(5432),
        description: 'To Postgres',
      },
      { parent: this },
    )
    // ECR, Secrets Manager, CloudWatch Logs, Cognito's JWKS and its userInfo (voter rolls) are AWS
    // HTTPS endpoints outside the VPC; through the NAT gateway that is the only way out.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-service-to-https`,
      {
        securityGroupId: service.id,
        cidrIpv4: '0.0.0.0/0',
        ...tcp(443),
        description: 'HTTPS to AWS APIs (image pull, secrets, logs, Cognito keys and userInfo)',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-database-from-service`,
      {
        securityGroupId: database.id,
        referencedSecurityGroupId: service.id,
        ...tcp(5432),
        description: 'Postgres from the API tasks',
      },
      { parent: this },
    )

    this.loadBalancerSecurityGroupId = loadBalancer.id
    this.serviceSecurityGroupId = service.id
    this.databaseSecurityGroupId = database.id
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      serviceSecurityGroupId: this.serviceSecurityGroupId,
      databaseSecurityGroupId: this.databaseSecurityGroupId,
    })
  }
}
