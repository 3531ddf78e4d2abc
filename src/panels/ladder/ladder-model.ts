/**
 * The ladder diagram's model: trace events in, arrows, state marks and timer
 * brackets out, each placed on a vertical axis where time flows down.
 *
 * Layout. A plain time scale fails a classroom: on a link without delay the
 * SYN, the SYN+ACK and the ACK all happen in the same millisecond, and a
 * 60 s TIME_WAIT pushes everything else off the screen. So the axis is time,
 * bent where it must be: every frame sent or received is at least `rowGap`
 * pixels below the one before (an arrow always slopes, and its label has room),
 * spans longer than `maxGap` pixels are cut (and the cut is marked with the
 * time skipped), and in between the distance is time × `scale`. A delayed
 * frame therefore slopes further than a prompt one, and the order of events
 * is always the order they happened. State changes and timer starts, stops
 * and fires sit at their moment on the same axis.
 *
 * Everything is bounded: at most `cap` items are kept; the oldest go first.
 * Only the items inside a window of the axis are handed to the renderer
 * (`visible`), found by binary search.
 */

import type { FrameEvent, TimerEvent, TraceEvent } from '../../../worker/trace/events';
import { flagNames, frameKind, otherLabel, tcpFields, type FrameKind, type TcpHeaderFields } from './frame-label';

export interface FrameRef {
  host: string;
  id: number;
}

/** How a frame's trip ended: arrived, killed by the conditioner, or still (or forever, as far as we know) on its way. */
export type ArrowFate = 'arrived' | 'lost' | 'corrupted' | 'pending';

export interface ArrowItem {
  kind: 'arrow';
  /** Item number, growing; a key for rendering. */
  n: number;
  from: string;
  to: string;
  /** The frame as the panels name it: the sender's frame number; for a frame only seen arriving (pair mode), ours. */
  ref: FrameRef;
  /** Our own number for its arrival, when it arrived here. */
  rxRef: FrameRef | undefined;
  /** When it was sent; undefined when only its arrival was seen (the peer's frame in pair mode). */
  t0: number | undefined;
  /** When it arrived; undefined while in flight, when lost, or when only its sending was seen. */
  t1: number | undefined;
  txOp: number;
  rxOp: number;
  proto: FrameKind;
  /** The connection it belongs to, as `connKey` names it (TCP only). */
  conn: string | undefined;
  tcp: TcpHeaderFields | undefined;
  /** Initial sequence numbers for relative numbering: the sender's (for seq) and the receiver's (for ack). */
  seqBase: number | undefined;
  ackBase: number | undefined;
  /** Window scale the sender uses, once both SYNs offered it. */
  winShift: number;
  /** The summary line for frames that are not TCP. */
  text: string;
  fate: ArrowFate;
  /** Other things the conditioner did to it: delayed, reordered, duplicated, held, queued. */
  marks: string[];
  delayMs: number | undefined;
  /** Set when the sender traced it as a retransmission, with the cause. */
  retransmit: string | undefined;
  /** A second copy delivered by the conditioner's duplication. */
  copy: boolean;
}

export interface StateItem {
  kind: 'state';
  n: number;
  host: string;
  conn: string;
  t: number;
  op: number;
  from: string;
  to: string;
  cause: string;
}

export type TimerEnd = 'fire' | 'stop' | 'restart';

export interface TimerItem {
  kind: 'timer';
  n: number;
  host: string;
  conn: string;
  /** rto, syn, synack, persist, time-wait, fin-wait-2, delayed-ack, keepalive. */
  timer: string;
  t0: number;
  startOp: number;
  deadline: number | undefined;
  t1: number | undefined;
  endOp: number;
  end: TimerEnd | undefined;
}

/** A phase of a page load as the browser marked it (AppEvent): drawn across the diagram where it began. */
export interface PhaseItem {
  kind: 'phase';
  n: number;
  host: string;
  /** Phases belong to no one connection: '' (they pass every connection filter). */
  conn: '';
  t: number;
  op: number;
  phase: string;
  detail: string;
}

export type LadderItem = ArrowItem | StateItem | TimerItem | PhaseItem;

/** The TCP timers drawn as brackets (other timers belong to ARP and IP, not to a connection). */
export const BRACKET_TIMERS = new Set(['rto', 'syn', 'synack', 'persist', 'time-wait', 'fin-wait-2', 'delayed-ack', 'keepalive']);

/** Which timer of the connection each kind runs on (tcb.ts): kinds on one slot replace each other. */
const TIMER_SLOT: Record<string, string> = { rto: 'rtx', syn: 'rtx', synack: 'rtx', persist: 'rtx', 'time-wait': 'close', 'fin-wait-2': 'close', 'delayed-ack': 'delack', keepalive: 'keep' };

/** Fates that end a frame's trip. */
const KILLED: Record<string, 'lost' | 'corrupted' | undefined> = {
  'lost-random': 'lost',
  'lost-burst': 'lost',
  'queue-full': 'lost',
  'too-big': 'lost',
  unplugged: 'lost',
  dropped: 'lost',
  'link-busy': 'lost',
  corrupted: 'corrupted',
};

/** One name for a connection whichever side names it: "10.0.0.1:49152>10.0.0.2:23" and its reverse give the same key. */
export function connKey(conn: string): string {
  const i = conn.indexOf('>');
  if (i < 0) return conn;
  const a = conn.slice(0, i);
  const b = conn.slice(i + 1);
  return a < b ? `${a}>${b}` : `${b}>${a}`;
}

export interface LadderLayout {
  /** Pixels per millisecond between events. */
  scale: number;
  /** Least distance between two frame events (sent, received), px. */
  rowGap: number;
  /** Longest distance between two events, px; longer spans are cut. */
  maxGap: number;
}

export const DEFAULT_LAYOUT: LadderLayout = { scale: 0.5, rowGap: 26, maxGap: 90 };

/** Items longer than this many pixels are kept in a separate list and always considered for drawing. */
const LONG = 2000;
const TOP = 24;

function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

export interface LadderOptions {
  /** The two columns, left to right. */
  hosts: readonly [string, string];
  /** Hosts whose frames this trace has both ways (solo: both; pair: ours only). */
  local: readonly string[];
  cap?: number;
  layout?: LadderLayout;
}

export class LadderModel {
  readonly hosts: readonly [string, string];
  readonly cap: number;
  layout: LadderLayout;
  /** Only items of this connection (connKey), or everything. */
  filter: string | undefined;

  private local: Set<string>;
  private items: LadderItem[] = [];
  private itemBase = 0;
  // The axis: one entry per event placed on it (global op number = opBase + index).
  private opT: number[] = [];
  private opRow: boolean[] = [];
  private opItem: number[] = [];
  private opY: number[] = [];
  /** Time skipped by a cut just before this op (0: none). */
  private opCut: number[] = [];
  private opBase = 0;
  private lastT: number | undefined;
  private lastY = TOP;
  /** Items that pass the filter, by item number, in order of their top. */
  private shown: number[] = [];
  /** Shown items taller than LONG (or still open, like a running timer). */
  private long = new Set<number>();

  private readonly pending = new Map<number, ArrowItem[]>();
  private readonly delivered = new Map<number, ArrowItem>();
  private readonly byRef = new Map<string, ArrowItem>();
  private readonly pendingFates = new Map<string, { fate: string; delayMs?: number }[]>();
  private readonly openTimers = new Map<string, TimerItem>();
  /** Initial sequence number and window scale offer of each direction ("a:p>b:q"). */
  private readonly isn = new Map<string, { isn: number; wscale: number | undefined }>();
  private readonly recentTx = new Map<string, ArrowItem[]>();
  private readonly connNames = new Map<string, string>();
  /** Bumped on every change, so a renderer can tell cheaply whether to draw again. */
  version = 0;

  constructor(options: LadderOptions) {
    this.hosts = options.hosts;
    this.local = new Set(options.local);
    this.cap = options.cap ?? 20_000;
    this.layout = options.layout ?? DEFAULT_LAYOUT;
  }

  // ---------------- input ----------------

  apply(batch: readonly TraceEvent[]): void {
    for (const e of batch) this.applyOne(e);
    if (this.items.length > this.cap * 1.25) this.evict(this.items.length - this.cap);
    this.version++;
  }

  private applyOne(e: TraceEvent): void {
    switch (e.type) {
      case 'frame':
        if (e.dir === 'tx') this.onTx(e);
        else this.onRx(e);
        return;
      case 'fate':
        if (e.frameId !== undefined) this.onFate(e.host, e.frameId, e.fate, e.delayMs);
        return;
      case 'tcp':
        if (e.what === 'state') this.onState(e.host, e.conn, e.t, e.from, e.to, e.cause);
        else if (e.what === 'retransmit') this.onRetransmit(e.host, e.conn, e.seq, e.cause);
        return;
      case 'timer':
        this.onTimer(e);
        return;
      case 'app': {
        const p: PhaseItem = { kind: 'phase', n: this.itemBase + this.items.length, host: e.host, conn: '', t: e.t, op: -1, phase: e.phase, detail: e.detail };
        this.addItem(p);
        p.op = this.addOp(e.t, true, p.n);
        return;
      }
      case 'host':
        // A crashed host's timers die with it.
        if (e.what === 'down') for (const [k, timer] of this.openTimers) if (timer.host === e.host) this.closeTimer(k, timer, e.t, 'stop');
        return;
    }
  }

  private other(host: string): string {
    return host === this.hosts[0] ? this.hosts[1] : this.hosts[0];
  }

  private newArrow(e: FrameEvent, from: string, to: string): ArrowItem {
    const proto = frameKind(e.frame);
    const tcp = proto === 'tcp' ? tcpFields(e.frame) : undefined;
    let conn: string | undefined;
    let seqBase: number | undefined;
    let ackBase: number | undefined;
    let winShift = 0;
    if (tcp) {
      const dir = `${tcp.src}:${tcp.srcPort}>${tcp.dst}:${tcp.dstPort}`;
      const rev = `${tcp.dst}:${tcp.dstPort}>${tcp.src}:${tcp.srcPort}`;
      conn = connKey(dir);
      if (!this.connNames.has(conn)) this.connNames.set(conn, dir);
      const syn = (tcp.flags & 0x02) !== 0;
      let mine = this.isn.get(dir);
      // A new SYN starts a new numbering (a new connection on the same ports); without one, the first seq seen is the base.
      if (syn && (!mine || mine.isn !== tcp.seq)) this.isn.set(dir, (mine = { isn: tcp.seq, wscale: tcp.wscale }));
      else if (!mine) this.isn.set(dir, (mine = { isn: (tcp.seq - 1) >>> 0, wscale: undefined }));
      const theirs = this.isn.get(rev);
      seqBase = mine.isn;
      ackBase = theirs?.isn;
      if (!syn && mine.wscale !== undefined && theirs?.wscale !== undefined) winShift = mine.wscale;
    }
    return {
      kind: 'arrow',
      n: this.itemBase + this.items.length,
      from,
      to,
      ref: { host: e.host, id: e.id },
      rxRef: undefined,
      t0: undefined,
      t1: undefined,
      txOp: -1,
      rxOp: -1,
      proto,
      conn,
      tcp,
      seqBase,
      ackBase,
      winShift,
      text: tcp ? '' : otherLabel(e.frame),
      fate: 'pending',
      marks: [],
      delayMs: undefined,
      retransmit: undefined,
      copy: false,
    };
  }

  private onTx(e: FrameEvent): void {
    const a = this.newArrow(e, e.host, this.other(e.host));
    a.t0 = e.t;
    this.addItem(a);
    a.txOp = this.addOp(e.t, true, a.n);
    this.byRef.set(`${e.host}:${e.id}`, a);
    if (this.local.has(a.to)) {
      const h = fnv(e.frame);
      const list = this.pending.get(h);
      if (list) list.push(a);
      else this.pending.set(h, [a]);
      (a as ArrowItem & { hash?: number }).hash = h;
    }
    const recent = this.recentTx.get(e.host) ?? [];
    recent.push(a);
    if (recent.length > 8) recent.shift();
    this.recentTx.set(e.host, recent);
    const early = this.pendingFates.get(`${e.host}:${e.id}`);
    if (early) {
      this.pendingFates.delete(`${e.host}:${e.id}`);
      for (const f of early) this.markFate(a, f.fate, f.delayMs);
    }
  }

  private onRx(e: FrameEvent): void {
    const from = this.other(e.host);
    if (this.local.has(from)) {
      // Both ends are ours: this is the arrival of a frame we saw leave.
      const h = fnv(e.frame);
      const list = this.pending.get(h);
      let a = list?.find((x) => x.fate === 'pending');
      if (list && a) {
        list.splice(list.indexOf(a), 1);
        if (list.length === 0) this.pending.delete(h);
      } else {
        // No frame waiting with these bytes: a copy the conditioner made, or a corrupted frame (its bytes changed; it is drawn where it died).
        const first = this.delivered.get(h);
        if (!first || !first.marks.includes('duplicated')) return;
        a = { ...first, n: this.itemBase + this.items.length, marks: [...first.marks], copy: true, rxOp: -1 };
        this.addItem(a);
      }
      this.arrive(a, e);
      this.delivered.set(h, a);
      if (this.delivered.size > 4096) this.delivered.delete(this.delivered.keys().next().value!);
      return;
    }
    // Pair mode: the peer's frame, seen only arriving.
    const a = this.newArrow(e, from, e.host);
    this.addItem(a);
    this.arrive(a, e);
    this.byRef.set(`${e.host}:${e.id}`, a);
  }

  private arrive(a: ArrowItem, e: FrameEvent): void {
    a.t1 = e.t;
    a.rxRef = { host: e.host, id: e.id };
    a.fate = 'arrived';
    a.rxOp = this.addOp(e.t, true, a.n);
    this.byRef.set(`${e.host}:${e.id}`, a);
    this.touch(a);
  }

  private onFate(host: string, frameId: number, fate: string, delayMs: number | undefined): void {
    const a = this.byRef.get(`${host}:${frameId}`);
    if (a && a.ref.host === host) return this.markFate(a, fate, delayMs);
    const key = `${host}:${frameId}`;
    const list = this.pendingFates.get(key) ?? [];
    list.push({ fate, delayMs });
    this.pendingFates.set(key, list);
    if (this.pendingFates.size > 256) this.pendingFates.delete(this.pendingFates.keys().next().value!);
  }

  private markFate(a: ArrowItem, fate: string, delayMs: number | undefined): void {
    const killed = KILLED[fate];
    if (killed) {
      if (a.fate === 'pending') a.fate = killed;
      else if (!a.marks.includes(fate)) a.marks.push(fate);
    } else if (fate !== 'released' && !a.marks.includes(fate)) a.marks.push(fate);
    if (delayMs !== undefined && fate === 'delayed') a.delayMs = delayMs;
  }

  private onRetransmit(host: string, conn: string, seq: number, cause: string): void {
    const recent = this.recentTx.get(host);
    if (!recent) return;
    const key = connKey(conn);
    for (let i = recent.length - 1; i >= 0; i--) {
      const a = recent[i]!;
      if (a.conn === key && a.tcp?.seq === seq && a.retransmit === undefined) {
        a.retransmit = cause;
        return;
      }
    }
  }

  private onState(host: string, conn: string, t: number, from: string, to: string, cause: string): void {
    const s: StateItem = { kind: 'state', n: this.itemBase + this.items.length, host, conn: connKey(conn), t, op: -1, from, to, cause };
    this.addItem(s);
    s.op = this.addOp(t, false, s.n);
    // A closed connection has no timers left, whether or not each stop was traced.
    if (to === 'CLOSED') for (const [k, timer] of this.openTimers) if (timer.host === host && timer.conn === s.conn) this.closeTimer(k, timer, t, 'stop');
  }

  private onTimer(e: TimerEvent): void {
    if (!BRACKET_TIMERS.has(e.kind) || !e.owner.includes('>')) return;
    const key = `${e.host}|${e.owner}|${e.kind}`;
    const open = this.openTimers.get(key);
    if (e.what === 'start') {
      if (open) this.closeTimer(key, open, e.t, 'restart');
      // One timer slot serves several kinds (the retransmission timer is the SYN, SYN+ACK, RTO or persist timer): a new kind replaces the old.
      const slot = TIMER_SLOT[e.kind];
      for (const [k, other] of this.openTimers) {
        if (other.host === e.host && other.conn === connKey(e.owner) && other.timer !== e.kind && TIMER_SLOT[other.timer] === slot) this.closeTimer(k, other, e.t, 'stop');
      }
      const timer: TimerItem = { kind: 'timer', n: this.itemBase + this.items.length, host: e.host, conn: connKey(e.owner), timer: e.kind, t0: e.t, startOp: -1, deadline: e.deadline, t1: undefined, endOp: -1, end: undefined };
      this.addItem(timer);
      timer.startOp = this.addOp(e.t, false, timer.n);
      this.openTimers.set(key, timer);
      if (this.passes(timer)) this.long.add(timer.n);
    } else if (open) {
      this.closeTimer(key, open, e.t, e.what);
    }
  }

  private closeTimer(key: string, timer: TimerItem, t: number, end: TimerEnd): void {
    this.openTimers.delete(key);
    timer.t1 = t;
    timer.end = end;
    timer.endOp = this.addOp(t, false, timer.n);
    this.touch(timer);
  }

  // ---------------- the axis ----------------

  private addItem(item: LadderItem): void {
    this.items.push(item);
    if (this.passes(item)) this.shown.push(item.n);
  }

  private passes(item: LadderItem): boolean {
    return this.filter === undefined || item.kind === 'phase' || item.conn === this.filter;
  }

  private addOp(t: number, row: boolean, item: number): number {
    const i = this.opT.length;
    this.opT.push(t);
    this.opRow.push(row);
    this.opItem.push(item);
    this.opY.push(NaN);
    this.opCut.push(0);
    const it = this.item(item);
    if (it && this.passes(it)) this.place(i);
    return this.opBase + i;
  }

  private place(i: number): void {
    const t = this.opT[i]!;
    const { scale, rowGap, maxGap } = this.layout;
    let dy = 0;
    let cut = 0;
    if (this.lastT !== undefined) {
      const dt = Math.max(0, t - this.lastT);
      dy = dt * scale;
      if (dy > maxGap) {
        cut = dt;
        dy = maxGap;
      }
      if (this.opRow[i] && dy < rowGap) dy = rowGap;
    }
    this.lastT = t;
    this.lastY += dy;
    this.opY[i] = this.lastY;
    this.opCut[i] = cut;
  }

  /** Places everything again: after a zoom or a change of filter. */
  relayout(): void {
    this.lastT = undefined;
    this.lastY = TOP;
    this.shown = [];
    this.long.clear();
    for (const item of this.items) if (this.passes(item)) this.shown.push(item.n);
    for (let i = 0; i < this.opT.length; i++) {
      const item = this.item(this.opItem[i]!);
      if (item && this.passes(item)) this.place(i);
      else this.opY[i] = NaN;
    }
    for (const n of this.shown) {
      const item = this.item(n)!;
      if (item.kind === 'timer' && item.end === undefined) this.long.add(n);
      else this.touch(item);
    }
    this.version++;
  }

  setLayout(layout: LadderLayout): void {
    this.layout = layout;
    this.relayout();
  }

  /** Which hosts' frames this trace has both ways (known once the lab has started). */
  setLocal(hosts: readonly string[]): void {
    this.local = new Set(hosts);
  }

  setFilter(conn: string | undefined): void {
    this.filter = conn;
    this.relayout();
  }

  /** Re-files an item whose extent grew (it arrived, its timer ended) in the long list if it became tall. */
  private touch(item: LadderItem): void {
    if (!this.passes(item)) return;
    const [top, bottom] = this.extent(item);
    if (bottom - top > LONG) this.long.add(item.n);
    else this.long.delete(item.n);
  }

  private item(n: number): LadderItem | undefined {
    return this.items[n - this.itemBase];
  }

  /** y of a global op number (NaN when evicted or filtered out). */
  y(op: number): number {
    if (op < this.opBase) return NaN;
    return this.opY[op - this.opBase] ?? NaN;
  }

  /** Time skipped by the cut just above op (0 when the gap is to scale). */
  cutBefore(op: number): number {
    return op < this.opBase ? 0 : (this.opCut[op - this.opBase] ?? 0);
  }

  /** Where time t (at or after the last event) would be drawn. */
  yAtOrAfterLast(t: number): number {
    if (this.lastT === undefined) return this.lastY;
    return this.lastY + Math.min(this.layout.maxGap, Math.max(0, t - this.lastT) * this.layout.scale);
  }

  /** The bottom of everything drawn so far, px. */
  get height(): number {
    return this.lastY + TOP;
  }

  /** An arrow's ends on the axis; a side not seen is drawn a nominal row away. */
  arrowYs(a: ArrowItem): { y0: number; y1: number } {
    const gap = this.layout.rowGap;
    const y0 = a.txOp >= 0 ? this.y(a.txOp) : this.y(a.rxOp) - 1.5 * gap;
    let y1: number;
    if (a.rxOp >= 0) y1 = this.y(a.rxOp);
    else if (a.fate === 'lost' || a.fate === 'corrupted') y1 = y0 + gap; // drawn to mid-link, where it died
    else y1 = y0 + 1.5 * gap; // not arrived (yet), or its arrival is not ours to see
    return { y0, y1 };
  }

  /** Top and bottom of an item, px. */
  extent(item: LadderItem, nowY = this.lastY): [number, number] {
    switch (item.kind) {
      case 'arrow': {
        const { y0, y1 } = this.arrowYs(item);
        return [Math.min(y0, y1), Math.max(y0, y1)];
      }
      case 'state':
      case 'phase':
        return [this.y(item.op), this.y(item.op)];
      case 'timer':
        return [this.y(item.startOp), item.endOp >= 0 ? this.y(item.endOp) : nowY];
    }
  }

  /** Items that pass the filter and touch [y0, y1], in order. */
  visible(y0: number, y1: number): LadderItem[] {
    const out: LadderItem[] = [];
    const shown = this.shown;
    // First shown item whose top is at or after y0 - LONG (shorter items above cannot reach y0).
    let lo = 0;
    let hi = shown.length;
    const from = y0 - LONG;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const item = this.item(shown[mid]!);
      const top = item ? this.extent(item)[0] : -Infinity;
      if (top < from || Number.isNaN(top)) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < shown.length; k++) {
      const item = this.item(shown[k]!);
      if (!item || this.long.has(item.n)) continue;
      const [top, bottom] = this.extent(item);
      if (top > y1 + LONG) break;
      if (bottom >= y0 && top <= y1) out.push(item);
    }
    for (const n of this.long) {
      const item = this.item(n);
      if (!item) continue;
      const [top, bottom] = this.extent(item);
      if (bottom >= y0 && top <= y1) out.push(item);
    }
    return out;
  }

  /** Shown arrows in order (for keyboard navigation). */
  arrows(): ArrowItem[] {
    const out: ArrowItem[] = [];
    for (const n of this.shown) {
      const item = this.item(n);
      if (item?.kind === 'arrow') out.push(item);
    }
    return out;
  }

  /** The arrow of a frame, by the sender's or the receiver's number. */
  find(ref: FrameRef): ArrowItem | undefined {
    return this.byRef.get(`${ref.host}:${ref.id}`);
  }

  /** The connections seen, by key, with the name of their first segment's direction. */
  connections(): { key: string; name: string }[] {
    return [...this.connNames].map(([key, name]) => ({ key, name }));
  }

  /** Timers still running. */
  running(): TimerItem[] {
    return [...this.openTimers.values()];
  }

  get size(): number {
    return this.items.length;
  }

  // ---------------- bounds ----------------

  private evict(count: number): void {
    const gone = this.items.splice(0, count);
    this.itemBase += count;
    for (const item of gone) {
      this.long.delete(item.n);
      if (item.kind !== 'arrow') continue;
      this.byRef.delete(`${item.ref.host}:${item.ref.id}`);
      if (item.rxRef) this.byRef.delete(`${item.rxRef.host}:${item.rxRef.id}`);
      const h = (item as ArrowItem & { hash?: number }).hash;
      if (h !== undefined) {
        const list = this.pending.get(h);
        const i = list ? list.indexOf(item) : -1;
        if (list && i >= 0) {
          list.splice(i, 1);
          if (list.length === 0) this.pending.delete(h);
        }
        if (this.delivered.get(h) === item) this.delivered.delete(h);
      }
    }
    for (const [k, timer] of this.openTimers) if (timer.n < this.itemBase) this.openTimers.delete(k);
    // Ops of evicted items go too (all ops before the first kept item's first op).
    let drop = 0;
    while (drop < this.opItem.length && this.opItem[drop]! < this.itemBase) drop++;
    this.opT.splice(0, drop);
    this.opRow.splice(0, drop);
    this.opItem.splice(0, drop);
    this.opY.splice(0, drop);
    this.opCut.splice(0, drop);
    this.opBase += drop;
    let s = 0;
    while (s < this.shown.length && this.shown[s]! < this.itemBase) s++;
    this.shown.splice(0, s);
  }
}

// ---------------- labels ----------------

/** Sequence numbers as shown: relative to the initial sequence number (as Wireshark does) or absolute. */
export function arrowLabel(a: ArrowItem, relative: boolean): string {
  const tcp = a.tcp;
  if (!tcp) return a.text;
  const rel = (v: number, base: number | undefined) => (relative && base !== undefined ? (v - base) >>> 0 : v);
  const parts = [flagNames(tcp.flags), `seq=${rel(tcp.seq, a.seqBase)}`];
  if (tcp.flags & 0x10) parts.push(`ack=${rel(tcp.ack, a.ackBase)}`);
  parts.push(`win=${tcp.win * 2 ** a.winShift}`, `len=${tcp.len}`);
  return parts.join(' ');
}

