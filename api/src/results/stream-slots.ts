import { ApiError } from '../http/errors.ts'

export interface StreamSlotLimits {
  /** Open streams one client address may hold; 0 = no cap (load tests from one address). */
  perAddress: number
  /** Open streams this process serves; 0 = no cap. Sized from memory (docs/operations.md). */
  perProcess: number
}

/**
 * Counts open live-result streams per client address and per process. A stream costs ~35 KB
 * and a socket for as long as the client likes, so without a cap one address could hold
 * thousands (issue 13 measured 2,000 from one).
 */
export class StreamSlots {
  private readonly byAddress = new Map<string, number>()
  private open = 0
  private readonly limits: StreamSlotLimits

  constructor(limits: StreamSlotLimits) {
    this.limits = limits
  }

  /** Takes a slot for `address`, or throws 429/503 with Retry-After. Call `release` once. */
  acquire(address: string): () => void {
    const { perAddress, perProcess } = this.limits
    if (perProcess > 0 && this.open >= perProcess) {
      throw new ApiError(
        503,
        'too_many_streams',
        'This server follows as many polls as it can; retry shortly',
        {
          headers: { 'Retry-After': '5' },
        },
      )
    }
    const held = this.byAddress.get(address) ?? 0
    if (perAddress > 0 && held >= perAddress) {
      throw new ApiError(
        429,
        'too_many_streams',
        `At most ${String(perAddress)} live-result streams per client address; close one first`,
        { headers: { 'Retry-After': '30' } },
      )
    }
    this.byAddress.set(address, held + 1)
    this.open += 1
    let released = false
    return () => {
      if (released) return
      released = true
      this.open -= 1
      const left = (this.byAddress.get(address) ?? 1) - 1
      if (left > 0) this.byAddress.set(address, left)
      else this.byAddress.delete(address)
    }
  }
}
