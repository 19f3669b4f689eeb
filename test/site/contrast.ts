/**
 * WCAG 2.x contrast for the diagram check: the relative luminance of sRGB colours (WCAG 2.2, "relative
 * luminance" and "contrast ratio" definitions), with colours that have alpha composited over their backdrop.
 */

/** An sRGB colour with alpha, channels 0–255, alpha 0–1. */
export type Rgba = [number, number, number, number]

/** Parses the `rgb(…)` / `rgba(…)` strings getComputedStyle returns; anything else (`none`, `url(…)`) is null. */
export function parseColour(css: string): Rgba | null {
  const m = /^rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+))?\)$/.exec(css.trim())
  if (!m) return null
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])]
}

/** `top` painted over the opaque `bottom`. */
export function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3]
  return [0, 1, 2].map((i) => top[i]! * a + bottom[i]! * (1 - a)).concat(1) as Rgba
}

function luminance([r, g, b]: Rgba): number {
  const lin = (c: number) => {
    const s = c / 255
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/** Contrast ratio of two opaque colours, 1 to 21. */
export function contrast(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}
