// Headless Chromium for the browser end-to-end tests, driven by
// playwright-core: where it is, whether a missing one skips or fails, and
// the flags it needs on this machine (no background connections: the
// network is closed, and Chromium would try many at a time).

import { existsSync } from 'node:fs';

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const inCI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI);
export const haveChromium = existsSync(chromiumPath);

/** `false`, or why a browser test is skipped: only outside CI, where a missing Chromium fails. */
export const chromiumSkip =
  haveChromium || inCI
    ? false
    : `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH); under CI this fails`;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
