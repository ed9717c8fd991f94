import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

export interface SignInArgs {
  /** The site's origin, e.g. `https://d111.cloudfront.net`. */
  siteUrl: pulumi.Input<string>
  /** More origins allowed to sign in (the laptop: `http://localhost:3000`). */
  extraOrigins: readonly string[]
  /** Globally unique prefix for the hosted sign-in pages' domain. */
  domainPrefix: pulumi.Input<string>
  deletionProtection: boolean
  /** `invite`: no self-service sign-up; admins create users, whom Cognito emails an invitation. */
  signUp: 'open' | 'invite'
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
          allowAdminCreateUserOnly: args.signUp === 'invite',
          inviteMessageTemplate: {
            emailSubject: 'Your votelab account',
            emailMessage:
              'You are invited to vote on votelab. Sign in as {username} with the temporary password {####} within 3 days, then choose your own.',
            smsMessage: 'votelab: sign in as {username} with {####}',
          },
        },
        deletionProtection: args.deletionProtection ? 'ACTIVE' : 'INACTIVE',
      },
      { parent: this },
    )
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
      userPoolId: this.userPoolId,
      userPoolArn: this.userPoolArn,
      clientId: this.clientId,
      issuer: this.issuer,
      domain: this.domain,
      signOutUrl: this.signOutUrl,
    })
  }
}
