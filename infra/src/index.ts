import { fileURLToPath } from 'node:url'
import { readConfig } from './config.ts'
import { imageRepositoryOnly, votelab } from './program.ts'

// The Pulumi entry point (Pulumi.yaml → infra/): reads the stack's config once, builds the
// system, and exports its outputs under names meant for people.
const root = fileURLToPath(new URL('../../', import.meta.url))
const config = readConfig()
const outputs: Partial<ReturnType<typeof votelab>> =
  config.image.kind === 'digest' ? votelab(config, { root }) : imageRepositoryOnly(config)

export const {
  siteUrl,
  apiUrl,
  apiDocsUrl,
  signInDomain,
  userPoolId,
  webClientId,
  issuer,
  imageRepository,
  image,
  databaseEndpoint,
  databasePasswordSecretArn,
  cluster,
  service,
  kubeconfigCommand,
  logGroup,
  metricsLogGroup,
  traces,
  dashboard,
  alarmTopicArn,
  pipelineDeployRoleArn,
  pipelinePreviewRoleArn,
} = outputs
