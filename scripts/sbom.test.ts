import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// `pnpm sbom:api` (issue 15): a CycloneDX bill of materials of what the API image ships — the API's
// production dependencies, from pnpm's own generator over the lockfile. CI keeps it as an
// artifact; `pnpm image:publish` attaches an image SBOM too where buildx runs.
const ROOT = fileURLToPath(new URL('../', import.meta.url))

it('lists every production dependency of the API, with versions and purls, and no dev tool', () => {
  execFileSync('pnpm', ['-s', 'sbom:api'], { cwd: ROOT, stdio: 'ignore' })
  const sbom = JSON.parse(readFileSync(join(ROOT, 'sbom/api.cdx.json'), 'utf8')) as {
    bomFormat: string
    specVersion: string
    components: { name: string; group?: string; version: string; purl: string }[]
  }
  expect(sbom.bomFormat).toBe('CycloneDX')
  const names = new Set(sbom.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name)))
  const manifest = JSON.parse(readFileSync(join(ROOT, 'api/package.json'), 'utf8')) as {
    dependencies: Record<string, string>
    devDependencies: Record<string, string>
  }
  for (const name of Object.keys(manifest.dependencies)) expect(names, name).toContain(name)
  for (const name of Object.keys(manifest.devDependencies)) expect(names, name).not.toContain(name)
  for (const component of sbom.components) {
    expect(component.purl).toMatch(/^pkg:npm\/.+@\d/)
  }
})
