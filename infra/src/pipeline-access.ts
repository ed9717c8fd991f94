import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

const GITHUB_ISSUER = 'token.actions.githubusercontent.com'

export interface PipelineAccessArgs {
  /** `owner/name`. */
  githubRepository: string
  /** Subjects that may deploy, e.g. `environment:prod` (the deploy job runs in that environment). */
  deploySubjects: readonly string[]
  /** Subjects that may run a read-only preview, e.g. `pull_request`. */
  previewSubjects: readonly string[]
  existingOidcProviderArn: string | undefined
  /** The prefix Pulumi gives this stack's resource names (`votelab-dev`). */
  namePrefix: string
  /** The IAM path of the stack's own roles (`/votelab/dev/`), the only ones deploy may manage. */
  rolePath: string
  /** A self-managed state backend's bucket (`pulumi login s3://…`): deploy reads and writes the
   * state, preview reads it and takes the lock. Unset with Pulumi Cloud. */
  stateBucket: string | undefined
  /** The stack's name, as its `stack` tag carries it on every resource (`aws:defaultTags`). */
  stack: string
  /** This stack's CloudFront resources: CloudFront has no tags to scope by, so ARNs it is. */
  cloudFrontArns: pulumi.Input<string>[]
  /**
   * The stack runs on EKS (`votelab:compute eks`): deploy may also manage this stack's cluster,
   * and its roles may carry a second boundary, the cluster's.
   */
  kubernetes: boolean
}

/**
 * Lets GitHub Actions reach AWS without stored keys: two roles its workflows assume, trusting
 * the account's GitHub OIDC identity provider for an hour: `deploy` (what `pulumi up` of this stack needs) and
 * `preview` (read-only, for pull requests). Each trusts only tokens whose audience is STS and
 * whose subject names this repository and one of the configured branches or environments.
 *
 * Both roles live under the IAM path `/votelab-pipeline/`, outside the stack's `/votelab/<stack>/`
 * path that the deploy role may manage, so a pipeline can never widen its own permissions: changes to this
 * component need a person's `pulumi up` (infra/README.md).
 *
 * The roles the deploy role creates for the stack must carry `workloadBoundary`, a permissions
 * boundary it can neither change nor remove: whatever policy it attaches, a stack role can do no
 * more than pull this stack's image, write its logs and read its database password
 * (docs/decisions/012-pipeline-permissions.md; the IAM simulator tests prove it).
 */
export class PipelineAccess extends pulumi.ComponentResource {
  public readonly deployRoleArn: pulumi.Output<string>
  public readonly previewRoleArn: pulumi.Output<string>
  public readonly oidcProviderArn: pulumi.Output<string>
  /** The permissions boundary every role of the stack must carry. */
  public readonly workloadBoundaryArn: pulumi.Output<string>
  /** An EKS stack's cluster, node and controller roles carry this one instead. */
  public readonly clusterBoundaryArn: pulumi.Output<string> | undefined

  constructor(name: string, args: PipelineAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:PipelineAccess', name, {}, opts)

    // IAM allows one provider per URL per account, and every stack's roles trust it: it is an
    // account-wide resource, created once (infra/README.md, step 2), never by a stack — a second
    // stack could not create it, and destroying the first would cut the others off.
    const oidcProviderArn = args.existingOidcProviderArn
      ? pulumi.output(args.existingOidcProviderArn)
      : aws.iam.getOpenIdConnectProviderOutput(
          { url: `https://${GITHUB_ISSUER}` },
          { parent: this },
        ).arn

    const trust = (subjects: readonly string[]) =>
      pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: oidcProviderArn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${GITHUB_ISSUER}:aud`]: 'sts.amazonaws.com',
                [`${GITHUB_ISSUER}:sub`]: subjects.map(
                  (subject) => `repo:${args.githubRepository}:${subject}`,
                ),
              },
            },
          },
        ],
      })

    const identity = aws.getCallerIdentityOutput({}, { parent: this })
    const region = aws.getRegionOutput({}, { parent: this }).region
    const account = identity.accountId

    // Under the pipeline's path, so the deploy role cannot write a wider boundary for itself.
    const workloadBoundary = new aws.iam.Policy(
      `${name}-workload-boundary`,
      {
        path: '/votelab-pipeline/',
        description: `The most any ${args.namePrefix} role may do (a permissions boundary)`,
        policy: workloadBoundaryPolicy(account, region, args.namePrefix, args.stack),
      },
      { parent: this },
    )

    // What AWS's own EKS policies may grant a cluster's roles, capped to this stack and region.
    const clusterBoundary = args.kubernetes
      ? new aws.iam.Policy(
          `${name}-cluster-boundary`,
          {
            path: '/votelab-pipeline/',
            description: `The most any ${args.namePrefix} cluster role may do (a permissions boundary)`,
            policy: clusterBoundaryPolicy(account, region, args.namePrefix, args.stack),
          },
          { parent: this },
        )
      : undefined

    const deploy = new aws.iam.Role(
      `${name}-deploy`,
      {
        path: '/votelab-pipeline/',
        description: `GitHub Actions deploys ${args.namePrefix} (pulumi up)`,
        assumeRolePolicy: trust(args.deploySubjects),
        maxSessionDuration: 3600,
      },
      { parent: this },
    )
    new aws.iam.RolePolicy(
      `${name}-deploy-policy`,
      {
        role: deploy.id,
        policy: deployPolicy({
          account,
          region,
          prefix: args.namePrefix,
          stack: args.stack,
          rolePath: args.rolePath,
          boundaryArn: workloadBoundary.arn,
          clusterBoundaryArn: clusterBoundary?.arn,
          cloudFrontArns: args.cloudFrontArns,
          stateBucket: args.stateBucket,
        }),
      },
      { parent: this },
    )

    const preview = new aws.iam.Role(
      `${name}-preview`,
      {
        path: '/votelab-pipeline/',
        description: `GitHub Actions previews ${args.namePrefix} (read-only)`,
        assumeRolePolicy: trust(args.previewSubjects),
        maxSessionDuration: 3600,
      },
      { parent: this },
    )
    new aws.iam.RolePolicy(
      `${name}-preview-policy`,
      { role: preview.id, policy: previewPolicy(args.stateBucket) },
      { parent: this },
    )

    this.deployRoleArn = deploy.arn
    this.previewRoleArn = preview.arn
    this.oidcProviderArn = oidcProviderArn
    this.workloadBoundaryArn = workloadBoundary.arn
    this.clusterBoundaryArn = clusterBoundary?.arn
    this.registerOutputs({
      deployRoleArn: this.deployRoleArn,
      previewRoleArn: this.previewRoleArn,
      oidcProviderArn: this.oidcProviderArn,
      workloadBoundaryArn: this.workloadBoundaryArn,
    })
  }
}

/**
 * Every resource carries its stack's name (`aws:defaultTags`, checked by readConfig): dev's
 * pipeline, and dev's cluster roles, may not stop, modify or delete prod's database, service,
 * network or cluster.
 */
const neverAnotherStacksResources = (stack: string) => ({
  Sid: 'NeverAnotherStacksResources',
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: {
    StringNotEquals: { 'aws:ResourceTag/stack': stack },
    Null: { 'aws:ResourceTag/stack': 'false' },
  },
})

interface DeployPolicyArgs {
  account: pulumi.Input<string>
  region: pulumi.Input<string>
  prefix: string
  stack: string
  rolePath: string
  boundaryArn: pulumi.Input<string>
  /** Set on an EKS stack: the cluster's roles carry it. */
  clusterBoundaryArn: pulumi.Input<string> | undefined
  cloudFrontArns: pulumi.Input<string>[]
  stateBucket: string | undefined
}

/**
 * What creating, replacing and deleting this stack touches, and no more (infra/README.md, "What the
 * pipeline may do", has it by resource type): regional services only in the stack's region and
 * never on a resource tagged as another stack's; S3, ECR, CloudFront and IAM only on what this
 * program creates. Roles only with the workload boundary, policies only as managed policies under
 * the stack's path, never inline. Database passwords are never readable.
 */
function deployPolicy(args: DeployPolicyArgs) {
  const { account, region, prefix, rolePath } = args
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } }
  const stackRoles = pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}*`
  const stackPolicies = pulumi.interpolate`arn:aws:iam::${account}:policy${rolePath}*`
  const cluster = args.clusterBoundaryArn
  const withBoundary = {
    'iam:PermissionsBoundary': cluster ? [args.boundaryArn, cluster] : args.boundaryArn,
  }
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RegionalServices',
        Effect: 'Allow',
        Action: [
          'ec2:*',
          'elasticloadbalancing:*',
          'ecs:*',
          'rds:*',
          'cognito-idp:*',
          'logs:*',
          'cloudwatch:*',
          'sns:*',
          'application-autoscaling:*',
        ],
        Resource: '*',
        Condition: inRegion,
      },
      neverAnotherStacksResources(args.stack),
      {
        Sid: 'ListSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:ListSecrets',
        Resource: '*',
        Condition: inRegion,
      },
      {
        // manageMasterUserPassword: RDS creates, tags, rotates and deletes the password's secret
        // (named rds!…) with the caller's rights. Never GetSecretValue: the pipeline cannot read it.
        Sid: 'DatabasePasswordSecretLifecycle',
        Effect: 'Allow',
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:UpdateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
          'secretsmanager:RotateSecret',
          'secretsmanager:CancelRotateSecret',
        ],
        Resource: pulumi.interpolate`arn:aws:secretsmanager:${region}:${account}:secret:rds!*`,
      },
      {
        // The secret is encrypted with Secrets Manager's key, used on the caller's behalf.
        Sid: 'DatabasePasswordSecretEncryption',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:ViaService': [
              pulumi.interpolate`secretsmanager.${region}.amazonaws.com`,
              pulumi.interpolate`rds.${region}.amazonaws.com`,
            ],
          },
        },
      },
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'ImageRepository',
        Effect: 'Allow',
        Action: 'ecr:*',
        Resource: pulumi.interpolate`arn:aws:ecr:${region}:${account}:repository/${prefix}-*`,
      },
      {
        Sid: 'SiteBucket',
        Effect: 'Allow',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${prefix}-*`, `arn:aws:s3:::${prefix}-*/*`],
      },
      { Sid: 'ListBuckets', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
      {
        Sid: 'StackBudget',
        Effect: 'Allow',
        Action: [
          'budgets:ViewBudget',
          'budgets:ModifyBudget',
          'budgets:ListTagsForResource',
          'budgets:TagResource',
          'budgets:UntagResource',
        ],
        Resource: pulumi.interpolate`arn:aws:budgets::${account}:budget/${prefix}-*`,
      },
      {
        Sid: 'CloudFrontRead',
        Effect: 'Allow',
        Action: ['cloudfront:Get*', 'cloudfront:List*', 'cloudfront:Describe*'],
        Resource: '*',
      },
      {
        // New CloudFront resources get IDs nobody knows in advance; creating one changes nothing
        // that exists.
        Sid: 'CloudFrontCreate',
        Effect: 'Allow',
        Action: [
          'cloudfront:CreateDistribution',
          'cloudfront:CreateFunction',
          'cloudfront:CreateOriginAccessControl',
          'cloudfront:CreateResponseHeadersPolicy',
          'cloudfront:CreateVpcOrigin',
        ],
        Resource: '*',
      },
      {
        // CloudFront offers no tag conditions on updates: this stack's resources by ARN. A
        // replaced one (new ID) therefore needs a person's `pulumi up`, like this policy itself.
        Sid: 'ThisStacksCloudFront',
        Effect: 'Allow',
        Action: [
          'cloudfront:Update*',
          'cloudfront:Delete*',
          'cloudfront:CreateInvalidation',
          'cloudfront:PublishFunction',
          'cloudfront:TestFunction',
          'cloudfront:TagResource',
          'cloudfront:UntagResource',
        ],
        Resource: args.cloudFrontArns,
      },
      {
        Sid: 'CloudFrontTagsOnCreate',
        Effect: 'Allow',
        Action: 'cloudfront:TagResource',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestTag/stack': args.stack } },
      },
      {
        // A stack role exists only with the boundary, and keeps it.
        Sid: 'StackRolesWithBoundary',
        Effect: 'Allow',
        Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:UpdateAssumeRolePolicy'],
        Resource: stackRoles,
        Condition: { StringEquals: withBoundary },
      },
      {
        Sid: 'StackPoliciesOnStackRoles',
        Effect: 'Allow',
        Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        Resource: stackRoles,
        Condition: {
          StringEquals: withBoundary,
          ArnLike: { 'iam:PolicyARN': stackPolicies },
        },
      },
      {
        // Removing or describing grants nothing. (DeleteRolePolicy: for roles from before the
        // boundary, which had inline policies.)
        Sid: 'StackRoles',
        Effect: 'Allow',
        Action: [
          'iam:DeleteRole',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:DeleteRolePolicy',
        ],
        Resource: stackRoles,
      },
      {
        Sid: 'StackPolicies',
        Effect: 'Allow',
        Action: [
          'iam:CreatePolicy',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicy',
          'iam:DeletePolicyVersion',
          'iam:TagPolicy',
          'iam:UntagPolicy',
        ],
        Resource: stackPolicies,
      },
      {
        Sid: 'PassStackRolesToEcsOnly',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: stackRoles,
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      {
        // The one function a stack may have: the pre-sign-up trigger (`signUp: domains`).
        Sid: 'StackFunctions',
        Effect: 'Allow',
        Action: [
          'lambda:CreateFunction',
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:GetFunctionCodeSigningConfig',
          'lambda:GetRuntimeManagementConfig',
          'lambda:ListVersionsByFunction',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:DeleteFunction',
          'lambda:TagResource',
          'lambda:UntagResource',
          'lambda:ListTags',
          'lambda:GetPolicy',
          'lambda:AddPermission',
          'lambda:RemovePermission',
        ],
        Resource: pulumi.interpolate`arn:aws:lambda:${region}:${account}:function:${prefix}-*`,
      },
      {
        // Only the function's own role, only to Lambda: no other stack role becomes a function's.
        Sid: 'PassTheSignUpFunctionRoleToLambdaOnly',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}${prefix}-pre-sign-up-*`,
        Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      },
      {
        Sid: 'ServiceLinkedRoles',
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: '*',
        Condition: {
          StringEquals: {
            'iam:AWSServiceName': [
              'ecs.amazonaws.com',
              'elasticloadbalancing.amazonaws.com',
              'rds.amazonaws.com',
              'ecs.application-autoscaling.amazonaws.com',
              'vpcorigin.cloudfront.amazonaws.com',
            ],
          },
        },
      },
      {
        Sid: 'ReadIam',
        Effect: 'Allow',
        Action: ['iam:Get*', 'iam:List*'],
        Resource: '*',
      },
      { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
      // Belt and braces: the deploy role never becomes another role, and no boundary comes off.
      { Sid: 'NoRoleChaining', Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*' },
      {
        Sid: 'BoundariesStay',
        Effect: 'Deny',
        Action: 'iam:DeleteRolePermissionsBoundary',
        Resource: '*',
      },
      ...(cluster ? clusterStatements(args, cluster) : []),
      ...stateBackend(args.stateBucket, 'readWrite'),
    ],
  })
}

/**
 * An EKS stack's: its one cluster (named as the stack's prefix) and what hangs off it, the
 * cluster's OIDC provider (IRSA), AWS's EKS policies on roles with the cluster boundary only,
 * and the cluster and node roles passed to EKS only.
 */
function clusterStatements(args: DeployPolicyArgs, clusterBoundaryArn: pulumi.Input<string>) {
  const { account, region, prefix, rolePath } = args
  const eksArn = (kind: string) => pulumi.interpolate`arn:aws:eks:${region}:${account}:${kind}`
  const role = (purpose: string) =>
    pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}${prefix}-${purpose}-*`
  return [
    {
      Sid: 'ThisStacksCluster',
      Effect: 'Allow',
      Action: 'eks:*',
      Resource: [
        eksArn(`cluster/${prefix}`),
        eksArn(`nodegroup/${prefix}/*`),
        eksArn(`addon/${prefix}/*`),
        eksArn(`access-entry/${prefix}/*`),
        eksArn(`podidentityassociation/${prefix}/*`),
      ],
    },
    {
      // What versions and add-ons exist: about EKS, not about any cluster. (CreateCluster has no
      // resource to scope by; what follows is ThisStacksCluster's.)
      Sid: 'EksCatalogue',
      Effect: 'Allow',
      Action: [
        'eks:CreateCluster',
        'eks:DescribeAddonVersions',
        'eks:DescribeAddonConfiguration',
        'eks:DescribeClusterVersions',
        'eks:ListClusters',
        'eks:ListAccessPolicies',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': region } },
    },
    {
      Sid: 'ClusterIdentityProvider',
      Effect: 'Allow',
      Action: [
        'iam:CreateOpenIDConnectProvider',
        'iam:DeleteOpenIDConnectProvider',
        'iam:TagOpenIDConnectProvider',
        'iam:UntagOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProviderThumbprint',
        'iam:AddClientIDToOpenIDConnectProvider',
        'iam:RemoveClientIDFromOpenIDConnectProvider',
      ],
      Resource: pulumi.interpolate`arn:aws:iam::${account}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/*`,
    },
    {
      // AWS's own EKS policies, on roles whose boundary caps them to this stack.
      Sid: 'AwsEksPoliciesOnClusterRoles',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}*`,
      Condition: {
        StringEquals: { 'iam:PermissionsBoundary': clusterBoundaryArn },
        ArnEquals: { 'iam:PolicyARN': AWS_CLUSTER_POLICIES.map(awsPolicyArn) },
      },
    },
    {
      Sid: 'PassClusterRolesToEksOnly',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      // The add-ons' roles too: EKS hands them to aws-node and the CloudWatch agent.
      Resource: [role('cluster'), role('nodes'), role('cni'), role('container-logs')],
      Condition: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } },
    },
    {
      Sid: 'ClusterServiceLinkedRoles',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: '*',
      Condition: {
        StringEquals: {
          'iam:AWSServiceName': ['eks.amazonaws.com', 'eks-nodegroup.amazonaws.com'],
        },
      },
    },
  ]
}

/** AWS managed policies an EKS stack's roles use (eks/cluster.ts); the cluster boundary caps them. */
export const AWS_CLUSTER_POLICIES = [
  'AmazonEKSClusterPolicy',
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKS_CNI_Policy',
  'AmazonEC2ContainerRegistryReadOnly',
  'CloudWatchAgentServerPolicy',
] as const
export const awsPolicyArn = (name: string) => `arn:aws:iam::aws:policy/${name}`

/**
 * The most an EKS stack's cluster, node and controller roles may do, whatever AWS's broad
 * managed policies say: networking, load balancing and autoscaling reads in this region, image
 * pulls (AWS's add-on images live in AWS's own registries), this cluster's container logs and
 * metrics — and never a resource tagged as another stack's. The deploy role already holds every
 * one of these rights, so a role made with this boundary gives the pipeline nothing new.
 */
function clusterBoundaryPolicy(
  account: pulumi.Input<string>,
  region: pulumi.Input<string>,
  prefix: string,
  stack: string,
) {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ClusterNetworkingInRegion',
        Effect: 'Allow',
        Action: [
          'ec2:*',
          'elasticloadbalancing:*',
          'autoscaling:Describe*',
          'eks:DescribeCluster',
          'eks-auth:AssumeRoleForPodIdentity',
          'kms:DescribeKey',
          'cloudwatch:PutMetricData',
          'logs:DescribeLogGroups',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': region } },
      },
      {
        Sid: 'PullImages',
        Effect: 'Allow',
        Action: [
          'ecr:GetAuthorizationToken',
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
        ],
        Resource: '*',
      },
      {
        Sid: 'WriteThisClustersLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: pulumi.interpolate`arn:aws:logs:${region}:${account}:log-group:/aws/containerinsights/${prefix}/*`,
      },
      neverAnotherStacksResources(stack),
    ],
  })
}

/**
 * The most a role of this stack may ever do, whatever policy is attached to it: pull the stack's
 * images, write its logs, read its own database's password (RDS tags that secret with the
 * database's ARN), count the members of its own user pool's groups (turnout of group polls), send
 * traces. The execution role needs the first three; the task role the rest (its collector's
 * metric events are logs of this stack).
 */
function workloadBoundaryPolicy(
  account: pulumi.Input<string>,
  region: pulumi.Input<string>,
  prefix: string,
  stack: string,
) {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'PullThisStacksImages',
        Effect: 'Allow',
        Action: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
        ],
        Resource: pulumi.interpolate`arn:aws:ecr:${region}:${account}:repository/${prefix}-*`,
      },
      {
        Sid: 'WriteThisStacksLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: pulumi.interpolate`arn:aws:logs:${region}:${account}:log-group:${prefix}-*`,
      },
      {
        // The collector beside the API (telemetry.ts): X-Ray has no resource to scope this to.
        Sid: 'SendTraces',
        Effect: 'Allow',
        Action: 'xray:PutTraceSegments',
        Resource: '*',
      },
      {
        // The pool's id is unknown until Cognito makes it: the stack tag names it instead.
        Sid: 'CountThisStacksGroups',
        Effect: 'Allow',
        Action: 'cognito-idp:ListUsersInGroup',
        Resource: pulumi.interpolate`arn:aws:cognito-idp:${region}:${account}:userpool/*`,
        Condition: { StringEquals: { 'aws:ResourceTag/stack': stack } },
      },
      {
        Sid: 'ReadThisStacksDatabasePassword',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: pulumi.interpolate`arn:aws:secretsmanager:${region}:${account}:secret:rds!*`,
        Condition: {
          StringLike: {
            'aws:ResourceTag/aws:rds:primaryDBInstanceArn': pulumi.interpolate`arn:aws:rds:${region}:${account}:db:${prefix}-*`,
          },
        },
      },
    ],
  })
}

/**
 * Pulumi's S3 backend keeps everything under `.pulumi/` in the bucket; a preview takes a lock
 * (`.pulumi/locks/…`) and reads the state, an update writes it.
 */
function stateBackend(bucket: string | undefined, access: 'readWrite' | 'readAndLock') {
  if (!bucket) return []
  const objects = `arn:aws:s3:::${bucket}/.pulumi`
  return [
    {
      Sid: 'StateBucketList',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${bucket}`,
    },
    { Sid: 'StateRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${objects}/*` },
    {
      Sid: access === 'readWrite' ? 'StateWrite' : 'StateLock',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject'],
      Resource: access === 'readWrite' ? `${objects}/*` : `${objects}/locks/*`,
    },
  ]
}

/** Enough to compute a diff: descriptions and configuration, never data or secrets. */
function previewPolicy(stateBucket: string | undefined) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DescribeOnly',
        Effect: 'Allow',
        Action: [
          'ec2:Describe*',
          'ec2:GetManagedPrefixList*',
          'elasticloadbalancing:Describe*',
          'ecs:Describe*',
          'ecs:List*',
          'eks:Describe*',
          'eks:List*',
          'ecr:Describe*',
          'ecr:List*',
          // awsx's image build logs in to the registry even in preview.
          'ecr:GetAuthorizationToken',
          'ecr:GetLifecyclePolicy',
          'ecr:GetRepositoryPolicy',
          'rds:Describe*',
          'rds:ListTagsForResource',
          // Not List*: ListUsers and ListUsersInGroup would show pull requests voters' emails.
          'cognito-idp:Describe*',
          'cognito-idp:ListTagsForResource',
          'cognito-idp:ListUserPoolClients',
          'cognito-idp:ListGroups',
          'cognito-idp:GetGroup',
          'cognito-idp:GetUserPoolMfaConfig',
          's3:GetBucket*',
          's3:GetEncryptionConfiguration',
          's3:GetLifecycleConfiguration',
          's3:ListBucket',
          'cloudfront:Get*',
          'cloudfront:List*',
          'cloudfront:DescribeFunction',
          'secretsmanager:DescribeSecret',
          'logs:Describe*',
          'logs:ListTagsForResource',
          'cloudwatch:Describe*',
          'cloudwatch:GetDashboard',
          'cloudwatch:ListTagsForResource',
          'sns:GetTopicAttributes',
          'budgets:ViewBudget',
          'budgets:ListTagsForResource',
          'sns:GetSubscriptionAttributes',
          'sns:ListTagsForResource',
          'application-autoscaling:Describe*',
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:GetFunctionCodeSigningConfig',
          'lambda:GetPolicy',
          'lambda:ListVersionsByFunction',
          'lambda:ListTags',
          'iam:Get*',
          'iam:List*',
          'sts:GetCallerIdentity',
        ],
        Resource: '*',
      },
      ...stateBackend(stateBucket, 'readAndLock'),
    ],
  })
}
