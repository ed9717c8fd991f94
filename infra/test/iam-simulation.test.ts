import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate'
import { beforeAll, describe, expect, it } from 'vitest'
import { awsManagedKey, type Calls, DEPLOY_ACTIONS, type StackNames } from './deploy-actions.ts'
import { ACCOUNT, REGION, runStack, type StackRun } from './harness.ts'

/**
 * The pipeline's roles evaluated as AWS would (issue 14, findings 3 and 4): the policies the
 * program registers for the dev stack go through `@cloud-copilot/iam-simulate`, an implementation
 * of IAM's evaluation logic with AWS's own action and condition-key data
 * (docs/decisions/012-pipeline-permissions.md). Allowed: everything deploying needs, from the
 * table in deploy-actions.ts. Denied: every way found to turn the deploy role into more.
 */

type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'
interface Principal {
  arn: string
  policies: unknown[]
  boundary?: unknown
}

// IAM, CloudFront and Budgets answer in us-east-1 whatever the stack's region.
const GLOBAL_SERVICES = new Set(['iam', 'cloudfront', 'budgets'])

let stack: StackRun
/** The same stack on EKS (`votelab:compute eks`): its deploy role has the cluster's rights too. */
let eksStack: StackRun
let names: StackNames
let deployRole: Principal
let eksDeployRole: Principal
let clusterBoundary: unknown
let previewRole: Principal
let boundary: unknown
let executionPolicy: unknown

const policyOf = (type: string, name: string): unknown =>
  JSON.parse(String(stack.one(type, name).inputs.policy))

async function simulate(
  who: Principal,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  resourcePolicy?: unknown,
): Promise<Verdict> {
  const [service = '', name = ''] = action.split(':')
  // Actions with no resource type (Describe*, List*, Create* of some services) are evaluated
  // against "*", whatever they touch.
  if (await isWildcardOnlyAction(service, name)) resource = '*'
  const result = await runSimulation(
    {
      request: {
        principal: who.arn,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:RequestedRegion': GLOBAL_SERVICES.has(service) ? 'us-east-1' : REGION,
          // Every resource of the stack carries its name (aws:defaultTags). Keys that an action
          // does not support are dropped by the simulator, as AWS would never send them.
          'aws:ResourceTag/stack': names.stack,
          ...context,
        },
      },
      identityPolicies: who.policies.map((policy, index) => ({ name: `p${index}`, policy })),
      ...(who.boundary
        ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: who.boundary }] }
        : {}),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  )
  if (result.resultType === 'error') {
    throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`)
  }
  return result.overallResult
}

/** Every action of every call that does not get `expected`, as readable lines. */
async function misses(who: Principal, calls: Calls[], expected: Verdict | 'Denied') {
  const wrong: string[] = []
  for (const call of calls) {
    for (const action of call.actions) {
      const verdict = await simulate(who, action, call.resource, call.context, call.resourcePolicy)
      const ok = expected === 'Denied' ? verdict !== 'Allowed' : verdict === expected
      if (!ok) wrong.push(`${action} on ${call.resource}: ${verdict}`)
    }
  }
  return wrong
}

beforeAll(async () => {
  stack = await runStack('dev')
  eksStack = await runStack('dev', { 'votelab:compute': 'eks' })
  const arnOf = (type: string, name = '') => String(stack.one(type, name).state.arn)
  const execution = stack.one('aws:iam/role:Role', '-execution')
  names = {
    account: ACCOUNT,
    region: REGION,
    stack: 'dev',
    prefix: 'votelab-dev',
    rolePath: String(execution.inputs.path),
    boundaryArn: arnOf('aws:iam/policy:Policy', 'workload-boundary'),
    cloudFront: {
      distribution: arnOf('aws:cloudfront/distribution:Distribution'),
      vpcOrigin: arnOf('aws:cloudfront/vpcOrigin:VpcOrigin'),
      function: arnOf('aws:cloudfront/function:Function'),
      originAccessControl: arnOf('aws:cloudfront/originAccessControl:OriginAccessControl'),
      responseHeadersPolicies: stack
        .ofType('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy')
        .map((policy) => String(policy.state.arn)),
    },
    pipelineRole: arnOf('aws:iam/role:Role', 'pipeline-deploy'),
    clusterBoundaryArn: String(eksStack.one('aws:iam/policy:Policy', 'cluster-boundary').state.arn),
  }
  deployRole = {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-pipeline-deploy/votelab-deploy-1`,
    policies: [policyOf('aws:iam/rolePolicy:RolePolicy', 'pipeline-deploy-policy')],
  }
  eksDeployRole = {
    arn: deployRole.arn,
    policies: [
      JSON.parse(
        String(
          eksStack.one('aws:iam/rolePolicy:RolePolicy', 'pipeline-deploy-policy').inputs.policy,
        ),
      ),
    ],
  }
  clusterBoundary = JSON.parse(
    String(eksStack.one('aws:iam/policy:Policy', 'cluster-boundary').inputs.policy),
  )
  previewRole = {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-pipeline-preview/preview-1`,
    policies: [policyOf('aws:iam/rolePolicy:RolePolicy', 'pipeline-preview-policy')],
  }
  boundary = policyOf('aws:iam/policy:Policy', 'workload-boundary')
  executionPolicy = policyOf('aws:iam/policy:Policy', 'execution-policy')
}, 120_000)

describe('the deploy role may do everything deploying the stack needs', () => {
  it('names every resource type the program registers in the table of deploy actions', () => {
    const registered = new Set(
      [...stack.resources, ...eksStack.resources]
        .filter(
          (resource) =>
            resource.custom ||
            resource.type.startsWith('awsx:') ||
            resource.type.startsWith('eks:'),
        )
        .map((resource) => resource.type),
    )
    const missing = [...registered].filter((type) => !(type in DEPLOY_ACTIONS))
    expect(missing).toEqual([])
  })

  it('creates, replaces and deletes the database with its RDS-managed password secret (issue 14, finding 4)', async () => {
    const calls = (DEPLOY_ACTIONS['aws:rds/instance:Instance'] as (n: StackNames) => Calls[])(names)
    const actions = calls.flatMap((call) => call.actions)
    expect(actions).toEqual(
      expect.arrayContaining([
        'rds:CreateDBInstance',
        'rds:DeleteDBInstance',
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:DeleteSecret',
        'kms:CreateGrant',
        'kms:GenerateDataKey',
      ]),
    )
    expect(await misses(deployRole, calls, 'Allowed')).toEqual([])
  })

  it.each(Object.keys(DEPLOY_ACTIONS))('%s', async (type) => {
    const calls = (DEPLOY_ACTIONS[type] as (n: StackNames) => Calls[])(names)
    // What only an EKS stack registers is simulated on that stack's deploy role.
    const onEks =
      type === 'AWS managed policies on cluster roles' ||
      (eksStack.ofType(type).length > 0 && stack.ofType(type).length === 0)
    expect(await misses(onEks ? eksDeployRole : deployRole, calls, 'Allowed')).toEqual([])
  })
})

describe('the deploy role cannot make itself more (issue 14, finding 3)', () => {
  const stackRole = () =>
    `arn:aws:iam::${ACCOUNT}:role${names.rolePath}votelab-dev-execution-abc1234`
  const stackPolicy = () =>
    `arn:aws:iam::${ACCOUNT}:policy${names.rolePath}votelab-dev-execution-policy-abc1234`
  const admin = 'arn:aws:iam::aws:policy/AdministratorAccess'

  it('writes no inline policy into any role, its own included', async () => {
    const calls: Calls[] = [
      {
        actions: ['iam:PutRolePolicy'],
        resource: stackRole(),
        context: { 'iam:PermissionsBoundary': names.boundaryArn },
      },
      { actions: ['iam:PutRolePolicy'], resource: names.pipelineRole },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('attaches no policy from outside the stack path, AdministratorAccess included', async () => {
    const calls: Calls[] = [
      {
        actions: ['iam:AttachRolePolicy'],
        resource: stackRole(),
        context: { 'iam:PermissionsBoundary': names.boundaryArn, 'iam:PolicyARN': admin },
      },
      {
        actions: ['iam:AttachRolePolicy'],
        resource: stackRole(),
        context: {
          'iam:PermissionsBoundary': names.boundaryArn,
          'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/votelab/prod/votelab-prod-execution-policy`,
        },
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('creates, attaches to or re-trusts no role without the workload boundary', async () => {
    const withoutBoundary: Calls = {
      actions: ['iam:CreateRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary'],
      resource: stackRole(),
    }
    const otherBoundary: Calls = {
      ...withoutBoundary,
      context: { 'iam:PermissionsBoundary': admin },
    }
    const attachUnbounded: Calls = {
      actions: ['iam:AttachRolePolicy'],
      resource: stackRole(),
      context: { 'iam:PolicyARN': stackPolicy() },
    }
    expect(
      await misses(deployRole, [withoutBoundary, otherBoundary, attachUnbounded], 'Denied'),
    ).toEqual([])
  })

  it('never removes a boundary', async () => {
    expect(
      await simulate(deployRole, 'iam:DeleteRolePermissionsBoundary', stackRole(), {
        'iam:PermissionsBoundary': names.boundaryArn,
      }),
    ).toBe('ExplicitlyDenied')
  })

  it('writes no new version of the boundary, and touches no policy outside the stack path', async () => {
    const calls: Calls[] = [
      {
        actions: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'],
        resource: names.boundaryArn,
      },
      { actions: ['iam:CreatePolicyVersion'], resource: admin },
      {
        actions: ['iam:CreatePolicy', 'iam:CreatePolicyVersion'],
        resource: `arn:aws:iam::${ACCOUNT}:policy/votelab/prod/anything`,
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('passes roles only from the stack path, and only to ECS tasks (the sign-up function’s to Lambda)', async () => {
    const calls: Calls[] = [
      ...[
        `arn:aws:iam::${ACCOUNT}:role/votelab/prod/votelab-prod-execution`,
        `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
        names.pipelineRole,
      ].map((resource) => ({
        actions: ['iam:PassRole'],
        resource,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      })),
      ...['ec2.amazonaws.com', 'lambda.amazonaws.com', 'cloudformation.amazonaws.com'].map(
        (service) => ({
          actions: ['iam:PassRole'],
          resource: stackRole(),
          context: { 'iam:PassedToService': service },
        }),
      ),
      // Another stack's sign-up function is out of reach.
      {
        actions: ['lambda:UpdateFunctionCode', 'lambda:AddPermission'],
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:votelab-prod-pre-sign-up`,
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('never becomes another role', async () => {
    for (const role of [stackRole(), names.pipelineRole]) {
      expect(await simulate(deployRole, 'sts:AssumeRole', role)).toBe('ExplicitlyDenied')
    }
  })

  it("leaves the pipeline's own roles alone, and creates no users or keys", async () => {
    const calls: Calls[] = [
      {
        actions: [
          'iam:UpdateAssumeRolePolicy',
          'iam:AttachRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:DeleteRole',
          'iam:TagRole',
        ],
        resource: names.pipelineRole,
        context: { 'iam:PermissionsBoundary': names.boundaryArn },
      },
      {
        actions: [
          'iam:CreateUser',
          'iam:CreateAccessKey',
          'iam:CreateLoginProfile',
          'iam:AttachUserPolicy',
        ],
        resource: `arn:aws:iam::${ACCOUNT}:user/votelab`,
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it("changes no other stack's CloudFront distribution, function or headers", async () => {
    const other = (kind: string) => `arn:aws:cloudfront::${ACCOUNT}:${kind}/EOTHERSTACK`
    const calls: Calls[] = [
      {
        actions: [
          'cloudfront:UpdateDistribution',
          'cloudfront:DeleteDistribution',
          'cloudfront:CreateInvalidation',
          'cloudfront:TagResource',
        ],
        resource: other('distribution'),
      },
      {
        actions: ['cloudfront:UpdateFunction', 'cloudfront:PublishFunction'],
        resource: other('function'),
      },
      {
        actions: ['cloudfront:UpdateResponseHeadersPolicy'],
        resource: other('response-headers-policy'),
      },
      { actions: ['cloudfront:UpdateVpcOrigin'], resource: other('vpcorigin') },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it("stops, changes or deletes nothing tagged as another stack's, nor anything in another region", async () => {
    const prod = { 'aws:ResourceTag/stack': 'prod' }
    const calls: Calls[] = [
      {
        actions: ['rds:DeleteDBInstance', 'rds:ModifyDBInstance', 'rds:RebootDBInstance'],
        resource: `arn:aws:rds:${REGION}:${ACCOUNT}:db:votelab-prod-postgres-x`,
        context: prod,
      },
      {
        actions: ['ecs:UpdateService', 'ecs:DeleteService'],
        resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/votelab-prod-cluster-x/votelab-prod-api`,
        context: prod,
      },
      {
        actions: ['elasticloadbalancing:DeleteLoadBalancer'],
        resource: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/votelab-prod-alb/x`,
        context: prod,
      },
      {
        actions: ['ec2:DeleteVpc'],
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-prod`,
        context: prod,
      },
      {
        actions: ['ec2:DeleteNatGateway'],
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:natgateway/nat-prod`,
        context: prod,
      },
      {
        actions: ['cognito-idp:DeleteUserPool', 'cognito-idp:UpdateUserPool'],
        resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_Prod`,
        context: prod,
      },
      {
        actions: ['rds:CreateDBInstance'],
        resource: `arn:aws:rds:us-west-2:${ACCOUNT}:db:votelab-dev-postgres-x`,
        context: { 'aws:RequestedRegion': 'us-west-2' },
      },
      {
        actions: ['ec2:CreateVpc'],
        resource: `arn:aws:ec2:us-west-2:${ACCOUNT}:vpc/*`,
        context: { 'aws:RequestedRegion': 'us-west-2' },
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('never reads a database password (finding 4: it manages the secret, not its value)', async () => {
    const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCd`
    expect(await simulate(deployRole, 'secretsmanager:GetSecretValue', secret)).not.toBe('Allowed')
    // The key that encrypts it only through Secrets Manager, never directly.
    const key = awsManagedKey(names, 'secretsmanager', '2222bbbb-0000-4000-8000-000000000002', [
      'kms:Decrypt',
    ])
    expect(await misses(deployRole, [key], 'Allowed')).toEqual([])
    const direct = { ...key, context: { 'kms:CallerAccount': ACCOUNT } }
    expect(await misses(deployRole, [direct], 'Denied')).toEqual([])
  })
})

describe('a stack role stays inside the workload boundary, whatever the pipeline attaches', () => {
  const ownDatabase = `arn:aws:rds:${REGION}:${ACCOUNT}:db:votelab-dev-postgres-abc1234`
  const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCd`
  const execution = (policy: unknown): Principal => ({
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-execution-abc1234/task`,
    policies: [policy],
    boundary,
  })

  it('leaves the execution role what ECS needs to start a task', async () => {
    const role = execution(executionPolicy)
    const calls: Calls[] = [
      { actions: ['ecr:GetAuthorizationToken'], resource: '*' },
      {
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/votelab-dev-image-repository-abc1234`,
      },
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:votelab-dev-logs-abc1234:log-stream:api/api/1`,
      },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resource: secret,
        context: { 'aws:ResourceTag/aws:rds:primaryDBInstanceArn': ownDatabase },
      },
    ]
    expect(await misses(role, calls, 'Allowed')).toEqual([])
  })

  it('lets the task role count its own pool’s groups, and read nothing of another stack’s pool', async () => {
    const task: Principal = {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-task-abc1234/task`,
      policies: [policyOf('aws:iam/policy:Policy', '-task-policy')],
      boundary,
    }
    const pool = String(stack.ofType('aws:cognito/userPool:UserPool')[0]?.state.arn)
    expect(
      await misses(
        task,
        [{ actions: ['cognito-idp:ListUsersInGroup'], resource: pool }],
        'Allowed',
      ),
    ).toEqual([])
    const elsewhere: Calls[] = [
      // Its own pool, but anything beyond counting (emails, sign-in, deletion).
      {
        actions: [
          'cognito-idp:ListUsers',
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminDeleteUser',
        ],
        resource: pool,
      },
    ]
    expect(await misses(task, elsewhere, 'Denied')).toEqual([])
    // Even a policy that allowed every pool stops at the boundary for another stack's.
    const wide: Principal = {
      ...task,
      policies: [
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cognito-idp:ListUsersInGroup', Resource: '*' }],
        },
      ],
    }
    const prodPool = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_Pr0d`
    expect(
      await simulate(wide, 'cognito-idp:ListUsersInGroup', prodPool, {
        'aws:ResourceTag/stack': 'prod',
      }),
    ).not.toBe('Allowed')
  })

  it.each([
    ['the ECS task', 'ecs'],
    ['the EKS pod', 'eks'],
  ] as const)(
    'lets the collector beside the API in %s write its metric events and traces, and nothing else',
    async (_, compute) => {
      // The ECS task role, or the role of the EKS pods' service account (IRSA): the same rights.
      const run = compute === 'ecs' ? stack : eksStack
      const parsed = (type: string, name: string): unknown =>
        JSON.parse(String(run.one(type, name).inputs.policy))
      const task: Principal = {
        arn:
          compute === 'ecs'
            ? `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-task-abc1234/task`
            : `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-api-abc1234/botocore-session-1`,
        policies: [
          parsed(
            'aws:iam/policy:Policy',
            compute === 'ecs' ? '-task-policy' : 'kubernetes-api-policy',
          ),
        ],
        boundary: parsed('aws:iam/policy:Policy', 'workload-boundary'),
      }
      const metricsGroup = String(run.one('aws:cloudwatch/logGroup:LogGroup', '-metrics').state.arn)
      const allowed: Calls[] = [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          // A task's id, or a pod's name.
          resource: `${metricsGroup}:log-stream:${compute === 'ecs' ? '0123456789abcdef' : 'votelab-api-5d8f7c9b4-x2k7p'}`,
        },
        { actions: ['xray:PutTraceSegments'], resource: '*' },
      ]
      expect(await misses(task, allowed, 'Allowed')).toEqual([])
      const denied: Calls[] = [
        // Its events go to that group only: not the API's log (forging its lines), not a new
        // group (kept forever), not another stack's.
        {
          actions: ['logs:PutLogEvents', 'logs:CreateLogStream'],
          resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(run.outputs.logGroup)}:log-stream:api/x`,
        },
        {
          actions: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy'],
          resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/metrics/default`,
        },
        {
          actions: ['logs:PutLogEvents'],
          resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:votelab-prod-metrics-abc1234:log-stream:x`,
        },
        // Metrics arrive as log events: no direct PutMetricData into any namespace.
        { actions: ['cloudwatch:PutMetricData'], resource: '*' },
        // Traces go in; nothing reads them back out, or changes what is sampled.
        {
          actions: ['xray:BatchGetTraces', 'xray:GetTraceSummaries', 'xray:CreateSamplingRule'],
          resource: '*',
        },
      ]
      expect(await misses(task, denied, 'Denied')).toEqual([])
    },
  )

  it('caps even an attached Allow *:* at the boundary', async () => {
    const role = execution({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    })
    const calls: Calls[] = [
      {
        actions: ['iam:CreateUser', 'iam:CreateAccessKey'],
        resource: `arn:aws:iam::${ACCOUNT}:user/x`,
      },
      {
        actions: ['iam:AttachRolePolicy', 'iam:PutRolePolicy'],
        resource: `arn:aws:iam::${ACCOUNT}:role/votelab-pipeline/votelab-dev-pipeline-deploy`,
      },
      { actions: ['s3:GetObject'], resource: 'arn:aws:s3:::my-pulumi-state/.pulumi/stacks/x.json' },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-prod-XyZ`,
        context: {
          'aws:ResourceTag/aws:rds:primaryDBInstanceArn': `arn:aws:rds:${REGION}:${ACCOUNT}:db:votelab-prod-postgres-x`,
        },
      },
      {
        actions: ['ecr:BatchGetImage'],
        resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/votelab-prod-image-repository-x`,
      },
      { actions: ['ec2:RunInstances'], resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*` },
    ]
    expect(await misses(role, calls, 'Denied')).toEqual([])
  })
})

describe('the preview role reads configuration, never voters or secrets (finding 3)', () => {
  it('may describe what a diff needs', async () => {
    const calls: Calls[] = [
      {
        actions: ['cognito-idp:DescribeUserPool', 'cognito-idp:DescribeUserPoolClient'],
        resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_AbC123`,
      },
      {
        actions: ['rds:DescribeDBInstances'],
        resource: `arn:aws:rds:${REGION}:${ACCOUNT}:db:votelab-dev-postgres-abc1234`,
      },
      {
        actions: ['cloudfront:GetDistribution'],
        resource: names.cloudFront.distribution,
      },
      { actions: ['iam:GetRole'], resource: names.pipelineRole },
      {
        actions: ['secretsmanager:DescribeSecret'],
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCd`,
      },
    ]
    expect(await misses(previewRole, calls, 'Allowed')).toEqual([])
  })

  it("is denied voters' details, passwords, the site's files and every write", async () => {
    const calls: Calls[] = [
      {
        actions: [
          'cognito-idp:ListUsers',
          'cognito-idp:ListUsersInGroup',
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminUpdateUserAttributes',
        ],
        resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_AbC123`,
      },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1234-AbCd`,
      },
      {
        actions: ['s3:GetObject', 's3:PutObject'],
        resource: 'arn:aws:s3:::votelab-dev-site-files-abc1234/index.html',
      },
      {
        actions: ['ecr:PutImage', 'ecr:InitiateLayerUpload'],
        resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/votelab-dev-image-repository-abc1234`,
      },
      { actions: ['ec2:CreateVpc'], resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/*` },
      {
        actions: ['iam:PassRole', 'iam:CreateRole'],
        resource: `arn:aws:iam::${ACCOUNT}:role${names.rolePath}x`,
      },
    ]
    expect(await misses(previewRole, calls, 'Denied')).toEqual([])
  })
})

describe('an EKS stack’s deploy role and cluster boundary (issue 20)', () => {
  const clusterRole = () => `arn:aws:iam::${ACCOUNT}:role${names.rolePath}votelab-dev-nodes-abc1234`

  it('has no EKS rights at all on an ECS stack', async () => {
    const calls: Calls[] = [
      {
        actions: ['eks:CreateCluster', 'eks:CreateNodegroup'],
        resource: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/votelab-dev`,
      },
      {
        actions: ['iam:CreateOpenIDConnectProvider'],
        resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/X`,
      },
    ]
    expect(await misses(deployRole, calls, 'Denied')).toEqual([])
  })

  it('touches no other stack’s cluster, passes cluster roles to EKS only, and attaches AWS’s EKS policies under the cluster boundary only', async () => {
    const calls: Calls[] = [
      {
        actions: ['eks:DeleteCluster', 'eks:UpdateClusterConfig', 'eks:CreateAccessEntry'],
        resource: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/votelab-prod`,
      },
      // (Any stack role may go to ECS tasks, as before: the boundary still caps it.)
      ...['ec2.amazonaws.com', 'lambda.amazonaws.com', 'cloudformation.amazonaws.com'].map(
        (service) => ({
          actions: ['iam:PassRole'],
          resource: clusterRole(),
          context: { 'iam:PassedToService': service },
        }),
      ),
      {
        actions: ['iam:PassRole'],
        resource: `arn:aws:iam::${ACCOUNT}:role${names.rolePath}votelab-dev-execution-abc1234`,
        context: { 'iam:PassedToService': 'eks.amazonaws.com' },
      },
      {
        actions: ['iam:AttachRolePolicy'],
        resource: clusterRole(),
        context: {
          'iam:PermissionsBoundary': names.clusterBoundaryArn,
          'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
        },
      },
      {
        actions: ['iam:AttachRolePolicy'],
        resource: clusterRole(),
        context: {
          'iam:PermissionsBoundary': names.boundaryArn,
          'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
        },
      },
    ]
    expect(await misses(eksDeployRole, calls, 'Denied')).toEqual([])
  })

  it('caps a cluster role, whatever is attached, to networking in the region, image pulls and its own logs', async () => {
    const bounded: Principal = {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/votelab-dev-nodes-abc1234/i-0abc`,
      policies: [
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      ],
      boundary: clusterBoundary,
    }
    const allowed: Calls[] = [
      {
        actions: ['ec2:CreateNetworkInterface', 'ec2:AssignPrivateIpAddresses'],
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/eni-1`,
      },
      {
        actions: ['ecr:BatchGetImage'],
        resource: `arn:aws:ecr:${REGION}:602401143452:repository/amazon-k8s-cni`,
      },
      {
        actions: ['logs:PutLogEvents'],
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/containerinsights/votelab-dev/application:log-stream:x`,
      },
    ]
    const denied: Calls[] = [
      {
        actions: ['iam:CreateUser', 'iam:AttachUserPolicy'],
        resource: `arn:aws:iam::${ACCOUNT}:user/x`,
      },
      { actions: ['s3:GetObject'], resource: 'arn:aws:s3:::votelab-prod-site-files/index.html' },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-1`,
      },
      {
        actions: ['logs:PutLogEvents'],
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/containerinsights/votelab-prod/application:log-stream:x`,
      },
      {
        actions: ['ec2:TerminateInstances'],
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-prod`,
        context: { 'aws:ResourceTag/stack': 'prod' },
      },
    ]
    expect(await misses(bounded, allowed, 'Allowed')).toEqual([])
    expect(await misses(bounded, denied, 'Denied')).toEqual([])
  })
})
