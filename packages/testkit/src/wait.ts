/**
 * Polls `url` until it answers — with a 2xx when `ok` is set, with anything otherwise — while
 * `alive()` says the process behind it still runs. False when it died or `timeoutMs` passed:
 * the caller says what did not start, and where its log is.
 */
export async function waitForHttp(
  url: string,
  options: { alive: () => boolean; timeoutMs: number; ok?: boolean; everyMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      if (!options.ok || response.ok) return true
    } catch {
      // not listening yet
    }
    if (!options.alive() || Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100))
  }
}
