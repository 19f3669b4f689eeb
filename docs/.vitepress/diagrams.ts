import type { MarkdownRenderer } from 'vitepress'
import { diagramHtml } from '../diagrams/index.js'

/**
 * Markdown-it plugin: a fenced block with the info string `diagram` becomes the named picture from docs/diagrams,
 * rendered to inline SVG when the page is built (issue 17). The picture is therefore rebuilt from its source on
 * every `npm run docs:build`, needs no JavaScript in the browser, and takes its colours from the theme (light and
 * dark). Every other fence goes to VitePress's own renderer.
 */
export function diagramsPlugin(md: MarkdownRenderer): void {
  const fence = md.renderer.rules.fence
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!
    if (token.info.trim() === 'diagram') return diagramHtml(token.content.trim())
    return fence ? fence(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options)
  }
}
