/**
 * Debian's Chromium under Playwright for the Node-side browser checks (the docs site, the example page):
 * headless, no sandbox (CI runs as root), nothing that reaches the network on its own.
 */
import { type Browser, chromium } from 'playwright'

/** The browser binary; CHROMIUM_PATH overrides Debian's location. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
