/**
 * Feeds trace batches into the packet store: frame rows, the conditioner's
 * fates, the stacks' drops and TCP's expert findings, each tied to its row.
 *
 * Solo mode lists each frame once, when sent; the receiving host's rx frame
 * is matched to that row by its bytes (a hash of them), so a drop or an
 * out-of-order finding at the receiver lands on the sender's row.
 */

import type { TraceEvent } from '../../../worker/trace/events';
import { PacketStore } from './store';

const RECENT = 8192;

export class PacketLog {
  /** Called with the abs of a row whose marks changed after it was added (filters re-test it). */
  onMark: ((abs: number) => void) | undefined;
  framesSeen = 0;

  private readonly byHash = new Map<number, number>();
  private readonly hashRing = new Float64Array(RECENT).fill(-1);
  private hashHead = 0;
  private readonly rxToRow = new Map<number, number>();
  private readonly rxRing = new Float64Array(RECENT).fill(-1);
  private rxHead = 0;

  constructor(
    public store: PacketStore,
    public mode: 'solo' | 'pair' = 'solo',
  ) {}

  ingest(batch: readonly TraceEvent[]): void {
    const st = this.store;
    for (const e of batch) {
      switch (e.type) {
        case 'frame': {
          if (this.mode === 'solo' && e.dir === 'rx') {
            const abs = this.byHash.get(frameHash(e.frame));
            if (abs !== undefined) this.rememberRx(st.hostIndex(e.host), e.id, abs);
            continue;
          }
          this.framesSeen++;
          const abs = st.addFrame(e);
          if (this.mode === 'solo') this.rememberHash(frameHash(e.frame), abs);
          break;
        }
        case 'fate': {
          if (e.frameId === undefined) break;
          const abs = st.find(e.host, e.frameId);
          if (abs !== undefined) {
            st.markFate(abs, e);
            this.onMark?.(abs);
          }
          break;
        }
        case 'drop': {
          const abs = e.frameId === undefined ? undefined : this.rowOf(e.host, e.frameId);
          const row = st.addDrop(e, abs);
          if (row === undefined && abs !== undefined) this.onMark?.(abs);
          break;
        }
        case 'tcp': {
          if (e.what !== 'expert') break;
          const abs = this.rowOf(e.host, e.frameId);
          if (abs !== undefined) {
            st.markExpert(abs, e.flags);
            this.onMark?.(abs);
          }
          break;
        }
      }
    }
  }

  /** The row listing a host's frame: its own row, or (solo, rx) the sender's. */
  rowOf(host: string, frameId: number): number | undefined {
    if (this.mode === 'solo') {
      const h = this.store.hosts.indexOf(host);
      const abs = h < 0 ? undefined : this.rxToRow.get(h * 2 ** 32 + frameId);
      if (abs !== undefined && this.store.live(abs)) return abs;
    }
    return this.store.find(host, frameId);
  }

  private rememberHash(hash: number, abs: number): void {
    const old = this.hashRing[this.hashHead]!;
    if (old >= 0 && this.byHash.get(old) !== undefined && this.byHash.get(old)! <= abs - RECENT) this.byHash.delete(old);
    this.hashRing[this.hashHead] = hash;
    this.hashHead = (this.hashHead + 1) % RECENT;
    this.byHash.set(hash, abs);
  }

  private rememberRx(host: number, id: number, abs: number): void {
    const key = host * 2 ** 32 + id;
    const old = this.rxRing[this.rxHead]!;
    if (old >= 0) this.rxToRow.delete(old);
    this.rxRing[this.rxHead] = key;
    this.rxHead = (this.rxHead + 1) % RECENT;
    this.rxToRow.set(key, abs);
  }
}

/** FNV-1a over the frame's first 96 bytes and its length: headers (IP id, seq, ack, checksums) tell frames apart. */
export function frameHash(f: Uint8Array): number {
  let h = 0x811c9dc5 ^ f.length;
  const n = Math.min(f.length, 96);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ f[i]!, 0x01000193);
  return h >>> 0;
}
