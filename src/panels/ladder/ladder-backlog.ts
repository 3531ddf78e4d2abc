/**
 * What the ladder keeps while its view is not shown (display: none): the
 * batches themselves, unprocessed, in the order they came (ours and the
 * peer's). Building arrows is the page's heaviest bookkeeping, and under a
 * bulk transfer it is work nobody can see; the model only keeps its last
 * `cap` items anyway. So the backlog holds the newest `keep` events, and of
 * anything older only what the diagram needs to stay right: TCP state
 * changes, page-load phases, hosts going down, the rarer timers (SYN,
 * persist, TIME_WAIT, ...) and SYN segments, which fix the initial sequence
 * numbers the relative numbering counts from. When the view is opened the
 * model takes the backlog at once (see LadderState); what was left out is
 * counted and said under the diagram.
 */

import type { TraceEvent } from '../../../worker/trace/events';
import type { PeerEvent } from '../../lib/peer/peer-trace';

type Entry = { own: readonly TraceEvent[]; peer?: undefined } | { peer: readonly PeerEvent[]; own?: undefined };

/** Events kept in full: seconds of a bulk transfer, minutes of a lesson; the model takes them in tens of ms. */
export const KEEP = 12_000;
/** Most durable events kept from before that. */
const DURABLE = 2000;

/** Timers restarted with every segment: too many to keep, and the newest ones are in the tail anyway. */
const FREQUENT_TIMERS = new Set(['rto', 'delayed-ack']);

/** Is this an IPv4 TCP segment with SYN set? (Ethernet II, any IHL; anything else or too short: no.) */
export function isSynFrame(f: Uint8Array): boolean {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) return false;
  const flags = 14 + (f[14]! & 0x0f) * 4 + 13;
  return flags < f.length && (f[flags]! & 0x02) !== 0;
}

function durableOwn(e: TraceEvent): boolean {
  switch (e.type) {
    case 'tcp':
      return e.what === 'state';
    case 'app':
    case 'host':
      return true;
    case 'timer':
      return !FREQUENT_TIMERS.has(e.kind);
    case 'frame':
      return isSynFrame(e.frame);
    default:
      return false;
  }
}

function durablePeer(e: PeerEvent): boolean {
  return e.kind === 'state' || (e.kind === 'timer' && !FREQUENT_TIMERS.has(e.timer));
}

export class LadderBacklog {
  private entries: Entry[] = [];
  private head = 0;
  /** Events in entries[head..]. */
  private events = 0;
  private durable: Entry[] = [];
  private durableEvents = 0;
  /** Events left out since the last drain. */
  private left = 0;

  constructor(private readonly keep = KEEP) {}

  get size(): number {
    return this.events + this.durableEvents;
  }

  own(batch: readonly TraceEvent[]): void {
    this.add({ own: batch }, batch.length);
  }

  peer(batch: readonly PeerEvent[]): void {
    this.add({ peer: batch }, batch.length);
  }

  private add(entry: Entry, n: number): void {
    if (n === 0) return;
    this.entries.push(entry);
    this.events += n;
    while (this.events > this.keep) this.trim(this.events - this.keep);
    if (this.head > 1024) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Up to `excess` of the oldest events go (a whole entry, or the front of one: batches can be huge under load); durable ones stay. */
  private trim(excess: number): void {
    const e = this.entries[this.head]!;
    const events: readonly (TraceEvent | PeerEvent)[] = e.own ?? e.peer!;
    const whole = events.length <= excess;
    const cut = whole ? events : events.slice(0, excess);
    if (whole) this.entries[this.head++] = undefined as unknown as Entry;
    else this.entries[this.head] = e.own ? { own: e.own.slice(excess) } : { peer: e.peer!.slice(excess) };
    this.events -= cut.length;
    const kept: Entry = e.own ? { own: (cut as readonly TraceEvent[]).filter(durableOwn) } : { peer: (cut as readonly PeerEvent[]).filter(durablePeer) };
    const k = kept.own ? kept.own.length : kept.peer!.length;
    this.left += cut.length - k;
    if (k === 0) return;
    this.durable.push(kept);
    this.durableEvents += k;
    // Past the bound, the oldest durable entries go too (a view closed for hours).
    while (this.durableEvents > DURABLE && this.durable.length > 1) {
      const old = this.durable.shift()!;
      const m = old.own ? old.own.length : old.peer!.length;
      this.durableEvents -= m;
      this.left += m;
    }
  }

  /** Hands everything kept to the model, oldest first, and empties the backlog. Returns how many events were left out. */
  drain(own: (batch: readonly TraceEvent[]) => void, peer: (batch: readonly PeerEvent[]) => void): number {
    const all = this.durable.concat(this.entries.slice(this.head));
    const left = this.left;
    this.entries = [];
    this.head = 0;
    this.events = 0;
    this.durable = [];
    this.durableEvents = 0;
    this.left = 0;
    for (const e of all) {
      if (e.own) own(e.own);
      else peer(e.peer!);
    }
    return left;
  }
}
