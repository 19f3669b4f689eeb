import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type DefaultTheme, defineConfig } from 'vitepress'
import { diagramsPlugin } from './diagrams.js'

const docsDir = fileURLToPath(new URL('..', import.meta.url))
const apiDir = join(docsDir, 'api')

/** Pages typedoc generated into docs/api (by `npm run docs:api`), as sidebar items titled by their first heading. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  if (!existsSync(apiDir)) return []
  const pages: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) pages.push(path)
    }
  }
  walk(apiDir)
  const items = pages.sort().map((path) => {
    const heading = /^#\s+(.+)$/m.exec(readFileSync(path, 'utf8'))?.[1] ?? path
    const link =
      '/' +
      relative(docsDir, path)
        .replace(/\\/g, '/')
        .replace(/(index)?\.md$/, '')
    return { text: link === '/api/' ? 'Overview' : heading.replace(/`/g, ''), link }
  })
  // The overview (typedoc's entry page) first, then the modules in import order.
  return items.sort((a, b) => Number(b.link === '/api/') - Number(a.link === '/api/'))
}

/**
 * GitHub's heading ids (as github-slugger makes them): lower case, punctuation removed, each space a hyphen.
 * The Markdown pages are read on GitHub and in the npm package too, so an anchor must work in both places.
 */
export function githubSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

const sidebar: DefaultTheme.Sidebar = {
  '/': [
    {
      text: 'Start',
      items: [
        { text: 'What is arrowseal?', link: '/' },
        { text: 'Quick start', link: '/quick-start' },
      ],
    },
    {
      text: 'Concepts',
      items: [
        { text: 'The zero-trust model', link: '/concepts/zero-trust' },
        { text: 'Access groups', link: '/concepts/access-groups' },
        { text: 'Policies and roles', link: '/concepts/policies' },
        { text: 'Identities, recipients and trust', link: '/concepts/identities' },
        { text: 'Streams and batches', link: '/concepts/streams' },
        { text: 'The audit log', link: '/concepts/audit-log' },
        { text: 'Online key access', link: '/concepts/key-access' },
      ],
    },
    {
      text: 'Guides',
      items: [
        { text: 'Write a pipeline writer', link: '/guides/writer' },
        { text: 'Write a reader', link: '/guides/reader' },
        { text: 'Read in a browser', link: '/guides/browser' },
        { text: 'Move sealed data over HTTP', link: '/guides/http' },
        { text: 'Sealed pipelines over NATS', link: '/guides/pipelines' },
        { text: 'The CLI', link: '/guides/cli' },
        { text: 'Least-privilege policies', link: '/guides/least-privilege' },
        { text: 'Key management and rotation', link: '/guides/key-management' },
        { text: 'Keep and verify the audit log', link: '/guides/audit-log' },
        { text: 'Run a key-access gateway', link: '/guides/gateway' },
        { text: 'Tune for throughput', link: '/guides/performance' },
      ],
    },
    {
      text: 'Reference',
      items: [
        { text: 'API reference', link: '/api/' },
        { text: 'Format specification', link: '/format' },
        { text: 'Gateway HTTP API', link: '/reference/kas-http' },
        { text: 'Threat model', link: '/threat-model' },
        { text: 'Benchmarks', link: '/benchmarks' },
        { text: 'Errors', link: '/errors' },
      ],
    },
    {
      text: 'Project',
      items: [
        { text: 'Comparison', link: '/comparison' },
        { text: 'FAQ', link: '/faq' },
        { text: 'Changelog', link: '/changelog' },
      ],
    },
  ],
  '/api/': [
    { text: 'Back to the guide', link: '/quick-start' },
    { text: 'API reference', items: apiSidebar() },
  ],
}

export default defineConfig({
  title: 'arrowseal',
  description:
    'End-to-end sealed Apache Arrow record batches: per-field access, hybrid post-quantum keys, authenticated streams.',
  lang: 'en-GB',
  // A broken link fails the build (issue 6).
  ignoreDeadLinks: false,
  lastUpdated: false,
  // The site ships no third-party requests: no web fonts, no analytics.
  useWebFonts: false,
  // docs/diagrams holds picture sources and fragments for other pages to include, not pages of its own.
  srcExclude: ['**/README.md', 'diagrams/**'],
  head: [
    ['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }],
    ['meta', { name: 'theme-color', content: '#3c6e71' }],
  ],
  markdown: {
    theme: { light: 'github-light', dark: 'github-dark' },
    anchor: { slugify: githubSlug },
    // Pictures from docs/diagrams, rendered to inline SVG at build time (issue 17).
    config: (md) => md.use(diagramsPlugin),
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Quick start', link: '/quick-start' },
      { text: 'Concepts', link: '/concepts/zero-trust' },
      { text: 'Guides', link: '/guides/writer' },
      { text: 'API', link: '/api/' },
      { text: 'Format', link: '/format' },
      { text: 'Threat model', link: '/threat-model' },
    ],
    sidebar,
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: { message: 'Released under the Apache-2.0 licence.' },
  },
})
