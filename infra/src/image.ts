import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

export interface ImageRepositoryArgs {
  /** Untagged and old images beyond this many are expired. */
  keepImages: number
}

/**
 * The API's ECR repository. The program never builds: the pipeline builds and pushes each commit
 * once (`pnpm image:publish`, scripts/image.ts) and `pulumi up` deploys that digest
 * (docs/decisions/013-images-built-once-deployed-by-digest.md).
 */
export class ImageRepository extends pulumi.ComponentResource {
  public readonly repositoryUrl: pulumi.Output<string>
  public readonly repositoryArn: pulumi.Output<string>

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    // Was `ContainerImage` (which also built the image): the alias keeps the repository.
    super(
      'votelab:infra:ImageRepository',
      name,
      {},
      {
        ...opts,
        aliases: [{ type: 'votelab:infra:ContainerImage' }],
      },
    )

    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        // A tag names one commit's image for good; re-publishing a commit reuses it.
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

    this.repositoryUrl = repository.repositoryUrl
    this.repositoryArn = repository.arn
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn })
  }

  /**
   * `image` if it names a digest in this repository: tasks run exactly what the pipeline pushed,
   * and the execution role may pull from this repository only.
   */
  deployable(image: string): pulumi.Output<string> {
    return this.repositoryUrl.apply((url) => {
      if (!image.startsWith(`${url}@sha256:`)) {
        throw new Error(
          `VOTELAB_IMAGE (${image}) is not an image of this stack's repository (${url}@sha256:…): ` +
            'publish it with `pnpm image:publish <stack>`',
        )
      }
      return image
    })
  }
}
