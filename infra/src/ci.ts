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
 */
export class PipelineAccess extends pulumi.ComponentResource {
  public readonly deployRoleArn: pulumi.Output<string>
  public readonly previewRoleArn: pulumi.Output<string>
  public readonly oidcProviderArn: pulumi.Output<string>

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
        policy: deployPolicy(account, region, args.namePrefix, args.rolePath, args.stateBucket),
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
    this.registerOutputs({ deployRoleArn: this.deployRoleArn })
  }
}

/**
 * What creating and updating this stack touches, and no more: regional services only in the
 * stack's region; S3, ECR and IAM only on names this program creates. Database passwords are
 * never readable (`secretsmanager:GetSecretValue` is not granted).
 */
function deployPolicy(
  account: pulumi.Input<string>,
  region: pulumi.Input<string>,
  prefix: string,
  rolePath: string,
  stateBucket: string | undefined,
) {
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } }
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
      { Sid: 'Distribution', Effect: 'Allow', Action: 'cloudfront:*', Resource: '*' },
      {
        Sid: 'StackRoles',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:UpdateRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
        ],
        Resource: pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}*`,
      },
      {
        Sid: 'PassStackRolesToEcsOnly',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: pulumi.interpolate`arn:aws:iam::${account}:role${rolePath}*`,
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
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
      ...stateBackend(stateBucket, 'readWrite'),
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
