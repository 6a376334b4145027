// Debian's Chromium for the browser tests, started the one way the machines need: headless, no
// sandbox (root), and none of the background networking a closed network refuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  /** Closes the browser and removes its throw-away profile. */
  close(): Promise<void>;
}

/** A browser on a fresh profile folder, with reduced motion and a 10 s default timeout. */
export async function launchChromium(profilePrefix: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), profilePrefix));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs, reducedMotion: 'reduce' });
    context.setDefaultTimeout(10_000);
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
