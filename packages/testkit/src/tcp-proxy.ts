import net from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP proxy in front of the test Postgres server: `down()` cuts every connection and refuses
 * new ones, like a database restart or failover, without touching the server other tests share.
 */
export interface TcpProxy {
  port: number
  down(): void
  up(): void
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let isDown = false
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, targetHost)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    down() {
      isDown = true
      for (const socket of sockets) socket.destroy()
    },
    up() {
      isDown = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
