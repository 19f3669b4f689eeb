/**
 * A very small SVG writer for the docs diagrams (issue 17). The diagrams are inlined into the page at build time,
 * so their colours come from the theme's CSS variables (docs/.vitepress/theme/diagrams.css) and follow light and
 * dark mode without JavaScript. Every shape carries a class, never a hard-coded colour.
 */

/** A rendered diagram: the SVG markup and the text a screen reader gets instead. */
export interface Diagram {
  /** Stable name, used in the ```diagram fence and in the site check. */
  name: string
  /** Short title (the SVG <title>). */
  title: string
  /** What the picture shows, in words: the alt text (the SVG <desc>). */
  alt: string
  svg: string
}

/** Escapes text for SVG content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Font size of all diagram text, in SVG units (the diagrams scale down on narrow screens, never up). */
export const FONT = 13

/**
 * Width a label needs. Text is not measured at build time (no browser there), so this errs wide: 0.6 em per
 * character is more than the theme's sans-serif font uses for any mix of letters and digits.
 */
export function textWidth(text: string, size = FONT): number {
  return Math.ceil(text.length * size * 0.6)
}

/** A rectangle with centred lines of text; `kind` picks the colour role (see diagrams.css). */
export function box(x: number, y: number, w: number, h: number, lines: string[], kind: string): string {
  const lineH = FONT + 4
  const top = y + h / 2 - ((lines.length - 1) * lineH) / 2
  const texts = lines
    .map(
      (line, i) =>
        `<text class="dg-text" x="${x + w / 2}" y="${top + i * lineH}" text-anchor="middle" dominant-baseline="central">${esc(line)}</text>`,
    )
    .join('')
  return `<g class="dg-node"><rect class="dg-box dg-${kind}" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"></rect>${texts}</g>`
}

/** Free text on the page background (labels, captions inside the picture). */
export function label(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  return `<text class="dg-text dg-label" x="${x}" y="${y}" text-anchor="${anchor}" dominant-baseline="central">${esc(text)}</text>`
}

/** An arrow along a path; the arrow head is the marker defined by `wrap`. */
export function arrow(d: string, kind = 'edge'): string {
  return `<path class="dg-${kind}" d="${d}" fill="none" marker-end="url(#dg-head)"></path>`
}

/** A horizontal-first curve from (x1, y1) to (x2, y2), for left-to-right graphs. */
export function curve(x1: number, y1: number, x2: number, y2: number): string {
  const mid = (x1 + x2) / 2
  return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`
}

/** Wraps the shapes in an accessible, responsive SVG: role="img", <title> and <desc> name it for screen readers. */
export function wrap(name: string, title: string, alt: string, width: number, height: number, body: string): Diagram {
  const id = `dg-${name}`
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" class="dg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-size="${FONT}">` +
    `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(alt)}</desc>` +
    `<defs><marker id="${id}-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="dg-head" d="M0,0 L10,5 L0,10 z"></path></marker></defs>` +
    // One marker per diagram: ids must be unique on a page that shows several pictures.
    body.replaceAll('url(#dg-head)', `url(#${id}-head)`) +
    '</svg>'
  return { name, title, alt, svg }
}
