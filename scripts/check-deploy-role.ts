// pnpm deploy:check-role <stack> <role-arn>
//
// Before a deploy assumes AWS_DEPLOY_ROLE_ARN: is it this stack's deploy role? The variable is
// meant to be set per GitHub environment (dev, prod); one set at the repository level would send
// every stack's deploy to one role, and the role's trust (environment:<stack>) would refuse it
// with an AccessDenied that names neither the variable nor the fix. This says both.

const [stack, roleArn] = process.argv.slice(2)

export function deployRoleProblem(stackName: string, arn: string): string | undefined {
  if (!arn) {
    return (
      `AWS_DEPLOY_ROLE_ARN is empty. Set it in the GitHub environment "${stackName}" ` +
      `(Settings → Environments → ${stackName} → Environment variables) to the output ` +
      `pipelineDeployRoleArn of the ${stackName} stack.`
    )
  }
  const match = /^arn:aws[\w-]*:iam::\d{12}:role\/votelab-pipeline\/([\w+=,.@-]+)$/.exec(arn)
  if (!match) return `AWS_DEPLOY_ROLE_ARN (${arn}) is not a votelab pipeline role ARN.`
  if (!match[1]?.includes(`-${stackName}-pipeline-deploy`)) {
    return (
      `AWS_DEPLOY_ROLE_ARN (${arn}) is not the deploy role of stack "${stackName}". Set the ` +
      `variable in the GitHub environment "${stackName}", not for the whole repository, to ` +
      `\`pulumi stack output pipelineDeployRoleArn --stack ${stackName}\`.`
    )
  }
  return undefined
}

if (import.meta.main) {
  if (!stack) {
    console.error('usage: pnpm deploy:check-role <stack> <role-arn>')
    process.exit(2)
  }
  const problem = deployRoleProblem(stack, roleArn ?? '')
  if (problem) {
    console.error(problem)
    process.exit(1)
  }
  console.log(`AWS_DEPLOY_ROLE_ARN is the ${stack} stack's deploy role.`)
}
