/**
 * The docs diagrams by name (issue 17). A page asks for one with a fenced block whose info string is `diagram`
 * and whose content is the name; docs/.vitepress/diagrams.ts inlines the SVG at build time.
 */
import { accessGroupsDiagram } from './access-groups.js'
import { gatewayRequestDiagram } from './gateway-request.js'
import { merkleProofDiagram } from './merkle-proof.js'
import { pipelineFlowDiagram } from './pipeline-flow.js'
import { readerChecksDiagram } from './reader-checks.js'
import { streamLayoutDiagram } from './stream-layout.js'
import { type Diagram, esc } from './svg.js'

export type { Diagram } from './svg.js'

export const DIAGRAMS: Record<string, () => Diagram> = {
  'access-groups': accessGroupsDiagram,
  'stream-layout': () => streamLayoutDiagram(),
  'reader-checks': readerChecksDiagram,
  'merkle-proof': () => merkleProofDiagram(),
  'pipeline-flow': pipelineFlowDiagram,
  'gateway-request': gatewayRequestDiagram,
}

/** The diagram called `name`; an unknown name throws, so a typo fails the docs build instead of a blank picture. */
export function renderDiagram(name: string): Diagram {
  const make = DIAGRAMS[name]
  if (!make) throw new Error(`unknown diagram ${JSON.stringify(name)}; known: ${Object.keys(DIAGRAMS).join(', ')}`)
  return make()
}

/** The HTML a ```diagram block becomes: a figure holding the inline SVG, captioned by its title. */
export function diagramHtml(name: string): string {
  const d = renderDiagram(name)
  return `<figure class="diagram" data-diagram="${d.name}">${d.svg}<figcaption>${esc(d.title)}</figcaption></figure>\n`
}
