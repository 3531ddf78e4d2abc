/**
 * The closed network (test/helpers/closed-network.ts) as a vitest fixture: a
 * lo-only namespace with our server and Chromium, up before a describe
 * block's tests and removed after them, even when a test fails. Without root
 * the tests are skipped loudly; under CI=true that is a failure.
 */
import { afterAll, beforeAll } from 'vitest';
import { canNetns, hasChromium, netnsMissing, openClosedNetwork, type ClosedNetwork } from '../helpers/closed-network';

export { canNetns };

if (hasChromium && !canNetns) {
  if (process.env.CI) throw new Error(netnsMissing);
  console.warn(`\n*** ${netnsMissing}; skipping them ***\n`);
}

export function useClosedNetwork(): ClosedNetwork {
  let net: (ClosedNetwork & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    net = await openClosedNetwork();
  }, 180_000);
  afterAll(async () => {
    await net?.close();
  });
  return {
    get ns() {
      return net!.ns;
    },
    get url() {
      return net!.url;
    },
    get browser() {
      return net!.browser;
    },
    newContext: () => net!.newContext(),
  };
}
