import { describe, expect, it } from 'vitest'
import { outcome } from './outcome.ts'

const poll = (votes: (number | undefined)[], labels = ['Blue', 'Green', 'Red']) => ({
  options: votes.map((count, index) => ({
    id: String(index),
    label: labels[index] ?? `Option ${String(index)}`,
    ...(count === undefined ? {} : { votes: count }),
  })),
  totalVotes: votes.reduce<number>((sum, count) => sum + (count ?? 0), 0),
})

describe('outcome', () => {
  it('names the winner with its share', () => {
    expect(outcome(poll([19, 8, 5]))).toBe('Won by “Blue” with 19 votes of 32 (59%).')
    expect(outcome(poll([0, 1, 0]))).toBe('Won by “Green” with 1 vote of 1 (100%).')
  })

  it('names every option in a tie', () => {
    expect(outcome(poll([4, 4, 2]))).toBe(
      'Tied: “Blue” and “Green”, with 4 votes of 10 (40%) each.',
    )
    expect(outcome(poll([1, 1, 1]))).toBe(
      'Tied: “Blue”, “Green”, and “Red”, with 1 vote of 3 (33%) each.',
    )
  })

  it('says when nobody voted, and when the count is not sealed yet', () => {
    expect(outcome(poll([0, 0, 0]))).toBe('Closed with no votes.')
    expect(outcome(poll([undefined, undefined]))).toBe('Closed: the final count is being sealed.')
  })
})
