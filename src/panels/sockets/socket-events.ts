/**
 * Socket table events as the console reads them. Plain TypeScript, no runes.
 */

import type { SocketTableEvent } from '../../../worker/apps/socket-table';

/**
 * A failed socket reports `closed` and then its `error` (the TCB closes before
 * it tells the application why). Read in that order the transcript would say
 * "socket closed" and only then why: tell the error first.
 */
export function errorsFirst(batch: readonly SocketTableEvent[]): SocketTableEvent[] {
  const out = batch.slice();
  for (let i = 0; i < out.length; i++) {
    const closed = out[i]!;
    if (closed.kind !== 'closed') continue;
    const j = out.findIndex((e, k) => k > i && e.kind === 'error' && e.host === closed.host && e.id === closed.id);
    if (j > i) out.splice(i, 0, ...out.splice(j, 1));
  }
  return out;
}
