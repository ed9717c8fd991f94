import * as aws from '@pulumi/aws'
import * as eks from '@pulumi/eks'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import type { KubernetesConfig } from '../config.ts'
import { attachManagedPolicy } from '../managed-policy.ts'
import { type AWS_CLUSTER_POLICIES, awsPolicyArn } from '../pipeline-access.ts'
import { collectorStatements } from '../telemetry.ts'

/** AWS's own policies for an EKS cluster's roles; the cluster boundary caps what they grant. */
const AWS_EKS_POLICIES = {
  cluster: ['AmazonEKSClusterPolicy'],
  // Not the CNI's policy: the pods' network interfaces are aws-node's to manage (`cni` below),
  // so no pod on a node can borrow the node's role to create or move them.
  nodes: ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly'],
  cni: ['AmazonEKS_CNI_Policy'],
  containerLogs: ['CloudWatchAgentServerPolicy'],
} as const satisfies Record<string, readonly (typeof AWS_CLUSTER_POLICIES)[number][]>

/** Service accounts whose IAM roles this stack makes (IRSA): namespace and name. */
export const SERVICE_ACCOUNTS = {
  loadBalancerController: { namespace: 'kube-system', name: 'aws-load-balancer-controller' },
  // deploy/kubernetes/base/api-service-account.yaml: counts a user pool group's members.
  api: { namespace: 'votelab', name: 'votelab-api' },
  // deploy/kubernetes/overlays/eks/database-secret.yaml
  secretsReader: { namespace: 'votelab', name: 'votelab-secrets-reader' },
  // The VPC CNI's DaemonSet: assigns the pods' addresses, enforces NetworkPolicies.
  cni: { namespace: 'kube-system', name: 'aws-node' },
  // The amazon-cloudwatch-observability add-on's agent and Fluent Bit.
  containerLogs: { namespace: 'amazon-cloudwatch', name: 'cloudwatch-agent' },
} as const

/** The log groups the CloudWatch add-on writes (created here, so they expire). */
const CONTAINER_LOG_GROUPS = [
  'application',
  'dataplane',
  'host',
  'performance',
] as const satisfies ['application', ...string[]]

export interface KubernetesClusterArgs {
  /** `votelab-dev`: the cluster's name, and the start of every name here. */
  namePrefix: string
  vpcId: pulumi.Input<string>
  privateSubnetIds: pulumi.Input<string[]>
  settings: KubernetesConfig
  /** The pipeline's deploy role: cluster-admin, so `pulumi up` from a workflow can apply. */
  deployRoleArn: pulumi.Input<string>
  /** The ways in and out of the pods: the ALB's group and the database's. */
  loadBalancerSecurityGroupId: pulumi.Input<string>
  databaseSecurityGroupId: pulumi.Input<string>
  apiPort: number
  /** The one target group the Load Balancer Controller may register pods in. */
  targetGroupArn: pulumi.Input<string>
  /** The user pool whose groups the API counts when a group poll closes (turnout). */
  userPoolArn: pulumi.Input<string>
  /** The one secret the API's secrets reader may read: RDS's password. */
  databasePasswordSecretArn: pulumi.Input<string>
  rolePath: string
  /** Whether the API's pods run the OpenTelemetry collector (votelab:telemetry cloudwatch). */
  telemetry: boolean
  /** Boundaries (pipeline-access.ts): the cluster's own roles, and the workload's. */
  clusterBoundaryArn: pulumi.Input<string>
  workloadBoundaryArn: pulumi.Input<string>
  logRetentionDays: number
}

/**
 * An EKS cluster for the API, inside the stack's VPC (docs/decisions/019): the control plane
 * (`@pulumi/eks`) with its endpoint private unless the stack names who may reach it, IAM access
 * entries instead of the aws-auth ConfigMap, a managed node group in the private subnets, the
 * VPC CNI enforcing NetworkPolicies, and the IAM roles its controllers assume (IRSA), each
 * scoped to one thing. The pods use the cluster's security group: admitted by the ALB, admitted
 * to the database — the rules the ECS service's group has.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>
  /** For `kubectl` (`aws eks get-token` with the caller's own credentials). */
  public readonly kubeconfig: pulumi.Output<string>
  public readonly provider: k8s.Provider
  public readonly nodeSecurityGroupId: pulumi.Output<string>
  public readonly loadBalancerControllerRoleArn: pulumi.Output<string>
  public readonly secretsReaderRoleArn: pulumi.Output<string>
  public readonly apiRoleArn: pulumi.Output<string>
  /** Where the pods' collectors write the API's metrics (EMF events), when telemetry is on. */
  public readonly metricsLogGroupName: pulumi.Output<string> | undefined
  /** What the CloudWatch add-on writes container logs (stdout of every pod) to. */
  public readonly applicationLogGroupName: pulumi.Output<string>
  /** What in-cluster releases wait for: nodes to run on, and the logging add-on. */
  public readonly readyForWorkloads: pulumi.Resource[]

  constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:KubernetesCluster', name, {}, opts)
    const clusterName = args.namePrefix
    const { settings } = args

    const role = (
      purpose: string,
      assumedBy: pulumi.Input<string>,
      boundary: pulumi.Input<string>,
      awsPolicies: readonly string[] = [],
    ) => {
      const created = new aws.iam.Role(
        `${name}-${purpose}`,
        {
          path: args.rolePath,
          namePrefix: `${args.namePrefix}-${purpose}-`,
          assumeRolePolicy: assumedBy,
          permissionsBoundary: boundary,
        },
        { parent: this },
      )
      const attached = awsPolicies.map(
        (policy) =>
          new aws.iam.RolePolicyAttachment(
            `${name}-${purpose}-${policy}`,
            { role: created.name, policyArn: awsPolicyArn(policy) },
            { parent: this },
          ),
      )
      return { role: created, attached }
    }
    const serviceTrust = (service: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      })

    const control = role(
      'cluster',
      serviceTrust('eks.amazonaws.com'),
      args.clusterBoundaryArn,
      AWS_EKS_POLICIES.cluster,
    )
    const nodes = role(
      'nodes',
      serviceTrust('ec2.amazonaws.com'),
      args.clusterBoundaryArn,
      AWS_EKS_POLICIES.nodes,
    )

    // EKS creates this group on first log line, kept forever, unless it exists already.
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane-logs`,
      { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: args.logRetentionDays },
      { parent: this },
    )
    const containerLogGroup = (group: (typeof CONTAINER_LOG_GROUPS)[number]) =>
      new aws.cloudwatch.LogGroup(
        `${name}-container-logs-${group}`,
        {
          name: `/aws/containerinsights/${clusterName}/${group}`,
          retentionInDays: args.logRetentionDays,
        },
        { parent: this },
      )
    const applicationLogs = containerLogGroup('application')
    const otherContainerLogs = CONTAINER_LOG_GROUPS.filter((group) => group !== 'application').map(
      containerLogGroup,
    )

    const publicEndpoint = settings.publicAccessCidrs.length > 0
    const cluster = new eks.Cluster(
      `${name}-eks`,
      {
        name: clusterName,
        version: settings.version,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs: [...settings.publicAccessCidrs] } : {}),
        nodeAssociatePublicIpAddress: false,
        // The cluster's own security group (EKS makes it) for the control plane and the nodes.
        skipDefaultSecurityGroups: true,
        skipDefaultNodeGroup: true,
        createInstanceRole: false,
        serviceRole: control.role,
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries: Object.fromEntries(
          [args.deployRoleArn, ...settings.adminPrincipalArns].map((principalArn, index) => [
            index === 0 ? 'pipeline-deploy' : `admin-${index}`,
            {
              principalArn,
              accessPolicies: {
                admin: {
                  policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
                  accessScope: { type: 'cluster' },
                },
              },
            },
          ]),
        ),
        createOidcProvider: true,
        // The VPC CNI add-on is made below, once its role can trust this cluster's issuer.
        useDefaultVpcCni: true,
        enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
      },
      { parent: this, dependsOn: [controlPlaneLogs, ...control.attached] },
    )
    this.clusterName = pulumi.output(clusterName)
    this.nodeSecurityGroupId = cluster.nodeSecurityGroupId

    // The same fence as the ECS service's group (network.ts), for pods on the cluster's group.
    const tcp = (port: number) => ({ ipProtocol: 'tcp', fromPort: port, toPort: port })
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-pods-from-load-balancer`,
      {
        securityGroupId: cluster.nodeSecurityGroupId,
        referencedSecurityGroupId: args.loadBalancerSecurityGroupId,
        ...tcp(args.apiPort),
        description: 'The API pods, from the load balancer',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-load-balancer-to-pods`,
      {
        securityGroupId: args.loadBalancerSecurityGroupId,
        referencedSecurityGroupId: cluster.nodeSecurityGroupId,
        ...tcp(args.apiPort),
        description: 'To the API pods',
      },
      { parent: this },
    )
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-database-from-pods`,
      {
        securityGroupId: args.databaseSecurityGroupId,
        referencedSecurityGroupId: cluster.nodeSecurityGroupId,
        ...tcp(5432),
        description: 'Postgres from the API pods',
      },
      { parent: this },
    )

    // IRSA: a role only one service account of this cluster can assume, with tokens for STS.
    const trustOf = (account: { namespace: string; name: string }) =>
      pulumi.all([cluster.oidcProviderArn, cluster.oidcIssuer]).apply(([provider, issuer]) =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: provider },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`${issuer}:sub`]: `system:serviceaccount:${account.namespace}:${account.name}`,
                  [`${issuer}:aud`]: 'sts.amazonaws.com',
                },
              },
            },
          ],
        }),
      )

    // The VPC CNI as a managed add-on on its own IRSA role, made before any node joins, so the
    // node role never holds the rights to create and attach network interfaces. NetworkPolicies
    // (deploy/kubernetes) are enforced by its policy agent.
    const cni = role(
      'cni',
      trustOf(SERVICE_ACCOUNTS.cni),
      args.clusterBoundaryArn,
      AWS_EKS_POLICIES.cni,
    )
    const vpcCni = new eks.VpcCniAddon(
      `${name}-vpc-cni`,
      {
        clusterName: cluster.eksCluster.name,
        serviceAccountRoleArn: cni.role.arn,
        enableNetworkPolicy: true,
        // Takes over the self-managed aws-node EKS installs with the cluster.
        resolveConflictsOnCreate: eks.ResolveConflictsOnCreate.Overwrite,
        resolveConflictsOnUpdate: eks.ResolveConflictsOnUpdate.Overwrite,
      },
      { parent: this, dependsOn: cni.attached },
    )

    const nodeGroup = new aws.eks.NodeGroup(
      `${name}-nodes`,
      {
        clusterName: cluster.eksCluster.name,
        nodeRoleArn: nodes.role.arn,
        subnetIds: args.privateSubnetIds,
        instanceTypes: [settings.nodeInstanceType],
        amiType: 'AL2023_x86_64_STANDARD',
        capacityType: 'ON_DEMAND',
        scalingConfig: {
          desiredSize: settings.nodes,
          minSize: settings.nodes,
          maxSize: settings.maxNodes,
        },
        // One node at a time: the API's PodDisruptionBudget keeps a replica serving.
        updateConfig: { maxUnavailable: 1 },
      },
      // Nodes come up with aws-node already on its own role: they never need the CNI's rights.
      { parent: this, dependsOn: [...nodes.attached, vpcCni] },
    )

    // Registers the API's pods in the stack's one target group: no load balancer of its own
    // (the overlay has no Ingress), so none of the controller's usual create/delete rights.
    const loadBalancerController = role(
      'lb-controller',
      trustOf(SERVICE_ACCOUNTS.loadBalancerController),
      args.clusterBoundaryArn,
    )
    attachManagedPolicy(
      `${name}-lb-controller-policy`,
      {
        role: loadBalancerController.role,
        path: args.rolePath,
        description: 'Register the API pods in the stack target group; read what it needs to',
        statements: [
          {
            Effect: 'Allow',
            Action: [
              'elasticloadbalancing:RegisterTargets',
              'elasticloadbalancing:DeregisterTargets',
            ],
            Resource: args.targetGroupArn,
          },
          {
            Effect: 'Allow',
            Action: [
              'elasticloadbalancing:DescribeTargetGroups',
              'elasticloadbalancing:DescribeTargetHealth',
              'elasticloadbalancing:DescribeLoadBalancers',
              'elasticloadbalancing:DescribeListeners',
              'elasticloadbalancing:DescribeTags',
              'ec2:DescribeVpcs',
              'ec2:DescribeSubnets',
              'ec2:DescribeSecurityGroups',
              'ec2:DescribeInstances',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DescribeAvailabilityZones',
            ],
            Resource: '*',
          },
        ],
      },
      { parent: this },
    )
    this.loadBalancerControllerRoleArn = loadBalancerController.role.arn

    // The External Secrets Operator reads RDS's password as this service account.
    const secretsReader = role(
      'secrets-reader',
      trustOf(SERVICE_ACCOUNTS.secretsReader),
      args.workloadBoundaryArn,
    )
    attachManagedPolicy(
      `${name}-secrets-reader-policy`,
      {
        role: secretsReader.role,
        path: args.rolePath,
        description: 'Read the database password (the RDS-managed secret) and nothing else',
        statements: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: args.databasePasswordSecretArn,
          },
        ],
      },
      { parent: this },
    )
    this.secretsReaderRoleArn = secretsReader.role.arn

    // The collector beside each API container (deploy/kubernetes/overlays/eks/collector.yaml):
    // its EMF events land here, and CloudWatch makes the declared metrics of them, as on ECS.
    const metricsLogs = args.telemetry
      ? new aws.cloudwatch.LogGroup(
          `${name}-metrics`,
          { retentionInDays: args.logRetentionDays },
          { parent: this },
        )
      : undefined
    this.metricsLogGroupName = metricsLogs?.name

    // The API's own AWS calls, as the ECS task role has them (service.ts): the pod's containers
    // share its service account, so the collector's rights are the API role's too.
    const api = role('api', trustOf(SERVICE_ACCOUNTS.api), args.workloadBoundaryArn)
    attachManagedPolicy(
      `${name}-api-policy`,
      {
        role: api.role,
        path: args.rolePath,
        description: metricsLogs
          ? 'votelab API pods: count user pool group members; metrics and traces'
          : 'votelab API pods: count user pool group members (turnout)',
        statements: [
          { Effect: 'Allow', Action: 'cognito-idp:ListUsersInGroup', Resource: args.userPoolArn },
          ...(metricsLogs ? collectorStatements(metricsLogs.arn) : []),
        ],
      },
      { parent: this },
    )
    this.apiRoleArn = api.role.arn

    // Every pod's stdout to CloudWatch Logs, and Container Insights' CPU and memory per pod.
    const logsRole = role(
      'container-logs',
      trustOf(SERVICE_ACCOUNTS.containerLogs),
      args.clusterBoundaryArn,
      AWS_EKS_POLICIES.containerLogs,
    )
    const cloudWatch = new aws.eks.Addon(
      `${name}-cloudwatch-observability`,
      {
        clusterName: cluster.eksCluster.name,
        addonName: 'amazon-cloudwatch-observability',
        serviceAccountRoleArn: logsRole.role.arn,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
      },
      {
        parent: this,
        dependsOn: [nodeGroup, applicationLogs, ...otherContainerLogs, ...logsRole.attached],
      },
    )
    this.applicationLogGroupName = applicationLogs.name

    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson)
    this.provider = new k8s.Provider(
      `${name}-kubernetes`,
      { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
      { parent: this },
    )
    this.readyForWorkloads = [nodeGroup, cloudWatch]
    this.registerOutputs({
      clusterName: this.clusterName,
      nodeSecurityGroupId: this.nodeSecurityGroupId,
      loadBalancerControllerRoleArn: this.loadBalancerControllerRoleArn,
      secretsReaderRoleArn: this.secretsReaderRoleArn,
      apiRoleArn: this.apiRoleArn,
      applicationLogGroupName: this.applicationLogGroupName,
      metricsLogGroupName: this.metricsLogGroupName,
    })
  }
}
