/**
 * What the diagram check reads from a page in Chromium (readFigures) and what it requires of it (figureProblems):
 * an accessible name and description, a real size, text inside its box, and WCAG AA contrast (4.5:1).
 */
import type { Page } from 'playwright'
import { contrast, over, parseColour, type Rgba } from './contrast.js'

export interface TextFact {
  text: string
  fill: string
  /** Fill of the box the text sits in, or null for text on the page background. */
  boxFill: string | null
  /** How far the text sticks out of its box (or of the picture), in px; 0 when it fits. */
  overflow: number
}

export interface FigureFact {
  name: string
  role: string | null
  title: string
  desc: string
  width: number
  height: number
  texts: TextFact[]
}

/** The pictures on a page, the colour scheme it is in, and its background. */
export interface PageFigures {
  dark: boolean
  bg: string
  figures: FigureFact[]
}

/** Everything the checks need from the page, read in the browser. */
export function readFigures(page: Page): Promise<PageFigures> {
  return page.evaluate(() => {
    const bgOf = (el: Element | null): string => {
      for (let e = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor
        if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c
      }
      return 'rgb(255, 255, 255)'
    }
    const figures = [...document.querySelectorAll('figure.diagram')].map((fig) => {
      const svg = fig.querySelector('svg')
      const rect = svg?.getBoundingClientRect()
      const texts = [...(svg?.querySelectorAll('text') ?? [])].map((t) => {
        const boxEl = t.parentElement?.classList.contains('dg-node') ? t.parentElement.querySelector('rect') : null
        const tb = t.getBoundingClientRect()
        const outer = (boxEl ?? svg)!.getBoundingClientRect()
        const overflow = Math.max(
          0,
          outer.left - tb.left,
          tb.right - outer.right,
          outer.top - tb.top,
          tb.bottom - outer.bottom,
        )
        return {
          text: t.textContent ?? '',
          fill: getComputedStyle(t).fill,
          boxFill: boxEl ? getComputedStyle(boxEl).fill : null,
          overflow,
        }
      })
      return {
        name: (fig as HTMLElement).dataset.diagram ?? '',
        role: svg?.getAttribute('role') ?? null,
        title: svg?.querySelector('title')?.textContent ?? '',
        desc: svg?.querySelector('desc')?.textContent ?? '',
        width: rect?.width ?? 0,
        height: rect?.height ?? 0,
        texts,
      }
    })
    return {
      dark: document.documentElement.classList.contains('dark'),
      bg: bgOf(document.querySelector('.vp-doc')),
      figures,
    }
  })
}

/** Problems with the pictures on a page, as readable lines (empty when all is well). */
export function figureProblems(where: string, facts: PageFigures): string[] {
  const out: string[] = []
  const page = parseColour(facts.bg)
  if (!page) return [`${where}: page background ${facts.bg} is not a colour`]
  const base: Rgba = over(page, [255, 255, 255, 1])
  for (const f of facts.figures) {
    const at = `${where} ${f.name}`
    if (f.role !== 'img') out.push(`${at}: svg has no role="img"`)
    if (f.title.length < 10) out.push(`${at}: no title`)
    if (f.desc.length < 80) out.push(`${at}: alt text (desc) too short: ${JSON.stringify(f.desc)}`)
    if (f.width < 300 || f.height < 100) out.push(`${at}: rendered ${f.width}×${f.height} px`)
    if (f.texts.length < 5) out.push(`${at}: only ${f.texts.length} texts`)
    for (const t of f.texts) {
      if (t.overflow > 1) out.push(`${at}: "${t.text}" sticks out of its box by ${t.overflow.toFixed(1)} px`)
      const fill = parseColour(t.fill)
      const boxFill = t.boxFill === null ? null : parseColour(t.boxFill)
      if (!fill || (t.boxFill !== null && !boxFill)) {
        out.push(`${at}: "${t.text}" has fill ${t.fill} on ${t.boxFill}`)
        continue
      }
      const backdrop = boxFill ? over(boxFill, base) : base
      const ratio = contrast(over(fill, backdrop), backdrop)
      if (ratio < 4.5) out.push(`${at}: "${t.text}" contrast ${ratio.toFixed(2)} < 4.5`)
    }
  }
  return out
}
