/**
 * Every export of the public entry points carries TSDoc with an `@example` (STYLE practice 10, issue 6).
 *
 * typedoc's validation fails the docs build on an undocumented export; it has no rule for examples, so this
 * test walks the exports of `arrowseal` and `arrowseal/node` with the TypeScript compiler and checks each one.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ENTRY_POINTS = ['src/index.ts', 'src/node/index.ts']

/** Names of the exports of `entry` whose declarations have no `@example` tag. */
function exportsWithoutExample(program: ts.Program, entry: string): string[] {
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry)
  if (!source) throw new Error(`${entry} is not part of the program`)
  const moduleSymbol = checker.getSymbolAtLocation(source)
  if (!moduleSymbol) return []
  const missing: string[] = []
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const declarations = symbol.getDeclarations() ?? []
    const hasExample = declarations.some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'))
    if (!hasExample) missing.push(exported.getName())
  }
  return missing.sort()
}

function programFor(files: string[]): ts.Program {
  const configPath = join(root, 'tsconfig.json')
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root)
  return ts.createProgram(files, { ...parsed.options, noEmit: true })
}

describe('public API documentation', () => {
  const entries = ENTRY_POINTS.map((e) => join(root, e))
  const program = programFor(entries)

  for (const entry of entries) {
    it(`every export of ${entry.slice(root.length)} has an @example`, () => {
      expect(exportsWithoutExample(program, entry)).toEqual([])
    })
  }

  it('detects an export without an example', () => {
    const host = ts.createCompilerHost({})
    const file = join(root, 'virtual-entry.ts')
    const text =
      '/** Documented.\n * @example\n * ok()\n */\nexport function ok() {}\n/** No example. */\nexport const bare = 1\n'
    const original = host.getSourceFile
    host.getSourceFile = (name, lang, ...rest) =>
      name === file ? ts.createSourceFile(name, text, lang) : original.call(host, name, lang, ...rest)
    const virtual = ts.createProgram([file], { noEmit: true, noLib: true, types: [] }, host)
    expect(exportsWithoutExample(virtual, file)).toEqual(['bare'])
  })
})
