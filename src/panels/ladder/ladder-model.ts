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
 * The axis is kept in time order, not in the order events came in: in a
 * pairing the peer's events (applyPeer) arrive a few hundred ms late, and are
 * slotted in at their time. Everything from that point down is then placed
 * again (`settle`); since placement only looks at the event just above, the
 * part below moves down as one block and keeps its shape.
 *
 * Pairing. Each tab traces only its own host, so alone it sees our frames
 * leave and the peer's arrive. The peer's summary (lib/peer/peer-trace.ts,
 * its times already on our timeline) fills in the rest: an arrow we sent gets
 * its arrival from the peer's "received"; a frame only seen arriving gets its
 * sending from the peer's "sent"; a frame the peer's conditioner killed is
 * drawn from the peer's column to where it died; the peer's state changes and
 * timers go on its column. Frames are matched by their identity
 * (lib/frame-identity.ts). A time from the peer is only as good as the clock
 * offset: an arrival is never drawn before its sending (it is clamped), and
 * events that cannot be placed (not finite, a state change repeated) are
 * counted in `peerRefused`, never thrown.
 *
 * Everything is bounded: at most `cap` items are kept; the oldest go first;
 * the maps that wait for the other end of a frame hold at most WAITING
 * entries. Only the items inside a window of the axis are handed to the
 * renderer (`visible`), found by binary search.
 */

import type { AppEvent, FrameEvent, TimerEvent, TraceEvent } from '../../../worker/trace/events';
import { frameIdentity } from '../../lib/frame-identity';
import type { PeerEvent } from '../../lib/peer/peer-trace';
import { flagNames, frameKind, otherLabel, tcpFields, type FrameKind, type TcpHeaderFields } from './frame-label';

export interface FrameRef {
  host: string;
  id: number;
}

/** How a frame's trip ended: arrived, killed by the conditioner, or still (or forever, as far as we know) on its way. */
export type ArrowFate = 'arrived' | 'lost' | 'corrupted' | 'pending';

/**
 * Where a killed frame died: at the sender, before it left (the cable
 * unplugged, too big for the link's MTU, the rate limiter's queue full, a
 * transmitter that would not take it), or on the link (lost, damaged, or
 * dropped by hand while held or delayed there).
 */
export type DiedAt = 'sender' | 'link';

/** How far from the sender's column towards the receiver's a frame that died there ends in its X. */
export const DIED_AT_REACH: Readonly<Record<DiedAt, number>> = { sender: 0.15, link: 0.5 };

/** How far an arrow is drawn, as a fraction of the way from its sender's column to its receiver's: all the way unless it was killed. */
export function arrowReach(a: ArrowItem): number {
  return a.diedAt === undefined ? 1 : DIED_AT_REACH[a.diedAt];
}

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
  /** Where it died, when it was killed (fate lost or corrupted). */
  diedAt: DiedAt | undefined;
  /** Other things the conditioner did to it: delayed, reordered, duplicated, held, queued. */
  marks: string[];
  delayMs: number | undefined;
  /** Set when the sender traced it as a retransmission, with the cause. */
  retransmit: string | undefined;
  /** A second copy delivered by the conditioner's duplication. */
  copy: boolean;
  /** The frame's identity (lib/frame-identity.ts), while one end may still be matched to it. */
  identity: number | undefined;
  /** Which end's time came from the peer tab, mapped through the clock offset (so only as exact as that). */
  peerTime: 't0' | 't1' | undefined;
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
  phase: AppEvent['phase'];
  detail: string;
}

export type LadderItem = ArrowItem | StateItem | TimerItem | PhaseItem;

/** The TCP timers drawn as brackets (other timers belong to ARP and IP, not to a connection). */
export const BRACKET_TIMERS = new Set(['rto', 'syn', 'synack', 'persist', 'time-wait', 'fin-wait-2', 'delayed-ack', 'keepalive']);

/** Which timer of the connection each kind runs on (tcb.ts): kinds on one slot replace each other. */
const TIMER_SLOT: Record<string, string> = { rto: 'rtx', syn: 'rtx', synack: 'rtx', persist: 'rtx', 'time-wait': 'close', 'fin-wait-2': 'close', 'delayed-ack': 'delack', keepalive: 'keep' };

/** Fates that end a frame's trip (the conditioner's, worker/link/conditioner.ts), and where the frame died. */
const KILLED: Record<string, { fate: 'lost' | 'corrupted'; at: DiedAt } | undefined> = {
  'lost-random': { fate: 'lost', at: 'link' },
  'lost-burst': { fate: 'lost', at: 'link' },
  // Held or delayed in the conditioner (on its way), then dropped by hand or when the link was flushed.
  dropped: { fate: 'lost', at: 'link' },
  // One bit flipped on the way; the receiver's checksum then throws it away.
  corrupted: { fate: 'corrupted', at: 'link' },
  // Never left: the rate limiter's queue was full, the link's MTU too small, the cable unplugged, the transmitter busy.
  'queue-full': { fate: 'lost', at: 'sender' },
  'too-big': { fate: 'lost', at: 'sender' },
  unplugged: { fate: 'lost', at: 'sender' },
  'link-busy': { fate: 'lost', at: 'sender' },
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

/** Most identities each waiting map keeps (frames whose other end has not been reported yet). */
const WAITING = 4096;
/** Most frames one identity may have waiting (a hostile peer could repeat one forever). */
const SAME_IDENTITY = 64;

/** Appends to a list in a map of lists, both bounded: the oldest key goes first. */
function pushWaiting<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) {
    if (list.length < SAME_IDENTITY) list.push(value);
    return;
  }
  map.set(key, [value]);
  if (map.size > WAITING) map.delete(map.keys().next().value!);
}

function removeWaiting<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  const i = list ? list.indexOf(value) : -1;
  if (i < 0) return;
  list!.splice(i, 1);
  if (list!.length === 0) map.delete(key);
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
  /** Peer events that could not be merged (not finite, repeated): counted, not drawn. */
  peerRefused = 0;

  private local: Set<string>;
  /** The host whose events come from the other tab (pair mode), or undefined (solo: both are here). */
  private peer: string | undefined;
  private items: LadderItem[] = [];
  private itemBase = 0;
  // The axis: one entry per event placed on it, by op number (global op number = opBase + index, in the order added).
  private opT: number[] = [];
  private opRow: boolean[] = [];
  private opItem: number[] = [];
  /** y of each op; an op of an item the filter hides sits at the y of the op above it (so y never decreases down the axis). */
  private opY: number[] = [];
  /** Time skipped by a cut just before this op (0: none). */
  private opCut: number[] = [];
  private opBase = 0;
  /** Op numbers in time order (ties: in the order added): the axis from top to bottom. */
  private order: number[] = [];
  /** Position in `order` from which ops still need placing (order.length when all are placed). */
  private unplaced = 0;
  /** Items to re-file in `long` once the axis is settled. */
  private readonly retouch = new Set<number>();
  // Placement state at the bottom of the axis: the last shown op's time, the last op's y.
  private lastT: number | undefined;
  private lastY = TOP;
  /** Shown items taller than LONG (or still open, like a running timer). */
  private long = new Set<number>();

  /** Arrows whose sending we saw, waiting for their arrival (here in solo mode, the peer's report in a pairing), by identity. */
  private readonly pending = new Map<number, ArrowItem[]>();
  private readonly delivered = new Map<number, ArrowItem>();
  /** Pair: the peer's frames seen arriving here, waiting for the peer's report of their sending, by identity. */
  private readonly awaitingTx = new Map<number, ArrowItem[]>();
  /** Pair: the peer's reports of frames sent that have not arrived here (yet, or ever), by identity. */
  private readonly peerSent = new Map<number, { t: number; retransmit: string | undefined; dup: boolean }[]>();
  /** Pair: the last matched sending of each identity, so a duplicate arriving later gets the same start. */
  private readonly peerDone = new Map<number, { t0: number; retransmit: string | undefined; dup: boolean }>();
  /** Pair: the peer's last state change per connection, to drop repeats. */
  private readonly peerLastState = new Map<string, string>();
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
    this.peer = this.hosts.find((h) => !this.local.has(h));
    this.cap = options.cap ?? 20_000;
    this.layout = options.layout ?? DEFAULT_LAYOUT;
  }

  // ---------------- input ----------------

  apply(batch: readonly TraceEvent[]): void {
    for (const e of batch) this.applyOne(e);
    this.finish();
  }

  /** The peer tab's events, on our timeline (pair mode; ignored when both hosts are local). */
  applyPeer(batch: readonly PeerEvent[]): void {
    const peer = this.peer;
    if (peer === undefined) return;
    for (const e of batch) {
      if (!Number.isFinite(e.t)) {
        this.peerRefused++;
        continue;
      }
      this.applyPeerOne(peer, e);
    }
    this.finish();
  }

  private finish(): void {
    this.settle();
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

  private applyPeerOne(peer: string, e: PeerEvent): void {
    switch (e.kind) {
      case 'rx':
        return this.onPeerRx(peer, e.t, e.id);
      case 'tx':
        return this.onPeerTx(e.t, e.id, e.retransmit);
      case 'fate':
        if (KILLED[e.fate]) this.onPeerKilled(peer, e.t, e.id, e.fate, e.head);
        else if (e.fate === 'duplicated') this.onPeerDuplicated(e.id);
        return;
      case 'state': {
        // The same change twice (a replayed message, a hostile peer) would write the state twice.
        const key = connKey(e.conn);
        const said = `${e.t}|${e.from}|${e.to}`;
        if (this.peerLastState.get(key) === said) {
          this.peerRefused++;
          return;
        }
        this.peerLastState.set(key, said);
        if (this.peerLastState.size > WAITING) this.peerLastState.delete(this.peerLastState.keys().next().value!);
        return this.onState(peer, e.conn, e.t, e.from, e.to, e.cause);
      }
      case 'timer':
        return this.onTimer({ type: 'timer', t: e.t, host: peer, what: e.what, kind: e.timer, owner: e.conn, deadline: e.deadline !== undefined && Number.isFinite(e.deadline) ? e.deadline : undefined });
    }
  }

  private other(host: string): string {
    return host === this.hosts[0] ? this.hosts[1] : this.hosts[0];
  }

  private newArrow(frame: Uint8Array, ref: FrameRef, from: string, to: string): ArrowItem {
    const proto = frameKind(frame);
    const tcp = proto === 'tcp' ? tcpFields(frame) : undefined;
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
      ref,
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
      text: tcp ? '' : otherLabel(frame),
      fate: 'pending',
      diedAt: undefined,
      marks: [],
      delayMs: undefined,
      retransmit: undefined,
      copy: false,
      identity: undefined,
      peerTime: undefined,
    };
  }

  private onTx(e: FrameEvent): void {
    const a = this.newArrow(e.frame, { host: e.host, id: e.id }, e.host, this.other(e.host));
    a.t0 = e.t;
    this.addItem(a);
    a.txOp = this.addOp(e.t, true, a.n);
    this.byRef.set(`${e.host}:${e.id}`, a);
    // Its arrival will be seen here (solo) or reported by the peer (pair).
    if (this.local.has(a.to) || a.to === this.peer) {
      a.identity = frameIdentity(e.frame);
      pushWaiting(this.pending, a.identity, a);
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
    const h = frameIdentity(e.frame);
    if (this.local.has(from)) {
      // Both ends are ours: this is the arrival of a frame we saw leave.
      let a = this.takePending(h, from);
      if (!a) {
        // No frame waiting with these bytes: a copy the conditioner made, or a corrupted frame (its bytes changed; it is drawn where it died).
        const first = this.delivered.get(h);
        if (!first || !first.marks.includes('duplicated')) return;
        a = this.copyOf(first);
      }
      this.arrive(a, e.t, { host: e.host, id: e.id });
      this.remember(h, a);
      return;
    }
    // Pair mode: the peer's frame, seen here arriving. Its sending comes from the peer's report, before this or after.
    const a = this.newArrow(e.frame, { host: e.host, id: e.id }, from, e.host);
    a.identity = h;
    this.addItem(a);
    const sent = this.peerSent.get(h)?.shift();
    if (this.peerSent.get(h)?.length === 0) this.peerSent.delete(h);
    const done = sent ? undefined : this.peerDone.get(h);
    if (sent) {
      this.sentAt(a, Math.min(sent.t, e.t), sent.retransmit);
      this.rememberPeerDone(h, { t0: a.t0!, retransmit: sent.retransmit, dup: sent.dup });
    } else if (done?.dup) {
      // A second copy of a frame the peer's conditioner duplicated.
      a.copy = true;
      a.marks.push('duplicated');
      this.sentAt(a, Math.min(done.t0, e.t), done.retransmit);
    } else pushWaiting(this.awaitingTx, h, a);
    this.arrive(a, e.t, { host: e.host, id: e.id });
  }

  /** The first arrow sent to `to` with this identity that is still on its way. */
  private takePending(h: number, from: string): ArrowItem | undefined {
    const list = this.pending.get(h);
    if (!list) return undefined;
    const i = list.findIndex((x) => x.fate === 'pending' && x.from === from && x.n >= this.itemBase);
    if (i < 0) return undefined;
    const a = list[i]!;
    list.splice(i, 1);
    if (list.length === 0) this.pending.delete(h);
    return a;
  }

  /** A second copy of a delivered frame: it left with the original (sharing its sending on the axis) and arrives on its own. */
  private copyOf(first: ArrowItem): ArrowItem {
    const a: ArrowItem = { ...first, n: this.itemBase + this.items.length, marks: [...first.marks], copy: true, rxOp: -1, t1: undefined, rxRef: undefined, fate: 'pending', diedAt: undefined, peerTime: undefined };
    this.addItem(a);
    return a;
  }

  private remember(h: number, a: ArrowItem): void {
    this.delivered.set(h, a);
    if (this.delivered.size > WAITING) this.delivered.delete(this.delivered.keys().next().value!);
  }

  private rememberPeerDone(h: number, done: { t0: number; retransmit: string | undefined; dup: boolean }): void {
    this.peerDone.delete(h);
    this.peerDone.set(h, done);
    if (this.peerDone.size > WAITING) this.peerDone.delete(this.peerDone.keys().next().value!);
  }

  private arrive(a: ArrowItem, t: number, rxRef: FrameRef | undefined): void {
    a.t1 = t;
    a.rxRef = rxRef;
    a.fate = 'arrived';
    a.rxOp = this.addOp(t, true, a.n);
    if (rxRef) this.byRef.set(`${rxRef.host}:${rxRef.id}`, a);
    this.touch(a);
  }

  /** Gives an arrow seen only arriving its sending time, as the peer reported it. */
  private sentAt(a: ArrowItem, t0: number, retransmit: string | undefined): void {
    a.t0 = t0;
    a.peerTime = 't0';
    if (retransmit !== undefined) a.retransmit = retransmit;
    a.txOp = this.addOp(t0, true, a.n);
    this.touch(a);
  }

  /** The peer received a frame: the arrival of one we sent. */
  private onPeerRx(peer: string, t: number, h: number): void {
    const me = this.other(peer);
    let a = this.takePending(h, me);
    if (!a) {
      // A second arrival of one frame: our conditioner duplicated it. Anything else (a corrupted frame, a hostile report) matches nothing.
      const first = this.delivered.get(h);
      if (!first || first.to !== peer || !first.marks.includes('duplicated') || first.t0 === undefined) return;
      a = this.copyOf(first);
    }
    // An arrival before its sending can only be the offset's error: draw it level at worst.
    this.arrive(a, Math.max(t, a.t0 ?? t), undefined);
    a.peerTime = 't1';
    this.remember(h, a);
  }

  /** The peer sent a frame: the sending of one seen arriving here, or of one still (or for ever) on its way. */
  private onPeerTx(t: number, h: number, retransmit: string | undefined): void {
    const list = this.awaitingTx.get(h);
    let a: ArrowItem | undefined;
    while (list && list.length > 0 && !a) {
      const x = list.shift()!;
      if (x.n >= this.itemBase && x.t0 === undefined) a = x;
    }
    if (list?.length === 0) this.awaitingTx.delete(h);
    if (!a) {
      pushWaiting(this.peerSent, h, { t, retransmit, dup: false });
      return;
    }
    this.sentAt(a, Math.min(t, a.t1 ?? t), retransmit);
    this.rememberPeerDone(h, { t0: a.t0!, retransmit, dup: false });
  }

  /** The peer's conditioner duplicated a frame: a second arrival here is a copy of the first. */
  private onPeerDuplicated(h: number): void {
    const sent = this.peerSent.get(h)?.at(-1);
    if (sent) {
      sent.dup = true;
      return;
    }
    const done = this.peerDone.get(h);
    if (!done) return;
    done.dup = true;
    // The copy may have arrived already, waiting for a sending time.
    const list = this.awaitingTx.get(h);
    const a = list?.find((x) => x.n >= this.itemBase && x.t0 === undefined);
    if (!a) return;
    removeWaiting(this.awaitingTx, h, a);
    a.copy = true;
    if (!a.marks.includes('duplicated')) a.marks.push('duplicated');
    this.sentAt(a, Math.min(done.t0, a.t1 ?? done.t0), done.retransmit);
  }

  /** The peer's conditioner killed a frame we will never see: drawn from the peer to where it died, from the head the peer sent. */
  private onPeerKilled(peer: string, t: number, h: number, fate: string, head: Uint8Array | undefined): void {
    const sent = this.peerSent.get(h)?.shift();
    if (this.peerSent.get(h)?.length === 0) this.peerSent.delete(h);
    const n = this.itemBase + this.items.length;
    // It was never a frame of ours: a number no frame has, so selecting it selects nothing elsewhere.
    const a = this.newArrow(head ?? new Uint8Array(0), { host: peer, id: -1 - n }, peer, this.other(peer));
    if (a.proto !== 'tcp' && (!head || a.text.startsWith('Malformed'))) a.text = a.proto === 'other' ? fate : a.proto.toUpperCase();
    const t0 = sent ? Math.min(sent.t, t) : t;
    a.t0 = t0;
    a.peerTime = 't0';
    a.retransmit = sent?.retransmit;
    this.addItem(a);
    a.txOp = this.addOp(t0, true, a.n);
    this.markFate(a, fate, undefined);
    this.byRef.set(`${a.ref.host}:${a.ref.id}`, a);
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
      if (a.fate === 'pending') {
        a.fate = killed.fate;
        a.diedAt = killed.at;
      } else if (!a.marks.includes(fate)) a.marks.push(fate);
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
      this.touch(timer);
    } else if (open) {
      this.closeTimer(key, open, e.t, e.what);
    }
  }

  private closeTimer(key: string, timer: TimerItem, t: number, end: TimerEnd): void {
    this.openTimers.delete(key);
    // A peer's stop reported a little before its start (offset error, reordering) still ends where it began at worst.
    timer.t1 = Math.max(t, timer.t0);
    timer.end = end;
    timer.endOp = this.addOp(timer.t1, false, timer.n);
    this.touch(timer);
  }

  // ---------------- the axis ----------------

  private addItem(item: LadderItem): void {
    this.items.push(item);
  }

  private passes(item: LadderItem): boolean {
    return this.filter === undefined || item.kind === 'phase' || item.conn === this.filter;
  }

  /** Puts an event on the axis at its time: appended (and placed at once) in the usual case, slotted in when it is late. */
  private addOp(t: number, row: boolean, item: number): number {
    const i = this.opT.length;
    const op = this.opBase + i;
    this.opT.push(t);
    this.opRow.push(row);
    this.opItem.push(item);
    this.opY.push(NaN);
    this.opCut.push(0);
    const order = this.order;
    const end = order.length;
    if (end > 0 && this.opT[order[end - 1]! - this.opBase]! > t) {
      // Earlier than the bottom of the axis: after every op at or before t.
      let lo = 0;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.opT[order[mid]! - this.opBase]! <= t) lo = mid + 1;
        else hi = mid;
      }
      order.splice(lo, 0, op);
      if (lo < this.unplaced) this.unplaced = lo;
    } else {
      order.push(op);
      if (this.unplaced === end) {
        this.place(i);
        this.unplaced = order.length;
      }
    }
    return op;
  }

  private place(i: number): void {
    const item = this.item(this.opItem[i]!);
    if (!item || !this.passes(item)) {
      this.opY[i] = this.lastY;
      this.opCut[i] = 0;
      return;
    }
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

  /** Places every op from the first unplaced one down, and re-files the items they belong to. */
  private settle(): void {
    const order = this.order;
    const from = this.unplaced;
    if (from < order.length) {
      // The placement state just above `from`: the y there, and the time of the last op shown above it.
      this.lastY = from > 0 ? this.opY[order[from - 1]! - this.opBase]! : TOP;
      this.lastT = undefined;
      for (let k = from - 1; k >= 0; k--) {
        const i = order[k]! - this.opBase;
        const item = this.item(this.opItem[i]!);
        if (item && this.passes(item)) {
          this.lastT = this.opT[i];
          break;
        }
      }
      for (let k = from; k < order.length; k++) {
        const i = order[k]! - this.opBase;
        this.place(i);
        this.retouch.add(this.opItem[i]!);
      }
      this.unplaced = order.length;
    }
    if (this.retouch.size === 0) return;
    for (const n of this.retouch) {
      const item = this.item(n);
      if (item) this.touch(item);
    }
    this.retouch.clear();
  }

  /** Places everything again: after a zoom or a change of filter. */
  relayout(): void {
    this.long.clear();
    this.unplaced = 0;
    this.settle();
    this.version++;
  }

  setLayout(layout: LadderLayout): void {
    this.layout = layout;
    this.relayout();
  }

  /** Which hosts' frames this trace has both ways (known once the lab has started). */
  setLocal(hosts: readonly string[]): void {
    this.local = new Set(hosts);
    this.peer = this.hosts.find((h) => !this.local.has(h));
  }

  setFilter(conn: string | undefined): void {
    this.filter = conn;
    this.relayout();
  }

  /** Re-files an item whose extent changed (it arrived, its timer ended) in the long list if it became tall. */
  private touch(item: LadderItem): void {
    if (this.unplaced < this.order.length) {
      this.retouch.add(item.n);
      return;
    }
    if (!this.passes(item)) {
      this.long.delete(item.n);
      return;
    }
    if (item.kind === 'timer' && item.end === undefined) {
      // Still running: it reaches down to now, wherever that is.
      this.long.add(item.n);
      return;
    }
    const [top, bottom] = this.extent(item);
    if (bottom - top > LONG) this.long.add(item.n);
    else this.long.delete(item.n);
  }

  private item(n: number): LadderItem | undefined {
    return n < this.itemBase ? undefined : this.items[n - this.itemBase];
  }

  /** y of a global op number (NaN when evicted or filtered out). */
  y(op: number): number {
    if (op < this.opBase) return NaN;
    const i = op - this.opBase;
    const item = this.item(this.opItem[i] ?? -1);
    if (!item || !this.passes(item)) return NaN;
    return this.opY[i] ?? NaN;
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
    else if (a.fate === 'lost' || a.fate === 'corrupted') y1 = y0 + gap; // drawn to where it died (arrowReach)
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

  /** Items that pass the filter and touch [y0, y1], in the order of their first event on the axis. */
  visible(y0: number, y1: number): LadderItem[] {
    const out: LadderItem[] = [];
    const order = this.order;
    // An item no taller than LONG that touches [y0, y1] has all its ops within LONG of it; taller ones are in `long`.
    // y never decreases down the axis, so the first op at or below y0 - LONG is found by binary search.
    const from = y0 - LONG;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.opY[order[mid]! - this.opBase]! < from) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<number>();
    for (let k = lo; k < order.length; k++) {
      const i = order[k]! - this.opBase;
      if (this.opY[i]! > y1 + LONG) break;
      const n = this.opItem[i]!;
      if (seen.has(n) || this.long.has(n)) continue;
      seen.add(n);
      const item = this.item(n);
      if (!item || !this.passes(item)) continue;
      const [top, bottom] = this.extent(item);
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

  /** Shown arrows in the order of their first end on the axis (for keyboard navigation). */
  arrows(): ArrowItem[] {
    const out: ArrowItem[] = [];
    const seen = new Set<number>();
    for (const op of this.order) {
      const n = this.opItem[op - this.opBase]!;
      if (seen.has(n)) continue;
      seen.add(n);
      const item = this.item(n);
      if (item?.kind === 'arrow' && this.passes(item)) out.push(item);
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
      this.retouch.delete(item.n);
      if (item.kind !== 'arrow') continue;
      this.byRef.delete(`${item.ref.host}:${item.ref.id}`);
      if (item.rxRef) this.byRef.delete(`${item.rxRef.host}:${item.rxRef.id}`);
      const h = item.identity;
      if (h !== undefined) {
        removeWaiting(this.pending, h, item);
        removeWaiting(this.awaitingTx, h, item);
        if (this.delivered.get(h) === item) this.delivered.delete(h);
      }
    }
    for (const [k, timer] of this.openTimers) if (timer.n < this.itemBase) this.openTimers.delete(k);
    // Ops of evicted items go too: the ones at the start of the op arrays now, the rest (late ends of old items) from the axis.
    let drop = 0;
    while (drop < this.opItem.length && this.opItem[drop]! < this.itemBase) drop++;
    this.opT.splice(0, drop);
    this.opRow.splice(0, drop);
    this.opItem.splice(0, drop);
    this.opY.splice(0, drop);
    this.opCut.splice(0, drop);
    this.opBase += drop;
    this.order = this.order.filter((op) => op >= this.opBase && this.opItem[op - this.opBase]! >= this.itemBase);
    this.unplaced = this.order.length;
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

