// @ts-check
/**
 * TypeDoc plugin: name the API modules after their import specifiers (`arrowseal`, `arrowseal/node`) instead of
 * their file names (`index`, `node`), so the reference reads the way integrators import the package.
 */
import { Converter } from 'typedoc'

const NAMES = new Map([
  ['index', 'arrowseal'],
  ['node', 'arrowseal/node'],
])

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const child of context.project.children ?? []) {
      const name = NAMES.get(child.name)
      if (name) child.name = name
    }
  })
}
