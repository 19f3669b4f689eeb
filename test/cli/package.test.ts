/** The published package: metadata a user relies on, and README links that resolve inside the tarball. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  files: string[]
  repository?: { url?: string } | string
}

// The globs of package.json "files" that this test understands: a directory, a file, or DIR/*.md.
function shipped(path: string): boolean {
  return pkg.files.some((f) => {
    if (f === path || path.startsWith(`${f}/`)) return true
    const star = f.match(/^(.*)\/\*\.md$/)
    return (
      star !== null &&
      path.startsWith(`${star[1]}/`) &&
      path.endsWith('.md') &&
      !path.slice(star[1]!.length + 1).includes('/')
    )
  })
}

describe('package.json and README', () => {
  it('every relative README link points at a file the package ships', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((l) => !/^[a-z]+:/.test(l))
    expect(links.length).toBeGreaterThan(0)
    for (const link of links) expect(shipped(link.replace(/^\.\//, '')), link).toBe(true)
  })
})
