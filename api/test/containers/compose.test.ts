import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DOCKER, ROOT, buildImage, docker } from '@votelab/testkit/docker'
import { freePort } from '@votelab/testkit/ports'

/**
 * docker-compose.yml for real (issue 15): Postgres, the one-off seed job and the API, as a user
 * runs them — on compose's own network, the API published on 127.0.0.1 only, at a port the test
 * picks (VOTELAB_PORT). Not on the host network: Debian's docker-compose 1.29 refuses a port
 * binding there and cannot drop one in an override file. The image is built beforehand under the
 * name the file uses, so compose runs what `docker compose up --build` would have built.
 */

const run = promisify(execFile)

/** Compose implementations on this machine: Debian's docker-compose 1.29, and v2 if present. */
async function composeCommands(): Promise<string[][]> {
  const found: string[][] = []
  const works = (command: string, args: string[]) =>
    run(command, args).then(
      () => true,
      () => false,
    )
  if (await works('docker-compose', ['version'])) found.push(['docker-compose'])
  if (await works(DOCKER, ['compose', 'version'])) found.push([DOCKER, 'compose'])
  return found
}

const commands = await composeCommands()
// The official postgres image where it can be pulled; Debian's PostgreSQL stand-in otherwise.
const postgresImage = await docker('image', 'inspect', 'postgres:16').then(
  () => 'postgres:16',
  () => 'votelab-standin/postgres:15',
)

beforeAll(async () => {
  await buildImage('votelab-api:local')
}, 600_000)

describe.each(commands.map((command) => [command.join(' '), command] as const))(
  '%s up with docker-compose.yml',
  (_, command) => {
    const project = `votelab-test-${randomBytes(3).toString('hex')}`
    let env: NodeJS.ProcessEnv
    let apiUrl: string
    const compose = async (...args: string[]) => {
      const { stdout } = await run(
        command[0] as string,
        [...command.slice(1), '--project-name', project, '--file', 'docker-compose.yml', ...args],
        { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      )
      return stdout.trim()
    }
    const containerOf = async (service: string) => (await compose('ps', '-q', service)).trim()

    beforeAll(async () => {
      const apiPort = await freePort()
      apiUrl = `http://127.0.0.1:${String(apiPort)}`
      env = { ...process.env, POSTGRES_IMAGE: postgresImage, VOTELAB_PORT: String(apiPort) }
    })

    afterAll(async () => {
      await compose('down', '--volumes', '--remove-orphans').catch(() => '')
    })

    it('seeds once, then serves a healthy API that takes a vote; down -v leaves nothing', async () => {
      const started = performance.now()
      await compose('up', '--detach', '--no-build')

      const api = await containerOf('api')
      const deadline = Date.now() + 120_000
      let health = ''
      while (health !== 'healthy' && Date.now() < deadline) {
        health = await docker('inspect', '--format', '{{.State.Health.Status}}', api)
        if (health !== 'healthy') await new Promise((resolve) => setTimeout(resolve, 500))
      }
      const healthySeconds = (performance.now() - started) / 1000
      console.log(`${command.join(' ')}: up to healthy in ${healthySeconds.toFixed(1)} s`)
      expect(health).toBe('healthy')

      // The seed job ran to completion before the API started, and only once.
      const seed = (await compose('ps', '-q', '-a', 'seed').catch(() => containerOf('seed')))
        .split('\n')
        .filter(Boolean)
      expect(seed).toHaveLength(1)
      const [seedState, apiStarted] = await Promise.all([
        docker('inspect', '--format', '{{.State.ExitCode}} {{.State.FinishedAt}}', seed[0] ?? ''),
        docker('inspect', '--format', '{{.State.StartedAt}}', api),
      ])
      const [exitCode, seedFinished] = seedState.split(' ')
      expect(exitCode).toBe('0')
      expect(new Date(seedFinished ?? '').getTime()).toBeLessThanOrEqual(
        new Date(apiStarted).getTime(),
      )

      // The demo polls are there; a voter with a token from the API's own CLI votes (in the open
      // poll for anyone: the demo's voter-list polls take accounts with confirmed addresses).
      const { polls } = (await (await fetch(`${apiUrl}/api/polls`)).json()) as {
        polls: {
          id: string
          status: string
          eligibility: { kind: string }
          options: { id: string }[]
        }[]
      }
      expect(polls).toHaveLength(4)
      const open = polls.find(
        (poll) => poll.status === 'open' && poll.eligibility.kind === 'anyone',
      )
      expect(open).toBeDefined()
      const token = await docker(
        'exec',
        api,
        'node',
        'api/src/cli/token.ts',
        '--sub',
        `compose-${project}`,
      )
      const vote = await fetch(`${apiUrl}/api/polls/${open?.id ?? ''}/votes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ optionId: open?.options[0]?.id }),
      })
      expect(vote.status).toBe(201)

      await compose('down', '--volumes', '--remove-orphans')
      const label = `label=com.docker.compose.project=${project}`
      expect(await docker('ps', '--all', '--quiet', '--filter', label)).toBe('')
      expect(await docker('volume', 'ls', '--quiet', '--filter', label)).toBe('')
      expect(await docker('network', 'ls', '--quiet', '--filter', label)).toBe('')
    }, 300_000)
  },
)
