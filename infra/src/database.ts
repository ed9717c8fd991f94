import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

export interface DatabaseArgs {
  /** The instance's name, fixed so its log group can exist before it (see below). */
  identifier: string
  logRetentionDays: number
  subnetIds: pulumi.Input<string[]>
  securityGroupId: pulumi.Input<string>
  instanceClass: string
  engineVersion: string
  allocatedStorageGb: number
  maxAllocatedStorageGb: number
  multiAz: boolean
  backupRetentionDays: number
  deletionProtection: boolean
  finalSnapshot: boolean
}

/**
 * RDS PostgreSQL in the private subnets. RDS generates the master password and keeps it in
 * Secrets Manager: it never passes through this program, its state or its outputs.
 */
export class Database extends pulumi.ComponentResource {
  public readonly endpoint: pulumi.Output<string>
  /** `postgres://user@host:port/name`, without the password (it arrives as DATABASE_PASSWORD). */
  public readonly url: pulumi.Output<string>
  /** The Secrets Manager secret holding `{ username, password }`. */
  public readonly passwordSecretArn: pulumi.Output<string>
  public readonly instanceIdentifier: pulumi.Output<string>

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('votelab:infra:Database', name, {}, opts)

    const subnets = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { subnetIds: args.subnetIds, description: 'Private subnets for votelab Postgres' },
      { parent: this },
    )
    const majorVersion = args.engineVersion.split('.')[0] ?? args.engineVersion
    const parameters = new aws.rds.ParameterGroup(
      `${name}-parameters`,
      {
        family: `postgres${majorVersion}`,
        description: 'votelab: TLS only, slow statements logged',
        parameters: [
          { name: 'rds.force_ssl', value: '1' },
          { name: 'log_min_duration_statement', value: '500' },
        ],
      },
      { parent: this },
    )

    // RDS creates /aws/rds/instance/<id>/postgresql on its first export, keeps it forever and
    // leaves it behind after `pulumi destroy`. Created here first, with retention: which is why
    // the identifier is fixed rather than generated.
    const exportedLogs = new aws.cloudwatch.LogGroup(
      `${name}-postgresql-logs`,
      {
        name: `/aws/rds/instance/${args.identifier}/postgresql`,
        retentionInDays: args.logRetentionDays,
      },
      { parent: this },
    )

    const instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        identifier: args.identifier,
        engine: 'postgres',
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.maxAllocatedStorageGb,
        storageType: 'gp3',
        storageEncrypted: true,
        dbName: 'votelab',
        username: 'votelab',
        manageMasterUserPassword: true,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        parameterGroupName: parameters.name,
        publiclyAccessible: false,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !args.finalSnapshot,
        ...(args.finalSnapshot ? { finalSnapshotIdentifier: `${name}-final` } : {}),
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        performanceInsightsEnabled: true,
        enabledCloudwatchLogsExports: ['postgresql'],
        applyImmediately: !args.deletionProtection,
      },
      {
        parent: this,
        dependsOn: [exportedLogs],
        // Renaming an instance replaces it, data and all: a stack whose database predates the
        // fixed identifier keeps its generated one (infra/README.md, "Upgrading").
        ignoreChanges: ['identifier'],
      },
    )

    const passwordSecretArn = instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets[0]?.secretArn
      if (!arn) throw new Error('RDS did not report the managed master password secret')
      return arn
    })

    // RDS would rotate the password every 7 days, but ECS hands a secret to a task only when the
    // task starts: running tasks would then fail to open new connections. Rotate on purpose
    // instead (infra/README.md, "Rotating the database password").
    new aws.secretsmanager.SecretRotation(
      `${name}-password-rotation`,
      { secretId: passwordSecretArn, rotationEnabled: false },
      { parent: this },
    )

    this.endpoint = instance.endpoint
    this.url = pulumi.interpolate`postgres://${instance.username}@${instance.address}:${instance.port}/${instance.dbName}`
    this.passwordSecretArn = passwordSecretArn
    this.instanceIdentifier = instance.identifier
    this.registerOutputs({
      endpoint: this.endpoint,
      url: this.url,
      passwordSecretArn: this.passwordSecretArn,
      instanceIdentifier: this.instanceIdentifier,
    })
  }
}
