import { readFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { attachManagedPolicy } from './managed-policy.ts'

export interface SignInArgs {
  /** The site's origin, e.g. `https://d111.cloudfront.net`. */
  siteUrl: pulumi.Input<string>
  /** More origins allowed to sign in (the laptop: `http://localhost:3000`). */
  extraOrigins: readonly string[]
  /** Globally unique prefix for the hosted sign-in pages' domain. */
  domainPrefix: pulumi.Input<string>
  deletionProtection: boolean
  /**
   * `invite`: no self-service sign-up; admins create users, whom Cognito emails an invitation.
   * `domains`: self-service for addresses at these domains only (a pre-sign-up Lambda).
   */
  signUp: SignUpPolicy
  /** For the pre-sign-up function: names, the stack's role path and boundary, log retention. */
  namePrefix: string
  rolePath: string
  permissionsBoundaryArn: pulumi.Input<string>
  logRetentionDays: number
}

export type SignUpPolicy =
  { policy: 'open' } | { policy: 'invite' } | { policy: 'domains'; domains: readonly string[] }

/** The pre-sign-up function's code as Lambda loads it: its TypeScript with the types stripped. */
export function preSignUpModule(): string {
  return stripTypeScriptTypes(
    readFileSync(new URL('./functions/pre-sign-up.ts', import.meta.url), 'utf8'),
  )
}

/**
 * Cognito: the user pool voters sign up to with their email, the `admins` group the API checks,
 * and a public client for the page (authorization code + PKCE, no secret: a browser cannot keep one).
 */
export class SignIn extends pulumi.ComponentResource {
  public readonly userPoolId: pulumi.Output<string>
  public readonly userPoolArn: pulumi.Output<string>
  public readonly clientId: pulumi.Output<string>
  /** What the API verifies tokens against: `https://cognito-idp.<region>.amazonaws.com/<pool>`. */
  public readonly issuer: pulumi.Output<string>
  /** The hosted sign-in pages, e.g. `votelab-dev-123456789012.auth.eu-west-1.amazoncognito.com`. */
  public readonly domain: pulumi.Output<string>
  /** Cognito's `/logout` (it publishes no `end_session_endpoint`). */
  public readonly signOutUrl: pulumi.Output<string>

  constructor(name: string, args: SignInArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:SignIn', name, {}, opts)

    const preSignUp =
      args.signUp.policy === 'domains'
        ? this.preSignUpFunction(name, args, args.signUp.domains)
        : undefined
    const pool = new aws.cognito.UserPool(
      `${name}-users`,
      {
        usernameAttributes: ['email'],
        autoVerifiedAttributes: ['email'],
        usernameConfiguration: { caseSensitive: false },
        passwordPolicy: {
          minimumLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: false,
          temporaryPasswordValidityDays: 3,
        },
        accountRecoverySetting: {
          recoveryMechanisms: [{ name: 'verified_email', priority: 1 }],
        },
        adminCreateUserConfig: {
          allowAdminCreateUserOnly: args.signUp.policy === 'invite',
          inviteMessageTemplate: {
            emailSubject: 'Your votelab account',
            emailMessage:
              'You are invited to vote on votelab. Sign in as {username} with the temporary password {####} within 3 days, then choose your own.',
            smsMessage: 'votelab: sign in as {username} with {####}',
          },
        },
        deletionProtection: args.deletionProtection ? 'ACTIVE' : 'INACTIVE',
        ...(preSignUp ? { lambdaConfig: { preSignUp: preSignUp.arn } } : {}),
      },
      { parent: this },
    )
    if (preSignUp) {
      // Cognito may call the function for this pool only.
      new aws.lambda.Permission(
        `${name}-pre-sign-up-from-cognito`,
        {
          action: 'lambda:InvokeFunction',
          function: preSignUp.name,
          principal: 'cognito-idp.amazonaws.com',
          sourceArn: pool.arn,
        },
        { parent: this },
      )
    }
    new aws.cognito.UserGroup(
      `${name}-admins`,
      {
        userPoolId: pool.id,
        name: 'admins',
        description: 'May create, open and close polls',
      },
      { parent: this },
    )

    const origins = pulumi
      .output(args.siteUrl)
      .apply((site) => [site, ...args.extraOrigins].map((origin) => origin.replace(/\/$/, '')))
    const client = new aws.cognito.UserPoolClient(
      `${name}-web`,
      {
        userPoolId: pool.id,
        generateSecret: false,
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ['code'],
        allowedOauthScopes: ['openid', 'email', 'profile'],
        supportedIdentityProviders: ['COGNITO'],
        callbackUrls: origins.apply((list) => list.map((origin) => `${origin}/callback`)),
        logoutUrls: origins.apply((list) => list.map((origin) => `${origin}/`)),
        // Sign-in happens on the hosted pages only; refresh tokens renew the session.
        explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        preventUserExistenceErrors: 'ENABLED',
        enableTokenRevocation: true,
        accessTokenValidity: 60,
        idTokenValidity: 60,
        refreshTokenValidity: 7,
        tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
      },
      { parent: this },
    )
    const domain = new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      { userPoolId: pool.id, domain: args.domainPrefix },
      // The prefix is a fixed, account-wide name: a replacement must free it first.
      { parent: this, deleteBeforeReplace: true },
    )

    const region = aws.getRegionOutput({}, { parent: this }).region
    this.userPoolId = pool.id
    this.userPoolArn = pool.arn
    this.clientId = client.id
    this.issuer = pulumi.interpolate`https://cognito-idp.${region}.amazonaws.com/${pool.id}`
    this.domain = pulumi.interpolate`${domain.domain}.auth.${region}.amazoncognito.com`
    this.signOutUrl = pulumi.interpolate`https://${this.domain}/logout`
    this.registerOutputs({
      preSignUpFunction: preSignUp?.name,
      userPoolId: this.userPoolId,
      userPoolArn: this.userPoolArn,
      clientId: this.clientId,
      issuer: this.issuer,
      domain: this.domain,
      signOutUrl: this.signOutUrl,
    })
  }

  /**
   * The pre-sign-up trigger (functions/pre-sign-up.ts), shipped as its own source with the types
   * stripped: it imports nothing, so there is nothing to bundle. Its role may write its own log
   * group and nothing else, and carries the stack's boundary like every stack role.
   */
  private preSignUpFunction(name: string, args: SignInArgs, domains: readonly string[]) {
    const functionName = `${args.namePrefix}-pre-sign-up`
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-pre-sign-up-logs`,
      { name: functionName, retentionInDays: args.logRetentionDays },
      { parent: this },
    )
    const role = new aws.iam.Role(
      `${name}-pre-sign-up`,
      {
        path: args.rolePath,
        namePrefix: `${functionName}-`,
        permissionsBoundary: args.permissionsBoundaryArn,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      },
      { parent: this },
    )
    attachManagedPolicy(
      `${name}-pre-sign-up-logs-policy`,
      {
        role,
        path: args.rolePath,
        namePrefix: `${functionName}-logs-`,
        statements: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: pulumi.interpolate`${logGroup.arn}:*`,
          },
        ],
        attachmentName: `${name}-pre-sign-up-logs`,
      },
      { parent: this },
    )
    return new aws.lambda.Function(
      `${name}-pre-sign-up`,
      {
        name: functionName,
        role: role.arn,
        runtime: aws.lambda.Runtime.NodeJS24dX,
        handler: 'index.handler',
        code: new pulumi.asset.AssetArchive({
          'index.mjs': new pulumi.asset.StringAsset(preSignUpModule()),
        }),
        memorySize: 128,
        timeout: 5,
        environment: { variables: { ALLOWED_DOMAINS: domains.join(',') } },
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      },
      { parent: this, dependsOn: [logGroup] },
    )
  }
}
