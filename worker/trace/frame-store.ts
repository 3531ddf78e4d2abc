/**
 * The bounded frame log behind the packet list and pcap export.
 *
 * A ring buffer bounded both by a number of frames and by their total bytes; when
 * either bound would be exceeded the oldest frames are evicted. The ring array is
 * preallocated, so adding a frame allocates nothing beyond the record object the
 * caller passes in. Frames are shared references: the store never copies or
 * modifies them.
 *
 * Lookup by id: ids come from the caller (FrameEvent.id), and they are only unique
 * per host (solo mode captures two hosts into one store) and may have gaps (a store
 * fed through a filter). So the index is a Map per host from id to the record's
 * position in the store's own insertion sequence, rather than arithmetic on ids.
 * That is one Map.set per add and one Map.delete per eviction, O(1) on average.
 */

import type { Direction, Tracer } from './events';
import { writePcap, type PcapWriterOptions } from './pcap';

export interface FrameRecord {
  /** Per-host frame number, as in FrameEvent.id. */
  readonly id: number;
  /** Stack time in milliseconds. */
  readonly t: number;
  readonly host: string;
  readonly iface: string;
  readonly dir: Direction;
  /** Shared with the stack and the trace: never modify. */
  readonly frame: Uint8Array;
}

export interface FrameStoreOptions {
  /** Most frames kept. Default 100_000. */
  maxFrames?: number;
  /** Most frame bytes kept (the sum of frame lengths). Default 64 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_FRAMES = 100_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class FrameStore implements Iterable<FrameRecord> {
  readonly maxFrames: number;
  readonly maxBytes: number;
  /** The ring: the record with insertion sequence number `seq` lives at ring[seq % maxFrames]. */
  private readonly ring: (FrameRecord | undefined)[];
  /** Sequence number of the oldest retained record. */
  private headSeq = 0;
  /** Sequence number the next added record gets. */
  private nextSeq = 0;
  private _bytes = 0;
  private _evicted = 0;
  /** host -> id -> sequence number, for the retained records. */
  private readonly index = new Map<string, Map<number, number>>();

  constructor(opts: FrameStoreOptions = {}) {
    const maxFrames = opts.maxFrames ?? DEFAULT_MAX_FRAMES;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(maxFrames) || maxFrames < 1) {
      throw new RangeError(`FrameStore maxFrames must be a whole number of at least 1, got ${maxFrames}`);
    }
    if (!(maxBytes >= 0) || !Number.isFinite(maxBytes)) {
      throw new RangeError(`FrameStore maxBytes must be a finite number of bytes, got ${maxBytes}`);
    }
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
    this.ring = new Array<FrameRecord | undefined>(maxFrames).fill(undefined);
  }

  /** Frames retained. */
  get size(): number {
    return this.nextSeq - this.headSeq;
  }

  /** Sum of the retained frames' lengths. */
  get bytes(): number {
    return this._bytes;
  }

  /**
   * Frames evicted to keep within the bounds since creation or the last clear().
   * Also the absolute position of the oldest retained frame, so a virtualised list
   * can keep its rows stable: row = evicted + index.
   */
  get evicted(): number {
    return this._evicted;
  }

  /** Id of the oldest retained frame. */
  get firstId(): number | undefined {
    return this.size > 0 ? this.slot(this.headSeq).id : undefined;
  }

  /** Id of the newest retained frame. */
  get lastId(): number | undefined {
    return this.size > 0 ? this.slot(this.nextSeq - 1).id : undefined;
  }

  /**
   * Adds a frame, evicting the oldest as needed. A single frame larger than
   * maxBytes is still kept, alone: the newest frame is always retained.
   */
  add(record: FrameRecord): void {
    const len = record.frame.length;
    while (this.size > 0 && (this.size >= this.maxFrames || this._bytes + len > this.maxBytes)) this.evictOldest();
    const seq = this.nextSeq++;
    this.ring[seq % this.maxFrames] = record;
    this._bytes += len;
    let ids = this.index.get(record.host);
    if (ids === undefined) this.index.set(record.host, (ids = new Map()));
    // A host that restarts its numbering overwrites the older entry; evictOldest leaves it alone.
    ids.set(record.id, seq);
  }

  /**
   * The retained frame with this id, or undefined once it is evicted. Ids are per
   * host: pass `host` when the store holds more than one. Without it, the newest
   * retained frame with this id from any host is returned.
   */
  get(id: number, host?: string): FrameRecord | undefined {
    if (host !== undefined) {
      const seq = this.index.get(host)?.get(id);
      return seq === undefined ? undefined : this.slot(seq);
    }
    let best = -1;
    for (const ids of this.index.values()) {
      const seq = ids.get(id);
      if (seq !== undefined && seq > best) best = seq;
    }
    return best < 0 ? undefined : this.slot(best);
  }

  /** The record at `index` (0 = oldest retained), or undefined outside [0, size). */
  at(index: number): FrameRecord | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    return this.slot(this.headSeq + index);
  }

  /**
   * Records [fromIndex, toIndex) counted from the oldest retained, for a
   * virtualised list. Same index rules as Array.prototype.slice (negative counts
   * from the end, out-of-range clamps).
   */
  slice(fromIndex = 0, toIndex: number = this.size): FrameRecord[] {
    const size = this.size;
    const from = clampIndex(fromIndex, size);
    const to = clampIndex(toIndex, size);
    const out: FrameRecord[] = [];
    for (let i = from; i < to; i++) out.push(this.slot(this.headSeq + i));
    return out;
  }

  *[Symbol.iterator](): Iterator<FrameRecord> {
    // Snapshot the bounds: records added while iterating are not visited.
    const end = this.nextSeq;
    for (let seq = this.headSeq; seq < end; seq++) {
      if (seq < this.headSeq) continue; // evicted meanwhile
      yield this.slot(seq);
    }
  }

  /** Forgets every frame and resets the counters. */
  clear(): void {
    this.ring.fill(undefined);
    this.headSeq = 0;
    this.nextSeq = 0;
    this._bytes = 0;
    this._evicted = 0;
    this.index.clear();
  }

  /** The retained frames (those passing `filter`, if given) as one pcap file. */
  toPcap(filter?: (record: FrameRecord) => boolean, opts?: PcapWriterOptions): Uint8Array {
    if (filter === undefined) return writePcap(this, opts);
    const chosen: FrameRecord[] = [];
    for (const r of this) if (filter(r)) chosen.push(r);
    return writePcap(chosen, opts);
  }

  private slot(seq: number): FrameRecord {
    return this.ring[seq % this.maxFrames]!;
  }

  private evictOldest(): void {
    const seq = this.headSeq++;
    const i = seq % this.maxFrames;
    const r = this.ring[i]!;
    this.ring[i] = undefined; // let the frame be collected
    this._bytes -= r.frame.length;
    this._evicted++;
    const ids = this.index.get(r.host);
    // The per-host map stays even when empty: hosts are few, and re-creating it would allocate.
    if (ids !== undefined && ids.get(r.id) === seq) ids.delete(r.id);
  }
}

function clampIndex(i: number, size: number): number {
  if (Number.isNaN(i)) return 0;
  if (i < 0) return Math.max(0, size + Math.trunc(i));
  return Math.min(size, Math.trunc(i));
}

/**
 * Adds every `frame` trace event (only those of `host`, if given) to the store.
 * Returns the function that stops the capture.
 */
export function captureFrames(tracer: Tracer, store: FrameStore, host?: string): () => void {
  return tracer.subscribe((e) => {
    if (e.type !== 'frame' || (host !== undefined && e.host !== host)) return;
    store.add({ id: e.id, t: e.t, host: e.host, iface: e.iface, dir: e.dir, frame: e.frame });
  });
}
