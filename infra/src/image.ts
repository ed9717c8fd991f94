import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import * as aws from '@pulumi/aws'
import * as awsx from '@pulumi/awsx'
import * as pulumi from '@pulumi/pulumi'

export interface ContainerImageArgs {
  /** The repository root: the build context (`pnpm deploy` needs the whole workspace). */
  context: string
  /** Relative to the context. */
  dockerfile: string
  /** Tags are immutable, so each build needs its own: the commit it was built from. */
  tag: string
  /** Untagged and old images beyond this many are expired. */
  keepImages: number
}

/** The API's ECR repository and the image built from `api/Dockerfile` and pushed into it. */
export class ContainerImage extends pulumi.ComponentResource {
  public readonly repositoryUrl: pulumi.Output<string>
  public readonly repositoryArn: pulumi.Output<string>
  /** `repository@sha256:…`: tasks run exactly what was built. */
  public readonly imageUri: pulumi.Output<string>

  constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:ContainerImage', name, {}, opts)

    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: 'AES256' }],
        // A lab stack must come down with `pulumi destroy`, images and all.
        forceDelete: true,
      },
      { parent: this },
    )
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'Untagged layers go after a day',
              selection: {
                tagStatus: 'untagged',
                countType: 'sinceImagePushed',
                countUnit: 'days',
                countNumber: 1,
              },
              action: { type: 'expire' },
            },
            {
              rulePriority: 2,
              description: `Keep the newest ${String(args.keepImages)} images`,
              selection: {
                tagStatus: 'any',
                countType: 'imageCountMoreThan',
                countNumber: args.keepImages,
              },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      { parent: this },
    )

    const image = new awsx.ecr.Image(
      `${name}-api`,
      {
        repositoryUrl: repository.repositoryUrl,
        context: args.context,
        dockerfile: join(args.context, args.dockerfile),
        platform: 'linux/amd64',
        imageTag: args.tag,
      },
      { parent: this },
    )

    this.repositoryUrl = repository.repositoryUrl
    this.repositoryArn = repository.arn
    this.imageUri = image.imageUri
    this.registerOutputs({ imageUri: this.imageUri })
  }
}

/**
 * The tag for this build: the commit (GitHub Actions sets GITHUB_SHA), with a suffix when the
 * working tree has uncommitted changes so a laptop build never claims to be that commit.
 */
export function sourceVersion(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_SHA) return env.GITHUB_SHA.slice(0, 12)
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    const commit = git('rev-parse', '--short=12', 'HEAD')
    const dirty = git('status', '--porcelain') !== ''
    return dirty ? `${commit}-dirty-${Date.now().toString(36)}` : commit
  } catch {
    return `local-${Date.now().toString(36)}`
  }
}
