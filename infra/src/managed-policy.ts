import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

interface Statement {
  Effect: 'Allow'
  Action: string | string[]
  Resource: pulumi.Input<string>
}

export interface ManagedPolicyArgs {
  /** The role the policy is for; it carries the stack's permissions boundary. */
  role: aws.iam.Role
  /** The stack's IAM path: the pipeline may manage only policies and roles under it. */
  path: string
  description?: string
  namePrefix?: pulumi.Input<string>
  statements: Statement[]
  /** The attachment's resource name, when it differs from the policy's. */
  attachmentName?: string
}

/**
 * A managed policy under the stack's path, attached to one role — not an inline policy: the
 * pipeline may attach only those, and only to roles that carry the boundary
 * (pipeline-access.ts). Returns the attachment, for resources that need the role's rights first.
 */
export function attachManagedPolicy(
  name: string,
  args: ManagedPolicyArgs,
  opts: pulumi.CustomResourceOptions,
): aws.iam.RolePolicyAttachment {
  const policy = new aws.iam.Policy(
    name,
    {
      path: args.path,
      ...(args.description ? { description: args.description } : {}),
      ...(args.namePrefix ? { namePrefix: args.namePrefix } : {}),
      policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: args.statements }),
    },
    opts,
  )
  return new aws.iam.RolePolicyAttachment(
    args.attachmentName ?? name,
    { role: args.role.name, policyArn: policy.arn },
    opts,
  )
}
