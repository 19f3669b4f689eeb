/**
 * Debian's Chromium under Playwright for the Node-side browser checks (the docs site, the example page):
 * headless, no sandbox (CI runs as root), nothing that reaches the network on its own.
 */
import { type Browser, chromium } from 'playwright'

/** The browser binary; CHROMIUM_PATH overrides Debian's location. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Command-line flags for every headless Chromium the tests start (also vitest.browser.config.ts). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] })
}
