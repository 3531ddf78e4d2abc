/**
 * The one owner of the stack worker: creates it, wraps it with comlink, and
 * hands out the remote API. Callbacks cross with Comlink.proxy.
 */

import * as Comlink from 'comlink';
import type { WiretabApi } from '../../../worker/api';

export type StackRemote = Comlink.Remote<WiretabApi>;

let worker: Worker | undefined;
let remote: StackRemote | undefined;

export function stack(): StackRemote {
  if (!remote) {
    worker = new Worker(new URL('../../../worker/main.ts', import.meta.url), { type: 'module', name: 'wiretab-stack' });
    remote = Comlink.wrap<WiretabApi>(worker);
  }
  return remote;
}

export { Comlink };
