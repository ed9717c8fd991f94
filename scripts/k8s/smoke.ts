// pnpm k8s:smoke [--overlay-dir deploy/kubernetes/overlays/local] [--no-apply] [--timeout-seconds 300]
//
// The local overlay on a real cluster (kind, k3d, minikube, Docker Desktop, or EKS with the
// local overlay), through the cluster's own current context (KUBECONFIG): apply it, wait for
// Postgres, the seed job and the API's rollout, then — through port-forwards to two different
// API pods — pass the deploy smoke checks, and vote through one pod while watching the results
// stream of the other. Exits 0 when all pass; 1 with what failed; 2 without a cluster.
// Build and load the image first (deploy/kubernetes/README.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort } from '@votelab/testkit/ports'
import { waitForHttp } from '@votelab/testkit/wait'
import { voteAndWatch } from './live-vote.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const NAMESPACE = 'votelab'

const { values: args } = parseArgs({
  options: {
    'overlay-dir': { type: 'string', default: 'deploy/kubernetes/overlays/local' },
    'no-apply': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '300' },
  },
})
const timeout = `${String(Number(args['timeout-seconds']))}s`

function kubectl(...argv: string[]): string {
  const result = spawnSync('kubectl', argv, { cwd: ROOT, encoding: 'utf8' })
  if (result.error) throw new Error(`kubectl: ${result.error.message}`)
  if (result.status !== 0) {
    throw new Error(`kubectl ${argv.join(' ')}: ${result.stderr.trim() || result.stdout.trim()}`)
  }
  return result.stdout.trim()
}

function step(name: string): void {
  console.log(`--   ${name}`)
}

const context = spawnSync('kubectl', ['config', 'current-context'], { encoding: 'utf8' })
if (context.error || context.status !== 0) {
  console.error(
    'No Kubernetes cluster: kubectl has no current context (set KUBECONFIG, or create one: ' +
      '`kind create cluster`). Nothing was done.',
  )
  process.exit(2)
}
console.log(`cluster: ${context.stdout.trim()}`)

const forwards: ChildProcess[] = []
/** `kubectl port-forward` to one pod, on a free local port: its base URL. */
async function forwardTo(pod: string): Promise<string> {
  const port = await freePort()
  const child = spawn(
    'kubectl',
    ['-n', NAMESPACE, 'port-forward', `pod/${pod}`, `${String(port)}:3000`],
    { stdio: 'ignore' },
  )
  forwards.push(child)
  const url = `http://127.0.0.1:${String(port)}`
  const up = await waitForHttp(`${url}/healthz`, {
    alive: () => child.exitCode === null,
    timeoutMs: 30_000,
  })
  if (!up) throw new Error(`port-forward to ${pod} did not answer`)
  return url
}

try {
  if (!args['no-apply']) {
    step(`kubectl apply -k ${args['overlay-dir']}`)
    console.log(kubectl('apply', '-k', args['overlay-dir']))
  }
  step('waiting for Postgres, the seed job and the API')
  kubectl('-n', NAMESPACE, 'rollout', 'status', 'statefulset/postgres', `--timeout=${timeout}`)
  kubectl(
    '-n',
    NAMESPACE,
    'wait',
    '--for=condition=complete',
    'job/votelab-seed',
    `--timeout=${timeout}`,
  )
  kubectl('-n', NAMESPACE, 'rollout', 'status', 'deployment/votelab-api', `--timeout=${timeout}`)

  const pods = kubectl(
    '-n',
    NAMESPACE,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/name=votelab-api',
    '--field-selector',
    'status.phase=Running',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  )
    .split(/\s+/)
    .filter(Boolean)
  if (pods.length < 2)
    throw new Error(`expected 2 API pods, found ${String(pods.length)}: ${pods.join(' ')}`)
  const [watcher = '', voter = ''] = pods
  const [watchUrl, voteUrl] = await Promise.all([forwardTo(watcher), forwardTo(voter)])

  step(`pnpm smoke ${voteUrl}`)
  const smoke = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('../smoke.ts', import.meta.url)), voteUrl, '--timeout-seconds', '60'],
    { stdio: 'inherit' },
  )
  if (smoke.status !== 0) throw new Error('the deploy smoke checks failed')

  step(`a vote through ${voter}, watched through ${watcher}`)
  // The local issuer's key, shared by every replica through the database: any pod mints.
  const token = kubectl(
    '-n',
    NAMESPACE,
    'exec',
    `pod/${voter}`,
    '--',
    'node',
    'api/src/cli/token.ts',
    '--sub',
    `k8s-smoke-${String(Date.now())}`,
  )
  const check = await voteAndWatch({ watchUrl, voteUrl, token })
  console.log(
    `ok   vote counted on the other replica's stream: ${String(check.before)} → ${String(check.after)} in ${String(check.deliveredMs)} ms (poll ${check.pollId})`,
  )
  console.log('k8s smoke: all checks passed')
} catch (error) {
  console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  for (const child of forwards) child.kill()
}
