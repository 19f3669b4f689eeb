/**
 * Terminal styling that switches itself off when the stream is not a TTY or `NO_COLOR` is set
 * (https://no-color.org), so piped and logged output stays plain text.
 * @module
 */

/**
 * Styling functions; each returns its input unchanged when colour is off.
 *
 * @example
 * ```ts
 * const s: Style = createStyle(process.stderr)
 * process.stderr.write(s.red('refused'))
 * ```
 */
export interface Style {
  readonly color: boolean
  bold(text: string): string
  dim(text: string): string
  green(text: string): string
  red(text: string): string
  cyan(text: string): string
  yellow(text: string): string
}

/**
 * Styling for `stream`.
 *
 * @example
 * ```ts
 * const s = createStyle(process.stdout)
 * console.log(s.bold('arrowseal'))
 * ```
 */
export function createStyle(stream: { isTTY?: boolean }): Style {
  const color = stream.isTTY === true && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb'
  const wrap = (open: number, close: number) => (text: string) => (color ? `\x1b[${open}m${text}\x1b[${close}m` : text)
  return {
    color,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    yellow: wrap(33, 39),
  }
}
