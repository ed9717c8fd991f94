import { existsSync, readdirSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
}

/** What the page reads at start-up (web/src/config.ts). */
export interface WebClientConfig {
  issuer: pulumi.Input<string>
  clientId: pulumi.Input<string>
  apiBaseUrl: string
  signOutUrl: pulumi.Input<string>
}

export interface SiteContentArgs {
  bucketName: pulumi.Input<string>
  /** Absolute path of the built client (`web/dist`). */
  distDir: string
  config: WebClientConfig
}

/** Every file of the built page into the site bucket, plus this stack's `/config.json`. */
export class SiteContent extends pulumi.ComponentResource {
  public readonly fileCount: number

  constructor(name: string, args: SiteContentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:SiteContent', name, {}, opts)

    if (!existsSync(join(args.distDir, 'index.html'))) {
      throw new Error(
        `${args.distDir}/index.html is missing: run \`pnpm build\` before \`pulumi up\``,
      )
    }
    const files = listFiles(args.distDir).filter((file) => file !== 'config.json')
    for (const file of files) {
      new aws.s3.BucketObjectv2(
        `${name}/${file}`,
        {
          bucket: args.bucketName,
          key: file,
          source: new pulumi.asset.FileAsset(join(args.distDir, file)),
          contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          cacheControl: cacheControlFor(file),
        },
        { parent: this },
      )
    }
    new aws.s3.BucketObjectv2(
      `${name}/config.json`,
      {
        bucket: args.bucketName,
        key: 'config.json',
        content: pulumi.jsonStringify(args.config),
        contentType: 'application/json',
        cacheControl: 'no-cache',
      },
      { parent: this },
    )
    this.fileCount = files.length + 1
    this.registerOutputs({ fileCount: this.fileCount })
  }
}

/** Vite fingerprints everything under `assets/`: those never change; the rest is revalidated. */
export function cacheControlFor(file: string): string {
  return file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort()
}
