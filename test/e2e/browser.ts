/**
 * Real Chromium for end-to-end tests: Debian's chromium driven by playwright-core,
 * against the app built by Vite and served by our own server on loopback.
 * Without chromium a developer's run skips these tests loudly; under CI=true
 * a missing browser is a failure.
 */
import { mkdirSync } from 'node:fs';
import type http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createServer, listening } from '../../signaling/serve';

import { ARTIFACTS, CHROMIUM, buildApp, hasChromium } from '../helpers/closed-network';

export { ARTIFACTS, CHROMIUM, buildApp, hasChromium };

if (!hasChromium) {
  const msg = `Chromium not found at ${CHROMIUM}: the end-to-end tests cannot run (apt-get install chromium)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`\n*** ${msg}; skipping them ***\n`);
}


export async function serve(root: string): Promise<{ server: http.Server; url: string }> {
  const server = createServer({ root, port: 0, host: '127.0.0.1', log: () => {} });
  await listening(server);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root on a closed network: no sandbox, no GPU, and no background calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * For a describe block: builds and serves the app and launches Chromium before
 * its tests, and tears both down after. Read `url` and `browser` inside tests.
 */
export function useApp(): { readonly url: string; readonly browser: Browser } {
  const app = {} as { url: string; browser: Browser; server?: http.Server };
  beforeAll(async () => {
    const { server, url } = await serve(buildApp());
    app.server = server;
    app.url = url;
    app.browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await app.browser?.close();
    app.server?.close();
  });
  return app;
}
