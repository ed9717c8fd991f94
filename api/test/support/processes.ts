import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const serverEntry = fileURLToPath(new URL('../../src/server.ts', import.meta.url))

export interface ApiProcess {
  url: string
  child: ChildProcess
  output: string[]
  /** Resolves with the exit code. */
  exited: Promise<number | null>
}

/** Starts `node api/src/server.ts` as its own process on a random port and waits until it listens. */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, [serverEntry], {
    // DATABASE_URL empty (= PGlite) unless the caller names a server: never the one this shell
    // happens to point at.
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`API did not start:\n${output.join('')}`)),
      30_000,
    )
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString())
      const match = /"url":"(http:\/\/[^"]+)"/.exec(chunk.toString())
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`API exited with ${code}:\n${output.join('')}`))
    })
  })
  return { url, child, output, exited }
}
