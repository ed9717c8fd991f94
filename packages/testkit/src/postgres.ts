import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'

/**
 * A Postgres server of its own (Debian's binaries, a fresh data directory, loopback only): the
 * local stack's database, and one the fault tests may stop, crash and restart without touching
 * anyone else's. Trust authentication on 127.0.0.1 only; fsync off — it is a lab, not a vault.
 */
export interface PostgresServer {
  /** `postgres://votelab@127.0.0.1:<port>/votelab` */
  readonly url: string
  readonly port: number
  /** Starts it (a no-op when it is running). */
  start(): Promise<void>
  /** A clean shutdown (`pg_ctl stop -m fast`): sessions are ended, like an RDS reboot. */
  stop(): Promise<void>
  /** `-m immediate`: no checkpoint, like a crash or a Multi-AZ failover. */
  crash(): Promise<void>
  readonly logFile: string
}

export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const newest = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))[0]
  return newest && existsSync(join(root, newest, 'bin', 'initdb'))
    ? join(root, newest, 'bin')
    : undefined
}

const isRoot = process.getuid?.() === 0

export function createPostgresServer(dir: string, port: number): PostgresServer {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql)')
  const data = join(dir, 'data')
  const sockets = join(dir, 'sockets')
  mkdirSync(sockets, { recursive: true })
  // Postgres refuses to run as root: as root, the directory goes to the `postgres` user.
  if (isRoot) {
    const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const postgresGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, postgresUid, postgresGid)
    chownSync(sockets, postgresUid, postgresGid)
  }
  const run = (tool: string, args: string[]) => {
    const [command, fullArgs] = isRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args]
    const result = spawnSync(command, fullArgs, { encoding: 'utf8' })
    if (result.status !== 0)
      throw new Error(`${tool} ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`)
  }

  if (!existsSync(join(data, 'PG_VERSION'))) {
    run('initdb', [
      '-D',
      data,
      '-U',
      'votelab',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ])
  }
  const options = [
    `-p ${String(port)}`,
    `-k ${sockets}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ')
  const url = `postgres://votelab@127.0.0.1:${String(port)}/votelab`

  const server: PostgresServer = {
    url,
    port,
    async start() {
      if (existsSync(join(data, 'postmaster.pid'))) return
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'postgres.log'),
        '-o',
        options,
        '-w',
        '-t',
        '30',
        'start',
      ])
      // The first start creates the application's database.
      const admin = new pg.Client({
        connectionString: `postgres://votelab@127.0.0.1:${String(port)}/postgres`,
      })
      await admin.connect()
      const exists = await admin.query("select 1 from pg_database where datname = 'votelab'")
      if (exists.rowCount === 0) await admin.query('create database votelab')
      await admin.end()
    },
    async stop() {
      if (!existsSync(join(data, 'postmaster.pid'))) return
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
      await Promise.resolve()
    },
    async crash() {
      if (!existsSync(join(data, 'postmaster.pid'))) return
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      await Promise.resolve()
    },
    logFile: join(dir, 'postgres.log'),
  }
  return server
}
