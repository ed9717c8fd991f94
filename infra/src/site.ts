import { createHash } from 'node:crypto'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { spaRoutingFunctionCode } from './spa-routing.ts'

export interface SiteArgs {
  loadBalancerArn: pulumi.Input<string>
  loadBalancerDnsName: pulumi.Input<string>
  priceClass: string
}

// AWS-managed policies, by their fixed ids (the same in every account).
const MANAGED = {
  cachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
} as const

/**
 * One HTTPS origin on `*.cloudfront.net` for the whole system: the page from a private S3 bucket,
 * `/api/*` (and `/healthz`) from the internal load balancer through a VPC origin.
 */
export class Site extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>
  public readonly domainName: pulumi.Output<string>
  public readonly distributionId: pulumi.Output<string>
  public readonly bucketName: pulumi.Output<string>
  /** Every CloudFront resource of this site: the only ones the pipeline may change. */
  public readonly cloudFrontArns: pulumi.Output<string>[]

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:Site', name, {}, opts)

    const bucket = new aws.s3.Bucket(`${name}-files`, { forceDestroy: true }, { parent: this })
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-files-private`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    )
    new aws.s3.BucketOwnershipControls(
      `${name}-files-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      { parent: this },
    )
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-files-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      },
      { parent: this },
    )

    const originAccess = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      {
        originAccessControlOriginType: 's3',
        signingBehavior: 'always',
        signingProtocol: 'sigv4',
        description: 'votelab: CloudFront reads the site bucket',
      },
      { parent: this },
    )
    const apiOrigin = new aws.cloudfront.VpcOrigin(
      `${name}-api-origin`,
      {
        vpcOriginEndpointConfig: {
          // Named after the load balancer it fronts (whose replacement replaces it): the new
          // origin is created, the distribution moved to it, then the old one deleted — with a
          // fixed name the creation would fail with "already exists".
          name: pulumi
            .output(args.loadBalancerArn)
            .apply(
              (arn) => `${name}-api-${createHash('sha256').update(arn).digest('hex').slice(0, 8)}`,
            ),
          arn: args.loadBalancerArn,
          httpPort: 80,
          httpsPort: 443,
          // Without a domain of our own the load balancer has no certificate; the hop stays on
          // AWS's network inside the VPC origin (docs/decisions/008).
          originProtocolPolicy: 'http-only',
          originSslProtocols: { items: ['TLSv1.2'], quantity: 1 },
        },
      },
      { parent: this },
    )
    const spaRouting = new aws.cloudfront.Function(
      `${name}-spa-routing`,
      {
        runtime: 'cloudfront-js-2.0',
        comment: 'Paths without a file extension serve index.html',
        code: spaRoutingFunctionCode,
        publish: true,
      },
      { parent: this },
    )
    // Both the page and the API get HSTS, no sniffing, no framing, and a content security policy:
    // the page a strict one; the API `default-src 'none'` unless it sends its own (Swagger UI at
    // /api/docs does: its assets come from the API itself, api/src/http/api-docs.ts).
    const baseHeaders = {
      strictTransportSecurity: {
        accessControlMaxAgeSec: 63_072_000,
        includeSubdomains: true,
        preload: false,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: 'DENY', override: true },
      referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: true },
    }
    const pageHeaders = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-page-headers`,
      {
        comment: 'votelab page: HSTS, CSP, no framing, no sniffing',
        securityHeadersConfig: {
          ...baseHeaders,
          contentSecurityPolicy: {
            // The page talks to its own origin and to Cognito (discovery, token endpoint).
            contentSecurityPolicy: [
              "default-src 'self'",
              "connect-src 'self' https://*.amazonaws.com https://*.amazoncognito.com",
              "img-src 'self' data:",
              "style-src 'self'",
              "script-src 'self'",
              "frame-ancestors 'none'",
              "base-uri 'none'",
              "form-action 'self' https://*.amazoncognito.com",
            ].join('; '),
            override: true,
          },
        },
      },
      { parent: this },
    )
    const apiHeaders = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-api-headers`,
      {
        comment: 'votelab API: HSTS, CSP unless the API sets one, no framing, no sniffing',
        securityHeadersConfig: {
          ...baseHeaders,
          contentSecurityPolicy: {
            contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
            override: false,
          },
        },
      },
      { parent: this },
    )

    const api = {
      targetOriginId: 'api',
      viewerProtocolPolicy: 'redirect-to-https',
      allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
      cachedMethods: ['GET', 'HEAD'],
      // Never cache; pass every viewer header (Authorization, Idempotency-Key…) but Host.
      cachePolicyId: MANAGED.cachingDisabled,
      originRequestPolicyId: MANAGED.allViewerExceptHostHeader,
      responseHeadersPolicyId: apiHeaders.id,
    }
    const distribution = new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        comment: `votelab ${name}`,
        defaultRootObject: 'index.html',
        priceClass: args.priceClass,
        httpVersion: 'http2and3',
        isIpv6Enabled: true,
        origins: [
          {
            originId: 'site',
            domainName: bucket.bucketRegionalDomainName,
            originAccessControlId: originAccess.id,
          },
          {
            originId: 'api',
            domainName: args.loadBalancerDnsName,
            vpcOriginConfig: {
              vpcOriginId: apiOrigin.id,
              // Live-results streams send a heartbeat every 15 s; 60 s is CloudFront's longest
              // default wait between bytes.
              originReadTimeout: 60,
              originKeepaliveTimeout: 60,
            },
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: 'site',
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: ['GET', 'HEAD'],
          cachedMethods: ['GET', 'HEAD'],
          compress: true,
          cachePolicyId: MANAGED.cachingOptimized,
          responseHeadersPolicyId: pageHeaders.id,
          functionAssociations: [{ eventType: 'viewer-request', functionArn: spaRouting.arn }],
        },
        orderedCacheBehaviors: [
          // Streams go out as written: compression would hold bytes back.
          { ...api, pathPattern: '/api/polls/*/results/stream', compress: false },
          // No compression: CloudFront compresses only what it caches, and nothing here is.
          { ...api, pathPattern: '/api/*', compress: false },
          // Bare /api is the API's too (a JSON 404), not the page's index.html.
          { ...api, pathPattern: '/api', compress: false },
          { ...api, pathPattern: '/healthz', compress: false },
        ],
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        // The default *.cloudfront.net certificate: HTTPS without a domain of our own.
        viewerCertificate: { cloudfrontDefaultCertificate: true },
      },
      { parent: this },
    )

    // Only this distribution may read the bucket (origin access control, not a public bucket).
    new aws.s3.BucketPolicy(
      `${name}-files-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CloudFrontReadsTheSite',
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Resource: pulumi.interpolate`${bucket.arn}/*`,
              Condition: { StringEquals: { 'AWS:SourceArn': distribution.arn } },
            },
          ],
        }),
      },
      { parent: this, dependsOn: [publicAccess] },
    )

    this.domainName = distribution.domainName
    this.url = pulumi.interpolate`https://${distribution.domainName}`
    this.distributionId = distribution.id
    this.bucketName = bucket.bucket
    this.cloudFrontArns = [
      distribution.arn,
      apiOrigin.arn,
      originAccess.arn,
      spaRouting.arn,
      pageHeaders.arn,
      apiHeaders.arn,
    ]
    this.registerOutputs({
      url: this.url,
      domainName: this.domainName,
      distributionId: this.distributionId,
      bucketName: this.bucketName,
      cloudFrontArns: this.cloudFrontArns,
    })
  }
}
