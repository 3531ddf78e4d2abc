/**
 * The peer's side of the ladder. In a pairing each tab traces only its own
 * host: it sees our frames leave and the peer's arrive, never the other ends,
 * nor the peer's TCP states and timers. So each tab sends the other a compact
 * summary of what its ladder needs, over the reliable control channel
 * (control.ts, message `trace`), and merges what it receives onto its own
 * timeline (timeline.ts).
 *
 *   our trace batches ─▶ PeerTraceExporter ─(every FLUSH_MS)─▶ control channel
 *   control channel ─▶ parseTrace (control.ts) ─▶ PeerTraceImporter ─▶ PeerEvent[]
 *                                                  (clock mapping)      └─▶ LadderModel.applyPeer
 *
 * What is sent, one short array per event, times in the sender's stack ms:
 *
 *   ['x', t, id, cause?]           a frame sent; cause when TCP traced it as a retransmission
 *   ['r', t, id]                   a frame received
 *   ['f', t, id, fate, head?]      the conditioner killed (or duplicated) a sent frame; a killed
 *                                  frame's first HEAD_BYTES bytes (base64) go along, since the
 *                                  receiver never sees it and needs its headers for the label
 *   ['s', t, conn, from, to, cause]  a TCP state transition
 *   ['m', t, what, timer, conn, deadline?]  a TCP timer started, stopped or fired
 *
 * `id` is the frame's identity (frame-identity.ts), the same number on both
 * ends for the same bytes. Each message also carries the sender's clock anchor
 * and its running total of events left out.
 *
 * Bounds. The page also relays every frame, so the cost per traced event must
 * stay small and the control channel must not fill up under a bulk transfer of
 * thousands of frames a second. Per FLUSH_MS window the exporter sends at most
 * COMMON_PER_FLUSH frame and timer-start events and PRIORITY_PER_FLUSH
 * state transitions, killed frames and timer ends (MAX_EVENTS_PER_SECOND in
 * all); the rest are counted as skipped, and the receiving ladder says how
 * many. The first events of each window win, so what is merged comes in
 * unbroken stretches (a handshake is drawn whole) rather than a thinned-out
 * sample. Messages are cut at MAX_MESSAGE_CHARS, under MAX_CONTROL_MESSAGE.
 *
 * The peer is untrusted: parseTrace validates every entry (types, ranges,
 * lengths, known names) and drops the bad ones with a count; the importer
 * bounds how many events a second it takes, how many it holds while no clock
 * estimate exists yet, and drops events whose times map absurdly far from now.
 */

import { TcpExpertFlag, type RetransmitCause, type TraceEvent } from '../../../worker/trace/events';
import type { TcpState } from '../../../worker/transport/tcp/config';
import { frameIdentity } from '../frame-identity';
import { peerToLocal, type ClockAnchor } from './timeline';

/** How often the exporter sends what it gathered (ms). */
export const FLUSH_MS = 200;
/** Frames sent and received, duplicates, timer starts: at most this many per flush. */
export const COMMON_PER_FLUSH = 80;
/** State transitions, killed frames, timer stops and fires: at most this many per flush. */
export const PRIORITY_PER_FLUSH = 40;
export const MAX_EVENTS_PER_SECOND = ((COMMON_PER_FLUSH + PRIORITY_PER_FLUSH) * 1000) / FLUSH_MS;
/** A message is cut before it grows past this many characters of JSON. */
export const MAX_MESSAGE_CHARS = 12 * 1024;
/** Most entries one message may carry (the receiver refuses longer ones). */
export const MAX_TRACE_ENTRIES = 200;
/**
 * Bytes of a killed frame sent along for its label: all of a small frame (ARP,
 * ping, a handshake segment), the headers of a large one (Ethernet, IPv4 and
 * TCP with options fit in 134).
 */
export const HEAD_BYTES = 256;

/** The receiver's own bounds, whatever the peer does. */
export const MAX_RECEIVE_PER_SECOND = 2 * MAX_EVENTS_PER_SECOND;
export const MAX_HELD = 3000;
/** Peer times that map further than this from our clock are refused (ms). */
export const MAX_SKEW_MS = 10 * 60_000;

const MAX_CONN = 64;
const MAX_CAUSE = 80;
/** Any time we take, wall (ms since 1970) or stack: finite and below year 5000. */
const MAX_TIME = 1e14;

export const KILLED_FATES = ['lost-random', 'lost-burst', 'queue-full', 'too-big', 'unplugged', 'dropped', 'link-busy', 'corrupted'] as const;
export type PeerFate = (typeof KILLED_FATES)[number] | 'duplicated';
const PEER_FATES = new Set<string>([...KILLED_FATES, 'duplicated']);
const KILLED = new Set<string>(KILLED_FATES);
const RETRANSMIT_CAUSES = new Set<string>(['rto', 'dupack', 'partial-ack', 'sack', 'syn', 'probe', 'keepalive'] satisfies RetransmitCause[]);
const TCP_STATES = new Set<string>(['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK'] satisfies TcpState[]);
/** The connection timers the ladder draws (ladder-model.ts BRACKET_TIMERS). */
export const PEER_TIMERS = new Set(['rto', 'syn', 'synack', 'persist', 'time-wait', 'fin-wait-2', 'delayed-ack', 'keepalive']);
const TIMER_WHATS = new Set(['start', 'stop', 'fire']);
const CONN = /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}>\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type TraceEntry =
  | [kind: 'x', t: number, id: number, cause?: RetransmitCause]
  | [kind: 'r', t: number, id: number]
  | [kind: 'f', t: number, id: number, fate: PeerFate, head?: string]
  | [kind: 's', t: number, conn: string, from: string, to: string, cause: string]
  | [kind: 'm', t: number, what: 'start' | 'stop' | 'fire', timer: string, conn: string, deadline?: number];

export interface TraceMessage {
  t: 'trace';
  /** The sender's clock anchor: its stack times map to its page's wall clock through it. */
  clock: ClockAnchor;
  /** Events the sender left out since its page loaded (a running total). */
  skipped: number;
  ev: TraceEntry[];
  /** Set by our parser (never taken from the sender): entries of this message we refused. */
  refused?: number;
}

// ---------------- validation (the peer is untrusted) ----------------

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_TIME;
const isIdentity = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function parseEntry(v: unknown): TraceEntry | undefined {
  if (!Array.isArray(v) || v.length < 3 || v.length > 6 || !isTime(v[1])) return undefined;
  const t = v[1];
  switch (v[0]) {
    case 'x':
      if (!isIdentity(v[2]) || v.length > 4) return undefined;
      if (v.length === 3) return ['x', t, v[2]];
      return typeof v[3] === 'string' && RETRANSMIT_CAUSES.has(v[3]) ? ['x', t, v[2], v[3] as RetransmitCause] : undefined;
    case 'r':
      return v.length === 3 && isIdentity(v[2]) ? ['r', t, v[2]] : undefined;
    case 'f': {
      if (v.length < 4 || v.length > 5 || !isIdentity(v[2]) || typeof v[3] !== 'string' || !PEER_FATES.has(v[3])) return undefined;
      const fate = v[3] as PeerFate;
      if (v.length === 4) return ['f', t, v[2], fate];
      return isText(v[4], Math.ceil(HEAD_BYTES / 3) * 4) && BASE64.test(v[4]) ? ['f', t, v[2], fate, v[4]] : undefined;
    }
    case 's':
      if (v.length !== 6 || !isText(v[2], MAX_CONN) || !CONN.test(v[2])) return undefined;
      if (typeof v[3] !== 'string' || !TCP_STATES.has(v[3]) || typeof v[4] !== 'string' || !TCP_STATES.has(v[4]) || !isText(v[5], MAX_CAUSE)) return undefined;
      return ['s', t, v[2], v[3], v[4], v[5]];
    case 'm': {
      if (v.length < 5 || typeof v[2] !== 'string' || !TIMER_WHATS.has(v[2]) || typeof v[3] !== 'string' || !PEER_TIMERS.has(v[3])) return undefined;
      if (!isText(v[4], MAX_CONN) || !CONN.test(v[4])) return undefined;
      const what = v[2] as 'start' | 'stop' | 'fire';
      if (v.length === 5) return ['m', t, what, v[3], v[4]];
      return v.length === 6 && isTime(v[5]) ? ['m', t, what, v[3], v[4], v[5]] : undefined;
    }
    default:
      return undefined;
  }
}

/** Validates a `trace` control message (already JSON-parsed to an object). Never throws. */
export function parseTrace(m: Record<string, unknown>): { ok: true; value: TraceMessage } | { ok: false; reason: string } {
  const c = m.clock as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null || !isTime(c.wall) || !isTime(c.stack) || typeof c.speed !== 'number' || !Number.isFinite(c.speed)) return { ok: false, reason: 'bad trace clock' };
  if (typeof m.skipped !== 'number' || !Number.isFinite(m.skipped) || m.skipped < 0) return { ok: false, reason: 'bad trace skipped count' };
  if (!Array.isArray(m.ev)) return { ok: false, reason: 'bad trace events' };
  if (m.ev.length > MAX_TRACE_ENTRIES) return { ok: false, reason: `too many trace events (${m.ev.length})` };
  const ev: TraceEntry[] = [];
  let refused = 0;
  for (const raw of m.ev) {
    const e = parseEntry(raw);
    if (e) ev.push(e);
    else refused++;
  }
  const clock = { wall: c.wall, stack: c.stack, speed: Math.min(1, Math.max(0.01, c.speed)) };
  return { ok: true, value: { t: 'trace', clock, skipped: Math.min(Math.floor(m.skipped), Number.MAX_SAFE_INTEGER), ev, refused } };
}

// ---------------- the sending side ----------------

const RING = 512;

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

const round = (t: number) => Math.round(t * 1000) / 1000;

/**
 * Gathers our host's ladder events between flushes, within the budgets above.
 * `add` is called with every trace batch of the lab; it must stay cheap: most
 * events are passed over by type, and a frame is hashed only when it is sent.
 */
export class PeerTraceExporter {
  /** Events left out since this page loaded. */
  skipped = 0;
  private entries: TraceEntry[] = [];
  private common = 0;
  private priority = 0;
  private sentSkipped = 0;
  /** Recent frames we sent, by frame number modulo RING: a fate names its frame only by number. */
  private readonly ringIds = new Float64Array(RING).fill(-1);
  private readonly ringFrames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(RING);
  private readonly ringSent = new Uint8Array(RING);
  /** Timers whose start went out, "conn|kind": their end must go out too, or the peer draws them running for ever. */
  private readonly open = new Set<string>();

  /** `host`: ours (the lab runs one host in a pairing). */
  constructor(private readonly host: string) {}

  add(batch: readonly TraceEvent[]): void {
    for (const e of batch) {
      if (e.host !== this.host) continue;
      switch (e.type) {
        case 'frame': {
          const slot = e.id % RING;
          if (e.dir === 'tx') {
            this.ringIds[slot] = e.id;
            this.ringFrames[slot] = e.frame;
            this.ringSent[slot] = 0;
          }
          if (this.common >= COMMON_PER_FLUSH) {
            this.skipped++;
            break;
          }
          this.common++;
          const id = frameIdentity(e.frame);
          if (e.dir === 'rx') this.entries.push(['r', round(e.t), id]);
          else {
            this.ringSent[slot] = 1;
            const cause = e.expert?.cause;
            this.entries.push(cause !== undefined && e.expert!.flags & TcpExpertFlag.RETRANSMISSION ? ['x', round(e.t), id, cause] : ['x', round(e.t), id]);
          }
          break;
        }
        case 'fate': {
          if (!PEER_FATES.has(e.fate) || e.frameId === undefined) break;
          const slot = e.frameId % RING;
          const frame = this.ringIds[slot] === e.frameId ? this.ringFrames[slot] : undefined;
          const killed = KILLED.has(e.fate);
          // A copy of a frame the peer never heard of would be drawn without its original: leave it out.
          if (!frame || (!killed && this.ringSent[slot] === 0)) {
            this.skipped++;
            break;
          }
          if (killed ? !this.takePriority() : !this.takeCommon()) break;
          const id = frameIdentity(frame);
          const fate = e.fate as PeerFate;
          this.entries.push(killed ? ['f', round(e.t), id, fate, base64(frame.subarray(0, HEAD_BYTES))] : ['f', round(e.t), id, fate]);
          break;
        }
        case 'tcp':
          if (e.what !== 'state') break;
          if (!this.takePriority()) break;
          this.entries.push(['s', round(e.t), e.conn.slice(0, MAX_CONN), e.from, e.to, e.cause.slice(0, MAX_CAUSE)]);
          if (e.to === 'CLOSED') for (const key of this.open) if (key.startsWith(`${e.conn}|`)) this.open.delete(key);
          break;
        case 'timer': {
          if (!PEER_TIMERS.has(e.kind) || !e.owner.includes('>')) break;
          const key = `${e.owner}|${e.kind}`;
          if (e.what === 'start') {
            if (this.takeCommon()) {
              this.entries.push(e.deadline === undefined ? ['m', round(e.t), 'start', e.kind, e.owner] : ['m', round(e.t), 'start', e.kind, e.owner, round(e.deadline)]);
              if (this.open.size < 4096) this.open.add(key);
            } else if (this.open.has(key) && this.takePriority()) {
              // Left out a restart: end the bracket the peer has open here, rather than stretch it over the gap.
              this.entries.push(['m', round(e.t), 'stop', e.kind, e.owner]);
              this.open.delete(key);
            }
          } else if (this.open.has(key)) {
            if (this.takePriority()) {
              this.entries.push(['m', round(e.t), e.what, e.kind, e.owner]);
              this.open.delete(key);
            }
          } else this.skipped++;
          break;
        }
      }
    }
  }

  private takeCommon(): boolean {
    if (this.common >= COMMON_PER_FLUSH) {
      this.skipped++;
      return false;
    }
    this.common++;
    return true;
  }

  private takePriority(): boolean {
    if (this.priority >= PRIORITY_PER_FLUSH) {
      this.skipped++;
      return false;
    }
    this.priority++;
    return true;
  }

  /**
   * The messages to send now, and a fresh budget for the next window. `clock`
   * is our driver's anchor; with none yet, what was gathered waits (within the budget).
   */
  flush(clock: ClockAnchor | undefined): TraceMessage[] {
    if (!clock) return [];
    const entries = this.entries;
    this.entries = [];
    this.common = 0;
    this.priority = 0;
    if (entries.length === 0 && this.skipped === this.sentSkipped) return [];
    this.sentSkipped = this.skipped;
    const out: TraceMessage[] = [];
    const header = JSON.stringify({ t: 'trace', clock, skipped: this.skipped, ev: [] }).length;
    let chars = header;
    let ev: TraceEntry[] = [];
    for (const e of entries) {
      const size = JSON.stringify(e).length + 1;
      if (ev.length > 0 && (chars + size > MAX_MESSAGE_CHARS || ev.length >= MAX_TRACE_ENTRIES)) {
        out.push({ t: 'trace', clock, skipped: this.skipped, ev });
        ev = [];
        chars = header;
      }
      ev.push(e);
      chars += size;
    }
    out.push({ t: 'trace', clock, skipped: this.skipped, ev });
    return out;
  }

  /** Forgets what was gathered (no one to send it to); the budget starts afresh. */
  discard(): void {
    this.entries = [];
    this.common = 0;
    this.priority = 0;
  }
}

// ---------------- the receiving side ----------------

/** One of the peer's events, on our stack timeline: what LadderModel.applyPeer takes. */
export type PeerEvent =
  | { kind: 'tx'; t: number; id: number; retransmit: RetransmitCause | undefined }
  | { kind: 'rx'; t: number; id: number }
  | { kind: 'fate'; t: number; id: number; fate: PeerFate; head: Uint8Array | undefined }
  | { kind: 'state'; t: number; conn: string; from: string; to: string; cause: string }
  | { kind: 'timer'; t: number; what: 'start' | 'stop' | 'fire'; timer: string; conn: string; deadline: number | undefined };

function unbase64(s: string): Uint8Array | undefined {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Where our own clock stands, for mapping: its anchor and the stack time now. */
export interface LocalClock {
  anchor: ClockAnchor;
  now: number;
}

/**
 * Takes the peer's trace messages, holds them until a clock offset is known,
 * and maps them onto our timeline. Counts what it refuses.
 */
export class PeerTraceImporter {
  /** Events the peer left out (its running totals, summed across its reloads). */
  peerSkipped = 0;
  /** Events we refused: malformed, over our rate bound or hold, absurd times. */
  refused = 0;
  private lastPeerSkipped = 0;
  private held: TraceMessage[] = [];
  private heldCount = 0;
  private windowStart = -Infinity;
  private windowCount = 0;

  /** Events waiting for a clock estimate. */
  get holding(): number {
    return this.heldCount;
  }

  receive(m: TraceMessage, wallNow: number): void {
    this.refused += m.refused ?? 0;
    // A peer that reloaded counts from 0 again.
    this.peerSkipped += m.skipped >= this.lastPeerSkipped ? m.skipped - this.lastPeerSkipped : m.skipped;
    this.lastPeerSkipped = m.skipped;
    if (wallNow - this.windowStart >= 1000 || wallNow < this.windowStart) {
      this.windowStart = wallNow;
      this.windowCount = 0;
    }
    const room = Math.max(0, MAX_RECEIVE_PER_SECOND - this.windowCount);
    let ev = m.ev;
    if (ev.length > room) {
      this.refused += ev.length - room;
      ev = ev.slice(0, room);
    }
    if (ev.length === 0) return;
    this.windowCount += ev.length;
    this.held.push({ ...m, ev });
    this.heldCount += ev.length;
    while (this.heldCount > MAX_HELD) {
      const old = this.held.shift()!;
      this.heldCount -= old.ev.length;
      this.refused += old.ev.length;
    }
  }

  /** The held events on our timeline; none while our clock or the offset (peer wall - ours) is unknown. */
  take(local: LocalClock | undefined, offset: number | undefined): PeerEvent[] {
    if (!local || offset === undefined || !Number.isFinite(offset) || this.held.length === 0) return [];
    const out: PeerEvent[] = [];
    for (const m of this.held) {
      const map = (t: number) => peerToLocal(t, m.clock, offset, local.anchor);
      for (const e of m.ev) {
        const t = map(e[1]);
        if (!(Math.abs(t - local.now) <= MAX_SKEW_MS)) {
          this.refused++;
          continue;
        }
        switch (e[0]) {
          case 'x':
            out.push({ kind: 'tx', t, id: e[2], retransmit: e[3] });
            break;
          case 'r':
            out.push({ kind: 'rx', t, id: e[2] });
            break;
          case 'f':
            out.push({ kind: 'fate', t, id: e[2], fate: e[3], head: e[4] === undefined ? undefined : unbase64(e[4]) });
            break;
          case 's':
            out.push({ kind: 'state', t, conn: e[2], from: e[3], to: e[4], cause: e[5] });
            break;
          case 'm': {
            // A deadline is only written as "time left": an absurd one is dropped, the timer kept.
            const deadline = e[5] === undefined ? undefined : map(e[5]);
            out.push({ kind: 'timer', t, what: e[2], timer: e[3], conn: e[4], deadline: deadline !== undefined && Math.abs(deadline - t) <= MAX_SKEW_MS ? deadline : undefined });
            break;
          }
        }
      }
    }
    this.held = [];
    this.heldCount = 0;
    return out;
  }
}
