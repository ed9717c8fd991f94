export interface SseMessage {
  event: string
  /** The data lines, joined and parsed as JSON; undefined for a comment-only block. */
  data: unknown
  comments: string[]
}

/** Splits a `text/event-stream` body into its messages as they arrive. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let split
    while ((split = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, split)
      buffer = buffer.slice(split + 2)
      let event = 'message'
      const data: string[] = []
      const comments: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim())
        else if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
      }
      yield { event, data: data.length ? JSON.parse(data.join('\n')) : undefined, comments }
    }
  }
}

/** A minimal Server-Sent Events reader over real HTTP, for tests. */
export interface SseConnection {
  /** Resolves with the data of the next event of this name that satisfies `accept`. */
  next<T>(event: string, accept?: (data: T) => boolean, timeoutMs?: number): Promise<T>
  /** Comments seen so far (heartbeats). */
  comments: string[]
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseConnection> {
  const controller = new AbortController()
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  })
  if (response.status !== 200 || !response.body)
    throw new Error(`SSE ${url}: ${response.status} ${await response.text()}`)
  const events: { event: string; data: unknown }[] = []
  const waiters = new Set<() => void>()
  const comments: string[] = []
  const ended = (async () => {
    try {
      for await (const message of sseMessages(response.body as ReadableStream<Uint8Array>)) {
        comments.push(...message.comments)
        if (message.data !== undefined) events.push({ event: message.event, data: message.data })
        for (const wake of waiters) wake()
      }
    } catch {
      // aborted by close()
    }
    for (const wake of waiters) wake()
  })()
  let done = false
  void ended.then(() => (done = true))

  return {
    comments,
    ended,
    close: () => controller.abort(),
    async next<T>(
      name: string,
      accept: (data: T) => boolean = () => true,
      timeoutMs = 10_000,
    ): Promise<T> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const index = events.findIndex((e) => e.event === name && accept(e.data as T))
        if (index >= 0) {
          const [found] = events.splice(0, index + 1).slice(-1)
          return found?.data as T
        }
        if (done) throw new Error(`stream ended before a matching "${name}" event`)
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no matching "${name}" event within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, left)
          function wake() {
            clearTimeout(timer)
            waiters.delete(wake)
            resolve()
          }
          waiters.add(wake)
        })
      }
    },
  }
}
