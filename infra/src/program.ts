import { isAbsolute, join } from 'node:path'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import { SignIn } from './sign-in.ts'
import { PipelineAccess } from './pipeline-access.ts'
import type { StackConfig } from './config.ts'
import { Database } from './database.ts'
import { ImageRepository } from './image.ts'
import { LoadBalancer } from './load-balancer.ts'
import { KubernetesCluster } from './eks/cluster.ts'
import { KubernetesWorkload } from './eks/workload.ts'
import { Network, VPC_CIDR } from './network.ts'
import { Observability, type ObservabilityArgs } from './observability.ts'
import { API_PORT, Service } from './service.ts'
import { SiteContent } from './site-content.ts'
import { Site } from './site.ts'
import { apiTelemetryEnvironment, collectorConfig } from './telemetry.ts'

/** What a stack shows about where the API runs; ECS and EKS fill in different ones. */
interface ComputeOutputs {
  cluster: pulumi.Output<string>
  logGroup: pulumi.Output<string>
  service?: pulumi.Output<string>
  metricsLogGroup?: pulumi.Output<string | undefined>
  traces?: pulumi.Output<string>
  kubeconfigCommand?: pulumi.Output<string>
}

type EcsMonitoring = Extract<ObservabilityArgs['compute'], { kind: 'ecs' }>
type EksMonitoring = Extract<ObservabilityArgs['compute'], { kind: 'eks' }>

export interface Build {
  /** The repository root (`web/dist` is under it). */
  root: string
}

const imageRepository = (prefix: string) =>
  new ImageRepository(`${prefix}-image`, { keepImages: 20 })

/**
 * A new stack's first step (`pnpm image:publish` runs it with `--target`): only the repository
 * the first image is pushed to, so that `pulumi up` always deploys an image that exists.
 */
export function imageRepositoryOnly(config: StackConfig) {
  const image = imageRepository(`${config.project}-${config.stack}`)
  return { imageRepository: image.repositoryUrl }
}

/**
 * The whole system, wired in request order: network → database and load balancer → CloudFront
 * → the pipeline's access (whose boundary every stack role carries) → Cognito (its callback URLs
 * need CloudFront's domain) → the API service → the page's files and config → alarms.
 */
export function votelab(config: StackConfig, build: Build) {
  const region = aws.getRegionOutput().region
  const prefix = `${config.project}-${config.stack}`
  const rolePath = `/votelab/${config.stack}/`
  // The API's own metrics in CloudWatch, one namespace per stack.
  const metricsNamespace = `${config.project}/${config.stack}`

  const network = new Network(prefix, {
    availabilityZones: config.availabilityZones,
    natGateways: config.natGateways,
    apiPort: API_PORT,
  })
  const database = new Database(prefix, {
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.databaseSecurityGroupId,
    logRetentionDays: config.service.logRetentionDays,
    ...config.database,
  })
  const loadBalancer = new LoadBalancer(prefix, {
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.loadBalancerSecurityGroupId,
    apiPort: API_PORT,
  })
  const site = new Site(`${prefix}-site`, {
    loadBalancerArn: loadBalancer.arn,
    loadBalancerDnsName: loadBalancer.dnsName,
    priceClass: config.web.priceClass,
  })
  if (config.image.kind !== 'digest') {
    throw new Error('votelab() deploys an image by digest; see imageRepositoryOnly()')
  }
  const image = imageRepository(prefix)
  const imageUri = image.deployable(config.image.reference)
  // Before the service and the sign-up function: their roles need the boundary this creates.
  const pipeline = new PipelineAccess(`${prefix}-pipeline`, {
    ...config.pipeline,
    namePrefix: prefix,
    stack: config.stack,
    rolePath,
    cloudFrontArns: site.cloudFrontArns,
    kubernetes: config.compute === 'eks',
  })
  const account = aws.getCallerIdentityOutput().accountId
  const signIn = new SignIn(prefix, {
    siteUrl: site.url,
    extraOrigins: config.signIn.extraOrigins,
    // Hosted-UI domains are global per region: the account id keeps this one ours.
    domainPrefix: pulumi.interpolate`${prefix}-${account}`,
    deletionProtection: config.signIn.deletionProtection,
    signUp: config.signIn.signUp,
    namePrefix: prefix,
    rolePath,
    permissionsBoundaryArn: pipeline.workloadBoundaryArn,
    logRetentionDays: config.service.logRetentionDays,
  })
  const auth = {
    issuer: signIn.issuer,
    clientId: signIn.clientId,
    userInfoUrl: pulumi.interpolate`https://${signIn.domain}/oauth2/userInfo`,
    userPoolId: signIn.userPoolId,
    userPoolArn: signIn.userPoolArn,
  }
  const compute =
    config.compute === 'eks'
      ? onKubernetes()
      : onEcs(
          new Service(prefix, {
            imageUri,
            repositoryArn: image.repositoryArn,
            subnetIds: network.privateSubnetIds,
            securityGroupId: network.serviceSecurityGroupId,
            targetGroupArn: loadBalancer.targetGroupArn,
            listener: loadBalancer.listener,
            requestCountLabel: pulumi.interpolate`${loadBalancer.arnSuffix}/${loadBalancer.targetGroupArnSuffix}`,
            siteUrl: site.url,
            database: { url: database.url, passwordSecretArn: database.passwordSecretArn },
            auth,
            rolePath,
            permissionsBoundaryArn: pipeline.workloadBoundaryArn,
            ...config.service,
            telemetry: { ...config.telemetry, namespace: metricsNamespace },
          }),
        )

  function onEcs(service: Service): { monitoring: EcsMonitoring; outputs: ComputeOutputs } {
    return {
      monitoring: {
        kind: 'ecs',
        clusterName: service.clusterName,
        serviceName: service.serviceName,
        logGroupName: service.logGroupName,
      },
      outputs: {
        cluster: service.clusterName,
        service: service.serviceName,
        logGroup: service.logGroupName,
        ...telemetryOutputs(service.metricsLogGroupName),
      },
    }
  }

  function telemetryOutputs(metricsLogGroup: pulumi.Output<string | undefined> | undefined) {
    if (config.telemetry.mode !== 'cloudwatch' || !metricsLogGroup) return {}
    return {
      metricsLogGroup,
      // The sampled requests' traces (votelab:traceSampleRatio) in X-Ray.
      traces: pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#xray:traces/query`,
    }
  }

  // The same API on EKS (docs/decisions/019): the cluster in the same private subnets, its pods
  // registered in the same target group, the overlay given the values the ECS task gets.
  function onKubernetes(): { monitoring: EksMonitoring; outputs: ComputeOutputs } {
    if (!pipeline.clusterBoundaryArn) throw new Error('an eks stack needs the cluster boundary')
    const cluster = new KubernetesCluster(`${prefix}-kubernetes`, {
      namePrefix: prefix,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      settings: config.kubernetes,
      deployRoleArn: pipeline.deployRoleArn,
      loadBalancerSecurityGroupId: network.loadBalancerSecurityGroupId,
      databaseSecurityGroupId: network.databaseSecurityGroupId,
      apiPort: API_PORT,
      targetGroupArn: loadBalancer.targetGroupArn,
      userPoolArn: auth.userPoolArn,
      databasePasswordSecretArn: database.passwordSecretArn,
      rolePath,
      clusterBoundaryArn: pipeline.clusterBoundaryArn,
      workloadBoundaryArn: pipeline.workloadBoundaryArn,
      logRetentionDays: config.service.logRetentionDays,
      telemetry: config.telemetry.mode === 'cloudwatch',
    })
    const { metricsLogGroupName } = cluster
    const telemetry = metricsLogGroupName
      ? {
          collectorImage: config.telemetry.collectorImage,
          collectorConfig: pulumi
            .all([metricsLogGroupName, region])
            .apply(([logGroupName, regionName]) =>
              collectorConfig({
                namespace: metricsNamespace,
                logGroupName,
                region: regionName,
                host: 'kubernetes',
              }),
            ),
          apiEnvironment: apiTelemetryEnvironment(config.telemetry.traceSampleRatio),
        }
      : undefined
    new KubernetesWorkload(`${prefix}-workload`, {
      cluster,
      region,
      vpcId: network.vpcId,
      overlayDir: join(build.root, 'deploy/kubernetes/overlays/eks'),
      values: pulumi.output({
        image: imageUri,
        region,
        vpcCidr: VPC_CIDR,
        targetGroupArn: loadBalancer.targetGroupArn,
        databasePasswordSecretArn: database.passwordSecretArn,
        apiRoleArn: cluster.apiRoleArn,
        secretsReaderRoleArn: cluster.secretsReaderRoleArn,
        settings: {
          DATABASE_URL: database.url,
          AUTH_ISSUER: auth.issuer,
          AUTH_CLIENT_IDS: auth.clientId,
          AUTH_USERINFO_URL: auth.userInfoUrl,
          AUTH_USER_POOL_ID: auth.userPoolId,
          PUBLIC_URL: site.url,
        },
        ...(telemetry ? { telemetry } : {}),
      }),
    })
    return {
      monitoring: {
        kind: 'eks',
        clusterName: cluster.clusterName,
        logGroupName: cluster.applicationLogGroupName,
      },
      outputs: {
        cluster: cluster.clusterName,
        // With your own AWS credentials (an access entry: votelab:eksAdminPrincipalArns).
        kubeconfigCommand: pulumi.interpolate`aws eks update-kubeconfig --region ${region} --name ${cluster.clusterName}`,
        logGroup: cluster.applicationLogGroupName,
        ...telemetryOutputs(metricsLogGroupName),
      },
    }
  }
  new SiteContent(`${prefix}-site-content`, {
    bucketName: site.bucketName,
    distDir: isAbsolute(config.web.distDir)
      ? config.web.distDir
      : join(build.root, config.web.distDir),
    config: {
      issuer: signIn.issuer,
      clientId: signIn.clientId,
      apiBaseUrl: '/api',
      signOutUrl: signIn.signOutUrl,
    },
  })
  const observability = new Observability(prefix, {
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
    compute: compute.monitoring,
    databaseInstanceId: database.instanceIdentifier,
    application:
      config.telemetry.mode === 'cloudwatch' ? { namespace: metricsNamespace } : undefined,
    alarmEmail: config.alarmEmail,
    monthlyBudgetUsd: config.monthlyBudgetUsd,
  })

  return {
    siteUrl: site.url,
    apiUrl: pulumi.interpolate`${site.url}/api`,
    apiDocsUrl: pulumi.interpolate`${site.url}/api/docs`,
    signInDomain: signIn.domain,
    userPoolId: signIn.userPoolId,
    webClientId: signIn.clientId,
    issuer: signIn.issuer,
    imageRepository: image.repositoryUrl,
    image: imageUri,
    databaseEndpoint: database.endpoint,
    databasePasswordSecretArn: database.passwordSecretArn,
    ...compute.outputs,
    // The console opens dashboards in its default region unless the link names one.
    dashboard: pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${observability.dashboardName}`,
    alarmTopicArn: observability.alarmTopicArn,
    pipelineDeployRoleArn: pipeline.deployRoleArn,
    pipelinePreviewRoleArn: pipeline.previewRoleArn,
  }
}
