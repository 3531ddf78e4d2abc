/**
 * The interop harness as a vitest fixture: a namespace, TAP, relay and our
 * host, up before a describe block's tests and removed after them, even when a
 * test fails. Without root or the Linux tools the tests are skipped loudly;
 * under CI=true that is a failure.
 */
import { afterAll, beforeAll } from 'vitest';
import { canInterop, Interop, interopMissing, type InteropOptions } from './harness';

export { canInterop };

if (!canInterop) {
  if (process.env.CI) throw new Error(interopMissing);
  console.warn(`\n*** ${interopMissing}; skipping the interop tests ***\n`);
}

/** The open harness of the enclosing describe block (valid inside its tests). */
export function useInterop(opts: InteropOptions = {}): { readonly it: Interop } {
  let it: Interop | undefined;
  beforeAll(async () => {
    it = await Interop.open(opts);
  }, 30_000);
  afterAll(async () => {
    await it?.close();
  });
  return {
    get it() {
      if (!it) throw new Error('The interop harness is not open (did beforeAll fail?).');
      return it;
    },
  };
}
