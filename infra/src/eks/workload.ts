import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import { type KubernetesCluster, SERVICE_ACCOUNTS } from './cluster.ts'
import { renderOverlay, type StackValues, withStackValues } from './overlay.ts'

/**
 * The two controllers the eks overlay relies on, pinned: a chart upgrade is a reviewed change,
 * never whatever the repository holds on the day of a deploy.
 */
export const CHARTS = {
  loadBalancerController: {
    chart: 'aws-load-balancer-controller',
    version: '1.14.0',
    repo: 'https://aws.github.io/eks-charts',
  },
  externalSecrets: {
    chart: 'external-secrets',
    version: '0.19.2',
    repo: 'https://charts.external-secrets.io',
  },
} as const

export interface KubernetesWorkloadArgs {
  cluster: KubernetesCluster
  region: pulumi.Input<string>
  vpcId: pulumi.Input<string>
  /** deploy/kubernetes/overlays/eks, rendered when the program runs. */
  overlayDir: string
  values: pulumi.Input<StackValues>
}

/**
 * What runs in the cluster: the AWS Load Balancer Controller (target group bindings only: no
 * load balancer, ingress class or service webhook of its own), the External Secrets Operator,
 * then the eks overlay with the stack's values — the same manifests `kubectl apply -k` takes.
 */
export class KubernetesWorkload extends pulumi.ComponentResource {
  constructor(name: string, args: KubernetesWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:KubernetesWorkload', name, {}, opts)
    const inCluster = { parent: this, provider: args.cluster.provider }
    const { loadBalancerController: lbc, externalSecrets: eso } = CHARTS

    const loadBalancerController = new k8s.helm.v3.Release(
      `${name}-load-balancer-controller`,
      {
        chart: lbc.chart,
        version: lbc.version,
        repositoryOpts: { repo: lbc.repo },
        namespace: SERVICE_ACCOUNTS.loadBalancerController.namespace,
        values: {
          clusterName: args.cluster.clusterName,
          region: args.region,
          vpcId: args.vpcId,
          replicaCount: 2,
          serviceAccount: {
            create: true,
            name: SERVICE_ACCOUNTS.loadBalancerController.name,
            annotations: {
              'eks.amazonaws.com/role-arn': args.cluster.loadBalancerControllerRoleArn,
            },
          },
          // Nothing here asks for a load balancer: no IngressClass, no Service webhook, and no
          // Shield or WAF lookups its role could not make anyway.
          createIngressClassResource: false,
          enableServiceMutatorWebhook: false,
          enableShield: false,
          enableWaf: false,
          enableWafv2: false,
        },
      },
      { ...inCluster, dependsOn: args.cluster.readyForWorkloads },
    )
    const externalSecrets = new k8s.helm.v3.Release(
      `${name}-external-secrets`,
      {
        chart: eso.chart,
        version: eso.version,
        repositoryOpts: { repo: eso.repo },
        namespace: 'external-secrets',
        createNamespace: true,
        values: { installCRDs: true },
      },
      { ...inCluster, dependsOn: args.cluster.readyForWorkloads },
    )

    const objects = renderOverlay(args.overlayDir)
    new k8s.yaml.v2.ConfigGroup(
      `${name}-overlay`,
      { objs: pulumi.output(args.values).apply((values) => withStackValues(objects, values)) },
      { ...inCluster, dependsOn: [loadBalancerController, externalSecrets] },
    )
    this.registerOutputs({})
  }
}
