import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The documentation as a map that cannot drift (issue 16): every relative link and anchor in
// the Markdown lands somewhere, the decision index lists every record, and the README stays a
// front door.
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return markdownFiles(path)
    return name.endsWith('.md') ? [path] : []
  })
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-')

const anchorsOf = (file: string) =>
  new Set(
    [
      ...read(file)
        .replace(/```[\s\S]*?```/g, '')
        .matchAll(/^#{1,6} (.+)$/gm),
    ].map((m) => slug(m[1] ?? '')),
  )

const documents = ['README.md', 'CHANGELOG.md', 'infra/README.md', ...markdownFiles('docs')]

describe('the documentation', () => {
  it.each(documents)('%s links only to files and headings that exist', (file) => {
    const text = read(file).replace(/```[\s\S]*?```/g, '')
    const broken: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue
      const [path = '', anchor] = target.split('#')
      const resolved = path ? relative(ROOT, join(ROOT, dirname(file), path)) : file
      if (!existsSync(join(ROOT, resolved))) {
        broken.push(`${target}: no ${resolved}`)
        continue
      }
      if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${resolved}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('indexes every decision record', () => {
    const index = read('docs/decisions/README.md')
    const records = readdirSync(join(ROOT, 'docs/decisions')).filter((f) =>
      /^\d{3}-.*\.md$/.test(f),
    )
    expect(records.length).toBeGreaterThan(10)
    for (const record of records) expect(index, record).toContain(`](${record})`)
  })

  it('keeps the README a front door: the two commands, the path of a vote, the map, under 200 lines', () => {
    const readme = read('README.md')
    expect(readme.split('\n').length).toBeLessThan(200)
    expect(readme).toContain('./scripts/dev.sh    # runs votelab')
    expect(readme).toContain('./scripts/test.sh   # runs every test')
    expect(readme).toMatch(/^## The path of one vote$/m)
    expect(readme).toMatch(/^## Repository layout$/m)
  })
})
