/**
 * What deploying this program asks of AWS, by the resource types it registers: the API actions
 * the AWS provider calls to create, read, update and delete each one (and what AWS itself calls
 * with the caller's rights, like RDS creating the password's secret), on the ARN that resource
 * would have in this stack. `iam-simulation.test.ts` simulates the deploy role's policy on every
 * line, and fails when the program registers a type this table does not name — so a new kind
 * of resource arrives with the rights it needs, reviewed here.
 *
 * Derived from the Terraform AWS provider's calls per resource (which `@pulumi/aws` wraps) and
 * the services' authorization reference; the simulator knows which actions exist and which
 * context keys apply to each.
 */

export interface StackNames {
  account: string
  region: string
  stack: string
  /** `votelab-dev`: the start of every generated name. */
  prefix: string
  /** `/votelab/dev/`: the stack's roles and managed policies. */
  rolePath: string
  boundaryArn: string
  /** An EKS stack's cluster boundary (its cluster, node and controller roles carry it). */
  clusterBoundaryArn: string
  cloudFront: {
    distribution: string
    vpcOrigin: string
    function: string
    originAccessControl: string
    responseHeadersPolicies: string[]
  }
  /** Roles and policies of the pipeline itself (`/votelab-pipeline/`): the deploy role only reads them. */
  pipelineRole: string
}

/** Some actions on one resource. `context` adds to what every call carries (region, stack tag). */
export interface Calls {
  actions: string[]
  resource: string
  context?: Record<string, string | string[]>
  /** The resource's own policy where AWS evaluates one (a KMS key's). */
  resourcePolicy?: unknown
}

/**
 * An AWS managed key (`aws/rds`, `aws/secretsmanager`) as AWS documents its key policy: any
 * principal of the account, through that service in this region only.
 */
export function awsManagedKey(
  n: StackNames,
  service: string,
  keyId: string,
  actions: string[],
): Calls {
  const viaService = `${service}.${n.region}.amazonaws.com`
  return {
    actions,
    resource: `arn:aws:kms:${n.region}:${n.account}:key/${keyId}`,
    context: { 'kms:ViaService': viaService, 'kms:CallerAccount': n.account },
    resourcePolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: `Allow access through ${service} for all principals in the account`,
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:CreateGrant',
            'kms:DescribeKey',
          ],
          Resource: '*',
          Condition: {
            StringEquals: { 'kms:CallerAccount': n.account, 'kms:ViaService': viaService },
          },
        },
      ],
    },
  }
}

const serviceLinkedRole = (n: StackNames, service: string): Calls => ({
  actions: ['iam:CreateServiceLinkedRole'],
  resource: `arn:aws:iam::${n.account}:role/aws-service-role/${service}/*`,
  context: { 'iam:AWSServiceName': service },
})

const ec2 = (n: StackNames, kind: string, actions: string[]): Calls => ({
  actions,
  resource: `arn:aws:ec2:${n.region}:${n.account}:${kind}`,
})

const rds = (n: StackNames, kind: string, actions: string[]): Calls => ({
  actions: [...actions, 'rds:AddTagsToResource', 'rds:ListTagsForResource'],
  resource: `arn:aws:rds:${n.region}:${n.account}:${kind}:${n.prefix}-${kind}-abc1234`,
})

const cloudFront = (resource: string, verbs: string[], noun: string): Calls => ({
  actions: verbs.map((verb) => `cloudfront:${verb}${noun}`),
  resource,
})

const databaseSecret = (n: StackNames) =>
  `arn:aws:secretsmanager:${n.region}:${n.account}:secret:rds!db-1234-AbCd`

export const DEPLOY_ACTIONS: Record<string, (n: StackNames) => Calls[]> = {
  // What the program looks up before it registers anything.
  lookups: (n) => [
    { actions: ['sts:GetCallerIdentity'], resource: '*' },
    {
      actions: [
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeManagedPrefixLists',
        'ec2:GetManagedPrefixListEntries',
      ],
      resource: '*',
    },
    {
      actions: ['iam:GetOpenIDConnectProvider', 'iam:ListOpenIDConnectProviders'],
      resource: `arn:aws:iam::${n.account}:oidc-provider/token.actions.githubusercontent.com`,
    },
  ],

  // awsx components: under mocks their children never register, so they are listed here.
  'awsx:ec2:Vpc': (n) => [
    ec2(n, 'vpc/vpc-0abc', [
      'ec2:CreateVpc',
      'ec2:DescribeVpcs',
      'ec2:DescribeVpcAttribute',
      'ec2:ModifyVpcAttribute',
      'ec2:DeleteVpc',
      'ec2:CreateTags',
    ]),
    ec2(n, 'subnet/subnet-private-a', [
      'ec2:CreateSubnet',
      'ec2:DescribeSubnets',
      'ec2:ModifySubnetAttribute',
      'ec2:DeleteSubnet',
    ]),
    ec2(n, 'internet-gateway/igw-0abc', [
      'ec2:CreateInternetGateway',
      'ec2:AttachInternetGateway',
      'ec2:DetachInternetGateway',
      'ec2:DeleteInternetGateway',
    ]),
    ec2(n, 'natgateway/nat-0abc', [
      'ec2:CreateNatGateway',
      'ec2:DescribeNatGateways',
      'ec2:DeleteNatGateway',
    ]),
    ec2(n, 'elastic-ip/eipalloc-0abc', [
      'ec2:AllocateAddress',
      'ec2:DescribeAddresses',
      'ec2:DisassociateAddress',
      'ec2:ReleaseAddress',
    ]),
    ec2(n, 'route-table/rtb-0abc', [
      'ec2:CreateRouteTable',
      'ec2:CreateRoute',
      'ec2:ReplaceRoute',
      'ec2:DeleteRoute',
      'ec2:AssociateRouteTable',
      'ec2:DisassociateRouteTable',
      'ec2:DeleteRouteTable',
    ]),
  ],
  'aws:ec2/securityGroup:SecurityGroup': (n) => [
    ec2(n, 'security-group/sg-0abc', [
      'ec2:CreateSecurityGroup',
      'ec2:DescribeSecurityGroups',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:DeleteSecurityGroup',
    ]),
  ],
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': (n) => [
    ec2(n, 'security-group/sg-0abc', [
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:ModifySecurityGroupRules',
    ]),
    ec2(n, 'security-group-rule/sgr-0abc', ['ec2:DescribeSecurityGroupRules']),
  ],
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': (n) => [
    ec2(n, 'security-group/sg-0abc', [
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifySecurityGroupRules',
    ]),
  ],

  'aws:rds/subnetGroup:SubnetGroup': (n) => [
    rds(n, 'subgrp', [
      'rds:CreateDBSubnetGroup',
      'rds:DescribeDBSubnetGroups',
      'rds:ModifyDBSubnetGroup',
      'rds:DeleteDBSubnetGroup',
    ]),
  ],
  'aws:rds/parameterGroup:ParameterGroup': (n) => [
    rds(n, 'pg', [
      'rds:CreateDBParameterGroup',
      'rds:DescribeDBParameterGroups',
      'rds:DescribeDBParameters',
      'rds:ModifyDBParameterGroup',
      'rds:DeleteDBParameterGroup',
    ]),
  ],
  // Finding 4: with manageMasterUserPassword RDS creates, tags and deletes the password's
  // secret, encrypted with Secrets Manager's key, using the caller's rights.
  'aws:rds/instance:Instance': (n) => [
    rds(n, 'db', [
      'rds:CreateDBInstance',
      'rds:DescribeDBInstances',
      'rds:ModifyDBInstance',
      'rds:DeleteDBInstance',
    ]),
    {
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:DescribeSecret',
        'secretsmanager:DeleteSecret',
      ],
      resource: databaseSecret(n),
    },
    // Storage encrypted with aws/rds, the secret with aws/secretsmanager: AWS managed keys,
    // whose key policies let the account's principals use them through their service only.
    awsManagedKey(n, 'rds', '1111aaaa-0000-4000-8000-000000000001', [
      'kms:CreateGrant',
      'kms:DescribeKey',
      'kms:GenerateDataKey',
    ]),
    awsManagedKey(n, 'secretsmanager', '2222bbbb-0000-4000-8000-000000000002', [
      'kms:GenerateDataKey',
      'kms:Decrypt',
      'kms:DescribeKey',
    ]),
    serviceLinkedRole(n, 'rds.amazonaws.com'),
  ],
  'aws:secretsmanager/secretRotation:SecretRotation': (n) => [
    {
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:CancelRotateSecret'],
      resource: databaseSecret(n),
    },
  ],

  'aws:lb/loadBalancer:LoadBalancer': (n) => [
    {
      actions: [
        'elasticloadbalancing:CreateLoadBalancer',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:DeleteLoadBalancer',
      ],
      resource: `arn:aws:elasticloadbalancing:${n.region}:${n.account}:loadbalancer/app/${n.prefix}-alb/abc`,
    },
    serviceLinkedRole(n, 'elasticloadbalancing.amazonaws.com'),
  ],
  'aws:lb/targetGroup:TargetGroup': (n) => [
    {
      actions: [
        'elasticloadbalancing:CreateTargetGroup',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        // AddTags too, which the simulator's data lists for load balancers only.
        'elasticloadbalancing:DeleteTargetGroup',
      ],
      resource: `arn:aws:elasticloadbalancing:${n.region}:${n.account}:targetgroup/${n.prefix}-tg/def`,
    },
  ],
  'aws:lb/listener:Listener': (n) => [
    {
      // A listener is created on its load balancer.
      actions: ['elasticloadbalancing:CreateListener'],
      resource: `arn:aws:elasticloadbalancing:${n.region}:${n.account}:loadbalancer/app/${n.prefix}-alb/abc`,
    },
    {
      actions: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:DeleteListener',
      ],
      resource: `arn:aws:elasticloadbalancing:${n.region}:${n.account}:listener/app/${n.prefix}-alb/abc/123`,
    },
  ],

  'aws:ecr/repository:Repository': (n) => [
    {
      actions: [
        'ecr:CreateRepository',
        'ecr:DescribeRepositories',
        'ecr:PutImageScanningConfiguration',
        'ecr:PutImageTagMutability',
        'ecr:TagResource',
        'ecr:ListTagsForResource',
        'ecr:DeleteRepository',
      ],
      resource: `arn:aws:ecr:${n.region}:${n.account}:repository/${n.prefix}-image-repository-abc1234`,
    },
  ],
  'aws:ecr/lifecyclePolicy:LifecyclePolicy': (n) => [
    {
      actions: ['ecr:PutLifecyclePolicy', 'ecr:GetLifecyclePolicy', 'ecr:DeleteLifecyclePolicy'],
      resource: `arn:aws:ecr:${n.region}:${n.account}:repository/${n.prefix}-image-repository-abc1234`,
    },
  ],
  // Not a resource: what `pnpm image:publish` does with the deploy role before `pulumi up`.
  'pnpm image:publish': (n) => [
    { actions: ['ecr:GetAuthorizationToken'], resource: '*' },
    {
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
      ],
      resource: `arn:aws:ecr:${n.region}:${n.account}:repository/${n.prefix}-image-repository-abc1234`,
    },
  ],

  'aws:ecs/cluster:Cluster': (n) => [
    {
      actions: [
        'ecs:CreateCluster',
        'ecs:DescribeClusters',
        'ecs:UpdateClusterSettings',
        'ecs:TagResource',
        'ecs:DeleteCluster',
      ],
      resource: `arn:aws:ecs:${n.region}:${n.account}:cluster/${n.prefix}-cluster-abc1234`,
    },
  ],
  'awsx:ecs:FargateService': (n) => [
    {
      actions: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
      resource: `arn:aws:ecs:${n.region}:${n.account}:task-definition/${n.prefix}-fargate:1`,
    },
    { actions: ['ecs:DeregisterTaskDefinition'], resource: '*' },
    {
      // ECS checks that whoever registers a task definition may hand its roles to tasks.
      actions: ['iam:PassRole'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-execution-abc1234`,
      context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    },
    {
      actions: [
        'ecs:CreateService',
        'ecs:DescribeServices',
        'ecs:UpdateService',
        'ecs:DeleteService',
      ],
      resource: `arn:aws:ecs:${n.region}:${n.account}:service/${n.prefix}-cluster-abc1234/${n.prefix}-api`,
    },
    serviceLinkedRole(n, 'ecs.amazonaws.com'),
  ],
  'aws:appautoscaling/target:Target': (n) => [
    {
      actions: [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:TagResource',
        'application-autoscaling:DeregisterScalableTarget',
      ],
      resource: `arn:aws:application-autoscaling:${n.region}:${n.account}:scalable-target/0ec1abc`,
    },
    serviceLinkedRole(n, 'ecs.application-autoscaling.amazonaws.com'),
  ],
  'aws:appautoscaling/policy:Policy': (n) => [
    {
      actions: [
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DeleteScalingPolicy',
      ],
      resource: `arn:aws:application-autoscaling:${n.region}:${n.account}:scalable-target/0ec1abc`,
    },
  ],

  'aws:cognito/userPool:UserPool': (n) => [
    {
      actions: [
        'cognito-idp:CreateUserPool',
        'cognito-idp:DescribeUserPool',
        'cognito-idp:UpdateUserPool',
        'cognito-idp:SetUserPoolMfaConfig',
        'cognito-idp:GetUserPoolMfaConfig',
        'cognito-idp:TagResource',
        'cognito-idp:DeleteUserPool',
      ],
      resource: `arn:aws:cognito-idp:${n.region}:${n.account}:userpool/${n.region}_AbC123`,
    },
  ],
  'aws:cognito/userGroup:UserGroup': (n) => [
    {
      actions: [
        'cognito-idp:CreateGroup',
        'cognito-idp:GetGroup',
        'cognito-idp:UpdateGroup',
        'cognito-idp:DeleteGroup',
      ],
      resource: `arn:aws:cognito-idp:${n.region}:${n.account}:userpool/${n.region}_AbC123`,
    },
  ],
  'aws:cognito/userPoolClient:UserPoolClient': (n) => [
    {
      actions: [
        'cognito-idp:CreateUserPoolClient',
        'cognito-idp:DescribeUserPoolClient',
        'cognito-idp:UpdateUserPoolClient',
        'cognito-idp:DeleteUserPoolClient',
      ],
      resource: `arn:aws:cognito-idp:${n.region}:${n.account}:userpool/${n.region}_AbC123`,
    },
  ],
  'aws:cognito/userPoolDomain:UserPoolDomain': (n) => [
    {
      actions: [
        'cognito-idp:CreateUserPoolDomain',
        'cognito-idp:DescribeUserPoolDomain',
        'cognito-idp:DeleteUserPoolDomain',
      ],
      resource: `arn:aws:cognito-idp:${n.region}:${n.account}:userpool/${n.region}_AbC123`,
    },
  ],

  'aws:cloudwatch/logGroup:LogGroup': (n) => [
    {
      actions: [
        'logs:CreateLogGroup',
        'logs:DescribeLogGroups',
        'logs:PutRetentionPolicy',
        'logs:TagResource',
        'logs:ListTagsForResource',
        'logs:DeleteLogGroup',
      ],
      resource: `arn:aws:logs:${n.region}:${n.account}:log-group:${n.prefix}-logs-abc1234`,
    },
    // The groups RDS and Container Insights write to, created by the program (finding 8).
    ...[
      `/aws/rds/instance/${n.prefix}-postgres/postgresql`,
      `/aws/ecs/containerinsights/${n.prefix}-cluster-abc1234/performance`,
    ].map((group) => ({
      actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteLogGroup'],
      resource: `arn:aws:logs:${n.region}:${n.account}:log-group:${group}`,
    })),
  ],
  'aws:cloudwatch/metricAlarm:MetricAlarm': (n) => [
    {
      actions: [
        'cloudwatch:PutMetricAlarm',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:TagResource',
        'cloudwatch:DeleteAlarms',
      ],
      resource: `arn:aws:cloudwatch:${n.region}:${n.account}:alarm:${n.prefix}-api-5xx-abc1234`,
    },
  ],
  // The error-budget burn alarms: two windows each, combined (application-monitoring.ts).
  'aws:cloudwatch/compositeAlarm:CompositeAlarm': (n) => [
    {
      actions: [
        'cloudwatch:PutCompositeAlarm',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:TagResource',
        'cloudwatch:ListTagsForResource',
        'cloudwatch:DeleteAlarms',
      ],
      resource: `arn:aws:cloudwatch:${n.region}:${n.account}:alarm:${n.prefix}-vote-error-budget-fast-burn`,
    },
  ],
  'aws:cloudwatch/dashboard:Dashboard': (n) => [
    {
      actions: [
        'cloudwatch:PutDashboard',
        'cloudwatch:GetDashboard',
        'cloudwatch:DeleteDashboards',
      ],
      resource: `arn:aws:cloudwatch::${n.account}:dashboard/${n.prefix}-abc1234`,
    },
  ],
  'aws:sns/topic:Topic': (n) => [
    {
      actions: [
        'sns:CreateTopic',
        'sns:GetTopicAttributes',
        'sns:SetTopicAttributes',
        'sns:TagResource',
        'sns:DeleteTopic',
      ],
      resource: `arn:aws:sns:${n.region}:${n.account}:${n.prefix}-alarms-abc1234`,
    },
  ],
  'aws:sns/topicPolicy:TopicPolicy': (n) => [
    {
      actions: ['sns:SetTopicAttributes', 'sns:GetTopicAttributes'],
      resource: `arn:aws:sns:${n.region}:${n.account}:${n.prefix}-alarms-abc1234`,
    },
  ],
  'aws:sns/topicSubscription:TopicSubscription': (n) => [
    {
      actions: ['sns:Subscribe', 'sns:GetSubscriptionAttributes', 'sns:Unsubscribe'],
      resource: `arn:aws:sns:${n.region}:${n.account}:${n.prefix}-alarms-abc1234`,
    },
  ],
  'aws:budgets/budget:Budget': (n) => [
    {
      actions: ['budgets:ModifyBudget', 'budgets:ViewBudget', 'budgets:TagResource'],
      resource: `arn:aws:budgets::${n.account}:budget/${n.prefix}-monthly`,
    },
  ],

  'aws:s3/bucket:Bucket': (n) => [
    {
      actions: [
        's3:CreateBucket',
        's3:ListBucket',
        's3:GetBucketTagging',
        's3:PutBucketTagging',
        's3:DeleteBucket',
      ],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234`,
    },
  ],
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': (n) => [
    {
      actions: ['s3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock'],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234`,
    },
  ],
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': (n) => [
    {
      actions: ['s3:PutBucketOwnershipControls', 's3:GetBucketOwnershipControls'],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234`,
    },
  ],
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': (n) => [
    {
      actions: ['s3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration'],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234`,
    },
  ],
  'aws:s3/bucketPolicy:BucketPolicy': (n) => [
    {
      actions: ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234`,
    },
  ],
  'aws:s3/bucketObjectv2:BucketObjectv2': (n) => [
    {
      actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectTagging', 's3:DeleteObject'],
      resource: `arn:aws:s3:::${n.prefix}-site-files-abc1234/index.html`,
    },
  ],

  // CloudFront resources get IDs at creation: creation is open, everything after on this
  // stack's ARNs only.
  'aws:cloudfront/distribution:Distribution': (n) => [
    { actions: ['cloudfront:CreateDistribution'], resource: '*' },
    {
      actions: ['cloudfront:TagResource'],
      resource: '*',
      context: { 'aws:RequestTag/stack': n.stack, 'aws:TagKeys': ['project', 'stack'] },
    },
    cloudFront(n.cloudFront.distribution, ['Get', 'Update', 'Delete'], 'Distribution'),
    {
      actions: ['cloudfront:ListTagsForResource', 'cloudfront:CreateInvalidation'],
      resource: n.cloudFront.distribution,
    },
  ],
  'aws:cloudfront/vpcOrigin:VpcOrigin': (n) => [
    { actions: ['cloudfront:CreateVpcOrigin'], resource: '*' },
    cloudFront(n.cloudFront.vpcOrigin, ['Get', 'Update', 'Delete'], 'VpcOrigin'),
    serviceLinkedRole(n, 'vpcorigin.cloudfront.amazonaws.com'),
  ],
  'aws:cloudfront/function:Function': (n) => [
    { actions: ['cloudfront:CreateFunction'], resource: '*' },
    cloudFront(n.cloudFront.function, ['Describe', 'Update', 'Publish', 'Delete'], 'Function'),
  ],
  'aws:cloudfront/originAccessControl:OriginAccessControl': (n) => [
    { actions: ['cloudfront:CreateOriginAccessControl'], resource: '*' },
    cloudFront(
      n.cloudFront.originAccessControl,
      ['Get', 'Update', 'Delete'],
      'OriginAccessControl',
    ),
  ],
  'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy': (n) => [
    { actions: ['cloudfront:CreateResponseHeadersPolicy'], resource: '*' },
    ...n.cloudFront.responseHeadersPolicies.map((arn) =>
      cloudFront(arn, ['Get', 'Update', 'Delete'], 'ResponseHeadersPolicy'),
    ),
  ],

  // The stack's roles: created, changed and attached to only with the workload boundary.
  'aws:iam/role:Role': (n) => {
    const role = `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-execution-abc1234`
    const withBoundary = { 'iam:PermissionsBoundary': n.boundaryArn }
    return [
      {
        actions: ['iam:CreateRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary'],
        resource: role,
        context: withBoundary,
      },
      {
        actions: [
          'iam:GetRole',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:TagRole',
          'iam:UpdateRoleDescription',
          'iam:DeleteRole',
        ],
        resource: role,
      },
      // The pipeline's own roles: read, never changed by the pipeline.
      {
        actions: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
        resource: n.pipelineRole,
      },
    ]
  },
  'aws:iam/policy:Policy': (n) => [
    {
      actions: [
        'iam:CreatePolicy',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
        'iam:ListPolicyVersions',
        'iam:CreatePolicyVersion',
        'iam:DeletePolicyVersion',
        'iam:TagPolicy',
        'iam:DeletePolicy',
      ],
      resource: `arn:aws:iam::${n.account}:policy${n.rolePath}${n.prefix}-execution-policy-abc1234`,
    },
    { actions: ['iam:GetPolicy', 'iam:GetPolicyVersion'], resource: n.boundaryArn },
  ],
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': (n) => [
    {
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-execution-abc1234`,
      context: {
        'iam:PermissionsBoundary': n.boundaryArn,
        'iam:PolicyARN': `arn:aws:iam::${n.account}:policy${n.rolePath}${n.prefix}-execution-policy-abc1234`,
      },
    },
  ],
  // The pre-sign-up trigger (`signUp: domains`, sign-up.test.ts): its function, Cognito's right to
  // call it, its role (passed to Lambda only), and its log group under the stack's prefix.
  'aws:lambda/function:Function': (n) => {
    const fn = `arn:aws:lambda:${n.region}:${n.account}:function:${n.prefix}-pre-sign-up`
    return [
      {
        actions: [
          'lambda:CreateFunction',
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:GetFunctionCodeSigningConfig',
          'lambda:GetRuntimeManagementConfig',
          'lambda:ListVersionsByFunction',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:TagResource',
          'lambda:ListTags',
          'lambda:DeleteFunction',
        ],
        resource: fn,
      },
      {
        actions: ['iam:PassRole'],
        resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-pre-sign-up-abc1234`,
        context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      },
      {
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteLogGroup'],
        resource: `arn:aws:logs:${n.region}:${n.account}:log-group:${n.prefix}-pre-sign-up`,
      },
    ]
  },
  'aws:lambda/permission:Permission': (n) => [
    {
      actions: ['lambda:AddPermission', 'lambda:GetPolicy', 'lambda:RemovePermission'],
      resource: `arn:aws:lambda:${n.region}:${n.account}:function:${n.prefix}-pre-sign-up`,
    },
  ],
  // An EKS stack (`votelab:compute eks`, eks.test.ts). @pulumi/eks's cluster is a component
  // whose children never register under mocks: the control plane, its OIDC provider, access
  // entries, the CoreDNS and kube-proxy add-ons, read and written here.
  'eks:index:Cluster': (n) => {
    const cluster = `arn:aws:eks:${n.region}:${n.account}:cluster/${n.prefix}`
    return [
      {
        actions: [
          'eks:CreateCluster',
          'eks:DescribeCluster',
          'eks:UpdateClusterConfig',
          'eks:UpdateClusterVersion',
          'eks:TagResource',
          'eks:DeleteCluster',
        ],
        resource: cluster,
      },
      {
        actions: ['iam:PassRole'],
        resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-cluster-abc1234`,
        context: { 'iam:PassedToService': 'eks.amazonaws.com' },
      },
      {
        actions: ['eks:CreateAccessEntry', 'eks:CreateAddon', 'eks:ListAccessEntries'],
        resource: cluster,
      },
      {
        actions: [
          'eks:DescribeAccessEntry',
          'eks:AssociateAccessPolicy',
          'eks:ListAssociatedAccessPolicies',
          'eks:DeleteAccessEntry',
        ],
        resource: `arn:aws:eks:${n.region}:${n.account}:access-entry/${n.prefix}/role/${n.account}/votelab-dev-pipeline-deploy/0abc`,
      },
      {
        actions: ['eks:DescribeAddon', 'eks:UpdateAddon', 'eks:DeleteAddon'],
        resource: `arn:aws:eks:${n.region}:${n.account}:addon/${n.prefix}/coredns/0abc`,
      },
      {
        actions: ['eks:DescribeAddonVersions', 'eks:DescribeAddonConfiguration'],
        resource: '*',
      },
      {
        actions: [
          'iam:CreateOpenIDConnectProvider',
          'iam:GetOpenIDConnectProvider',
          'iam:TagOpenIDConnectProvider',
          'iam:DeleteOpenIDConnectProvider',
        ],
        resource: `arn:aws:iam::${n.account}:oidc-provider/oidc.eks.${n.region}.amazonaws.com/id/EXAMPLE`,
      },
      serviceLinkedRole(n, 'eks.amazonaws.com'),
    ]
  },
  'aws:eks/nodeGroup:NodeGroup': (n) => [
    {
      actions: ['eks:CreateNodegroup'],
      resource: `arn:aws:eks:${n.region}:${n.account}:cluster/${n.prefix}`,
    },
    {
      actions: [
        'eks:DescribeNodegroup',
        'eks:UpdateNodegroupConfig',
        'eks:UpdateNodegroupVersion',
        'eks:TagResource',
        'eks:DeleteNodegroup',
      ],
      resource: `arn:aws:eks:${n.region}:${n.account}:nodegroup/${n.prefix}/${n.prefix}-nodes/0abc`,
    },
    {
      actions: ['iam:PassRole'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-nodes-abc1234`,
      context: { 'iam:PassedToService': 'eks.amazonaws.com' },
    },
    serviceLinkedRole(n, 'eks-nodegroup.amazonaws.com'),
  ],
  'aws:eks/addon:Addon': (n) => [
    {
      actions: ['eks:CreateAddon'],
      resource: `arn:aws:eks:${n.region}:${n.account}:cluster/${n.prefix}`,
    },
    {
      actions: ['eks:DescribeAddon', 'eks:UpdateAddon', 'eks:DeleteAddon'],
      resource: `arn:aws:eks:${n.region}:${n.account}:addon/${n.prefix}/amazon-cloudwatch-observability/0abc`,
    },
    {
      actions: ['iam:PassRole'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-container-logs-abc1234`,
      context: { 'iam:PassedToService': 'eks.amazonaws.com' },
    },
  ],
  // @pulumi/eks's VPC CNI component: the vpc-cni add-on, on aws-node's own role (IRSA).
  'eks:index:VpcCniAddon': (n) => [
    {
      actions: ['eks:CreateAddon'],
      resource: `arn:aws:eks:${n.region}:${n.account}:cluster/${n.prefix}`,
    },
    {
      actions: ['eks:DescribeAddon', 'eks:UpdateAddon', 'eks:DeleteAddon'],
      resource: `arn:aws:eks:${n.region}:${n.account}:addon/${n.prefix}/vpc-cni/0abc`,
    },
    {
      actions: ['eks:DescribeAddonVersions', 'eks:DescribeAddonConfiguration'],
      resource: '*',
    },
    {
      actions: ['iam:PassRole'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-cni-abc1234`,
      context: { 'iam:PassedToService': 'eks.amazonaws.com' },
    },
  ],
  // AWS's EKS policies, on roles carrying the cluster boundary only.
  'AWS managed policies on cluster roles': (n) => [
    {
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-nodes-abc1234`,
      context: {
        'iam:PermissionsBoundary': n.clusterBoundaryArn,
        'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
      },
    },
    {
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resource: `arn:aws:iam::${n.account}:role${n.rolePath}${n.prefix}-cni-abc1234`,
      context: {
        'iam:PermissionsBoundary': n.clusterBoundaryArn,
        'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
      },
    },
  ],
  // Talks to the cluster's Kubernetes API (its access entry), not to AWS: its token is a
  // presigned sts:GetCallerIdentity, and its kubeconfig comes from eks:DescribeCluster.
  'pulumi:providers:kubernetes': (n) => [
    { actions: ['sts:GetCallerIdentity'], resource: '*' },
    {
      actions: ['eks:DescribeCluster'],
      resource: `arn:aws:eks:${n.region}:${n.account}:cluster/${n.prefix}`,
    },
  ],
  'kubernetes:helm.sh/v3:Release': () => [],
  'kubernetes:yaml/v2:ConfigGroup': () => [],
  // Only the pipeline's roles have inline policies, and those only a person changes.
  'aws:iam/rolePolicy:RolePolicy': (n) => [
    { actions: ['iam:GetRolePolicy'], resource: n.pipelineRole },
  ],
}
