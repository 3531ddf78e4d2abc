/**
 * The link conditioner: netem on a host's egress, inside the stack.
 *
 * It sits between a NIC and its medium as a LinkPort wrapper, so every frame a
 * host sends meets its fate here: delayed (with jitter from a distribution and
 * correlation), lost (random with correlation, or Gilbert-Elliott bursts),
 * duplicated, corrupted (one bit flipped, so our checksums must catch it),
 * reordered (netem's "reorder P gap G"), queued behind a rate limit (so
 * transmission and queueing delay show up in RTT: bufferbloat), tail-dropped
 * from a bounded queue, or dropped for exceeding the link MTU. The order of
 * these decisions follows Linux's netem_enqueue().
 *
 * Everything runs on the injected scheduler and a forked RNG, so the same
 * settings, seed and frame sequence give the same fates, and the UI can step
 * through them. Settings change live.
 *
 * Per-packet fate: frames matching a hold rule wait here until a lesson (or a
 * click) decides: release, drop, duplicate, corrupt or delay. Frames already
 * delayed are "in flight" and accept the same actions.
 */

import type { Rng } from '../sim/rng';
import type { Scheduler, Timer } from '../sim/scheduler';
import type { StackContext } from '../trace/context';
import type { FateEvent } from '../trace/events';
import { ETH, EtherType } from '../wire/ethernet';
import { IPV4, IpProtocol } from '../wire/ipv4';
import { TCP } from '../wire/tcp';
import { CorrelatedUniform, standardised, type DelayDistribution } from './distributions';
import type { LinkPort } from './port';

export type LossModel =
  | {
      model: 'random';
      /** Percent of frames lost, 0..100. */
      percent: number;
      /**
       * Correlation of successive loss decisions, percent 0..100: each frame's fate
       * leans on the previous frame's by this much, while the loss rate stays
       * `percent` (unlike netem's correlated uniform, which lowers it).
       */
      correlation: number;
    }
  | {
      /**
       * Gilbert-Elliott (netem "loss gemodel p r 1-h 1-k"), percents. The link
       * is Good or Bad; p: Good -> Bad per frame, r: Bad -> Good per frame;
       * 1-h: loss in Bad; 1-k: loss in Good. Mean burst length is 1/r when 1-h is 100%.
       */
      model: 'gilbert-elliott';
      p: number;
      r: number;
      oneMinusH: number;
      oneMinusK: number;
    };

export interface ConditionerSettings {
  /** Base one-way delay, ms. */
  delayMs: number;
  /** Jitter (sigma), ms. */
  jitterMs: number;
  distribution: DelayDistribution;
  /** Correlation of successive delays, percent 0..100. */
  delayCorrelation: number;
  /** Never let jitter reorder frames: each leaves no earlier than the one before. */
  keepOrder: boolean;
  loss: LossModel;
  /** Percent of frames sent twice. */
  duplicatePercent: number;
  /** Percent of frames with one random bit flipped. */
  corruptPercent: number;
  /**
   * netem "reorder P gap G": after G - 1 delayed frames, each frame skips the delay with
   * probability P percent until one does, and the count starts again. So 100% is exactly
   * every G-th frame, and in general 1 / (G - 1 + 100 / P) of frames skip it (12.5% for
   * 25% gap 5, not 5%). Needs a delay.
   */
  reorderPercent: number;
  reorderGap: number;
  /** Link rate in bits per second; 0 means unlimited. */
  rateBps: number;
  /** Bytes added to each frame for the rate (preamble, FCS, inter-frame gap: 24 for Ethernet). */
  overheadBytes: number;
  /** Bound on frames waiting for the rate limiter (a tail-drop queue). */
  queueFrames: number;
  /** Bound on bytes waiting for the rate limiter. */
  queueBytes: number;
  /** Largest IP payload the link carries; 0 means no limit of its own. */
  mtu: number;
  /** Cable pulled: every frame is lost. */
  unplugged: boolean;
}

export const PERFECT: ConditionerSettings = {
  delayMs: 0,
  jitterMs: 0,
  distribution: 'normal',
  delayCorrelation: 0,
  keepOrder: false,
  loss: { model: 'random', percent: 0, correlation: 0 },
  duplicatePercent: 0,
  corruptPercent: 0,
  reorderPercent: 0,
  reorderGap: 0,
  rateBps: 0,
  overheadBytes: 0,
  queueFrames: 1000,
  queueBytes: 0,
  mtu: 0,
  unplugged: false,
};

export type PresetName = 'perfect' | 'lan' | 'wifi' | 'lossy-wifi' | '4g' | 'satellite' | 'congested';

/**
 * Typical one-way settings (each direction gets its own). Numbers are round
 * figures from common measurements, chosen so each preset shows its lesson.
 */
export const PRESETS: Record<PresetName, ConditionerSettings> = {
  perfect: PERFECT,
  lan: { ...PERFECT, delayMs: 0.25, jitterMs: 0.05, rateBps: 1e9, overheadBytes: 24 },
  wifi: { ...PERFECT, delayMs: 3, jitterMs: 2, distribution: 'paretonormal', delayCorrelation: 25, loss: { model: 'random', percent: 0.5, correlation: 25 }, rateBps: 100e6, overheadBytes: 24 },
  'lossy-wifi': {
    ...PERFECT,
    delayMs: 5,
    jitterMs: 4,
    distribution: 'paretonormal',
    delayCorrelation: 25,
    // Bursts: about 1 frame in 50 starts a bad spell lasting 4 frames on average.
    loss: { model: 'gilbert-elliott', p: 2, r: 25, oneMinusH: 100, oneMinusK: 0 },
    rateBps: 30e6,
    overheadBytes: 24,
  },
  '4g': { ...PERFECT, delayMs: 25, jitterMs: 8, distribution: 'normal', delayCorrelation: 25, keepOrder: true, loss: { model: 'random', percent: 0.2, correlation: 0 }, rateBps: 20e6, queueFrames: 200 },
  // Geostationary: about 600 ms round trip.
  satellite: { ...PERFECT, delayMs: 300, jitterMs: 5, distribution: 'normal', keepOrder: true, loss: { model: 'random', percent: 0.5, correlation: 0 }, rateBps: 10e6, queueFrames: 500 },
  // A slow bottleneck with a small buffer: queueing delay, then tail drops.
  congested: { ...PERFECT, delayMs: 10, rateBps: 2e6, overheadBytes: 24, queueFrames: 20 },
};

export type Fate = FateEvent['fate'];

/** Frames a hold rule applies to. Plain data, so it can come from the UI. */
export interface FrameFilter {
  protocol?: 'arp' | 'ipv4' | 'icmp' | 'udp' | 'tcp';
  /** TCP flags that must all be set, tcpdump letters: "F", "S", "SA" (SYN+ACK), "R", "P", "A". */
  tcpFlags?: string;
  /** Source or destination port (UDP/TCP). */
  port?: number;
}

export interface HoldRule {
  id: number;
  /** Frames still to catch; Infinity for "every matching frame". */
  remaining: number;
  filter: FrameFilter;
}

export type FrameAction = { action: 'release' } | { action: 'drop' } | { action: 'duplicate' } | { action: 'corrupt' } | { action: 'delay'; ms: number };

export interface InFlightFrame {
  /** Conditioner sequence number of the frame. */
  id: number;
  /** The NIC's frame number (the tx frame in the trace), if known. */
  frameId: number | undefined;
  state: 'held' | 'delayed';
  /** When it will leave (delayed frames). */
  departAt: number | undefined;
  frame: Uint8Array;
}

interface Pending {
  /** Key in the pending map (a duplicate shares its original's id, not its key). */
  key: number;
  id: number;
  frameId: number | undefined;
  frame: Uint8Array;
  state: 'held' | 'delayed';
  timer: Timer | undefined;
  departAt: number | undefined;
}

export type FateCounters = Partial<Record<Fate | 'passed', number>>;

const TCP_FLAG_LETTERS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, '.': 0x10, U: 0x20, E: 0x40, W: 0x80 };

export class Conditioner implements LinkPort {
  onReady: (() => void) | undefined;
  private settings: ConditionerSettings;
  private readonly lossRandom: CorrelatedUniform;
  private readonly delayRandom: CorrelatedUniform;
  private readonly dupRandom: CorrelatedUniform;
  private readonly rng: Rng;
  /** Gilbert-Elliott: in the Bad state? */
  private geBad = false;
  /** Random loss: was the previous frame lost? (correlation leans on it) */
  private lastRandomLoss = false;
  private reorderCounter = 0;
  /** Rate limiter: when the transmitter finishes the last frame accepted. */
  private busyUntil = 0;
  /** Frames accepted by the rate limiter and not yet transmitted: [finish time, bytes]. */
  private readonly rateQueue: { finish: number; bytes: number }[] = [];
  private rateQueueBytes = 0;
  private lastDeparture = 0;
  private seq = 0;
  private ruleSeq = 0;
  private pendingSeq = 0;
  private holdRules: HoldRule[] = [];
  private readonly pending = new Map<number, Pending>();
  readonly counters: FateCounters = {};
  /** Every decision, in order, as (conditioner id, fate): tests compare runs with it. Bounded. */
  readonly fateLog: [number, Fate][] = [];
  fateLogLimit = 0;

  constructor(
    private readonly ctx: StackContext,
    private readonly inner: LinkPort,
    settings: Partial<ConditionerSettings> = {},
    /** Names the RNG stream; two conditioners of one host need different labels. */
    label = 'egress',
  ) {
    this.settings = { ...PERFECT, ...settings };
    this.rng = ctx.rng.fork(`conditioner ${label}`);
    this.lossRandom = new CorrelatedUniform(this.rng.fork('loss'));
    this.delayRandom = new CorrelatedUniform(this.rng.fork('delay'));
    this.dupRandom = new CorrelatedUniform(this.rng.fork('duplicate'));
    this.applyCorrelations();
    inner.onReady = () => this.onReady?.();
  }

  /** The scheduler this conditioner runs on. */
  private get scheduler(): Scheduler {
    return this.ctx.scheduler;
  }

  get current(): ConditionerSettings {
    return { ...this.settings, loss: { ...this.settings.loss } };
  }

  /** Changes settings live; frames already in flight keep their fate. */
  configure(patch: Partial<ConditionerSettings>): ConditionerSettings {
    this.settings = { ...this.settings, ...patch, loss: { ...(patch.loss ?? this.settings.loss) } };
    this.applyCorrelations();
    return this.current;
  }

  private applyCorrelations(): void {
    const s = this.settings;
    this.delayRandom.rho = clamp01(s.delayCorrelation / 100);
  }

  ready(): boolean {
    return this.inner.ready();
  }

  // ---- the decision path (netem_enqueue order) ----

  transmit(frame: Uint8Array, frameId?: number): boolean {
    const s = this.settings;
    const id = ++this.seq;

    if (s.unplugged) return this.fate(id, frameId, 'unplugged', frame.length);
    if (s.mtu > 0 && frame.length - ETH.HEADER_LEN > s.mtu) return this.fate(id, frameId, 'too-big', frame.length);

    const rule = this.matchHold(frame);
    if (rule) {
      rule.remaining--;
      if (rule.remaining <= 0) this.holdRules = this.holdRules.filter((r) => r !== rule);
      const key = ++this.pendingSeq;
      this.pending.set(key, { key, id, frameId, frame, state: 'held', timer: undefined, departAt: undefined });
      return this.fate(id, frameId, 'held', frame.length);
    }

    if (this.isPerfect()) {
      this.count('passed');
      return this.inner.transmit(frame, frameId);
    }

    // 1. Duplication is decided first, so a lost frame can still leave as its duplicate.
    let copies = 1;
    if (s.duplicatePercent > 0 && this.dupRandom.next() * 100 < s.duplicatePercent) copies = 2;
    // 2. Loss.
    const lost = this.lossEvent();
    if (lost) {
      this.fate(id, frameId, lost, frame.length);
      copies--;
      if (copies === 0) return true;
    } else if (copies === 2) {
      this.fate(id, frameId, 'duplicated', frame.length);
    }
    for (let c = 0; c < copies; c++) {
      let out = frame;
      // 3. Corruption: a copy with one bit flipped (the original may be shared).
      if (s.corruptPercent > 0 && this.rng.float() * 100 < s.corruptPercent) {
        out = frame.slice();
        const bit = this.rng.int(out.length * 8);
        out[bit >>> 3] ^= 1 << (bit & 7);
        this.fate(id, frameId, 'corrupted', out.length);
      }
      this.schedule(id, frameId, out);
    }
    return true;
  }

  private isPerfect(): boolean {
    const s = this.settings;
    return (
      s.delayMs === 0 &&
      s.jitterMs === 0 &&
      s.rateBps === 0 &&
      s.duplicatePercent === 0 &&
      s.corruptPercent === 0 &&
      (s.loss.model === 'random' ? s.loss.percent === 0 : s.loss.p === 0 && s.loss.oneMinusK === 0)
    );
  }

  /** Returns the loss reason, or undefined when the frame survives. */
  private lossEvent(): 'lost-random' | 'lost-burst' | undefined {
    const loss = this.settings.loss;
    if (loss.model === 'random') {
      if (loss.percent <= 0) return undefined;
      // Correlation as a two-state chain: P(lost | previous lost) = p + rho(1 - p),
      // P(lost | previous kept) = p(1 - rho). Its stationary loss rate is exactly p and
      // successive decisions correlate by rho. netem's get_crandom (rho * last +
      // (1 - rho) * fresh, then compared with p) narrows the uniform and so loses far
      // fewer frames than asked: 10% with 25% correlation lost about 1.8%.
      const p = clamp01(loss.percent / 100);
      const rho = clamp01(loss.correlation / 100);
      const threshold = this.lastRandomLoss ? p + rho * (1 - p) : p * (1 - rho);
      this.lastRandomLoss = this.lossRandom.next() < threshold;
      return this.lastRandomLoss ? 'lost-random' : undefined;
    }
    // Gilbert-Elliott, as netem's loss_gilb_ell(): move between states, then decide in the new state.
    const u = this.rng.float() * 100;
    if (this.geBad) {
      if (u < loss.r) this.geBad = false;
    } else if (u < loss.p) {
      this.geBad = true;
    }
    const lossPercent = this.geBad ? loss.oneMinusH : loss.oneMinusK;
    if (lossPercent > 0 && this.rng.float() * 100 < lossPercent) return this.geBad ? 'lost-burst' : 'lost-random';
    return undefined;
  }

  /** Rate limiter, then delay/jitter/reorder; arms the departure. */
  private schedule(id: number, frameId: number | undefined, frame: Uint8Array): void {
    const s = this.settings;
    const now = this.scheduler.now;
    let sendAt = now;

    // 4. Rate: the frame waits for the transmitter, in a bounded queue (tail drop).
    if (s.rateBps > 0) {
      this.purgeRateQueue(now);
      const bytes = frame.length + s.overheadBytes;
      if (this.rateQueue.length >= s.queueFrames || (s.queueBytes > 0 && this.rateQueueBytes + bytes > s.queueBytes)) {
        this.fate(id, frameId, 'queue-full', frame.length);
        return;
      }
      const start = Math.max(now, this.busyUntil);
      const finish = start + (bytes * 8 * 1000) / s.rateBps;
      this.busyUntil = finish;
      this.rateQueue.push({ finish, bytes });
      this.rateQueueBytes += bytes;
      if (start > now) this.fate(id, frameId, 'queued', frame.length, start - now);
      sendAt = finish;
    }

    // 5. Delay with jitter, or netem's reorder: every gap-th frame may skip the delay.
    let departAt = sendAt;
    const reorder = s.reorderPercent > 0 && s.reorderGap > 0 && s.delayMs > 0;
    if (reorder && this.reorderCounter >= s.reorderGap - 1 && this.rng.float() * 100 < s.reorderPercent) {
      this.reorderCounter = 0;
      this.fate(id, frameId, 'reordered', frame.length);
    } else {
      if (reorder) this.reorderCounter++;
      const delay = this.sampleDelay();
      departAt = sendAt + delay;
      if (s.keepOrder && departAt < this.lastDeparture) departAt = this.lastDeparture;
      if (departAt > sendAt) this.fate(id, frameId, 'delayed', frame.length, departAt - now);
    }
    if (departAt > this.lastDeparture) this.lastDeparture = departAt;

    if (departAt <= now) {
      this.send(frame, frameId, id);
      return;
    }
    const p: Pending = { key: ++this.pendingSeq, id, frameId, frame, state: 'delayed', timer: undefined, departAt };
    p.timer = this.scheduler.at(departAt, () => this.depart(p), 'link delay');
    this.pending.set(p.key, p);
  }

  private sampleDelay(): number {
    const s = this.settings;
    if (s.jitterMs <= 0) return s.delayMs;
    const t = standardised(s.distribution, this.delayRandom.next(), this.rng.float());
    return Math.max(0, s.delayMs + s.jitterMs * t);
  }

  private purgeRateQueue(now: number): void {
    let i = 0;
    while (i < this.rateQueue.length && this.rateQueue[i].finish <= now) {
      this.rateQueueBytes -= this.rateQueue[i].bytes;
      i++;
    }
    if (i > 0) this.rateQueue.splice(0, i);
  }

  private depart(p: Pending): void {
    this.pending.delete(p.key);
    this.send(p.frame, p.frameId, p.id);
  }

  private send(frame: Uint8Array, frameId: number | undefined, id: number): void {
    if (!this.inner.ready() || !this.inner.transmit(frame, frameId)) this.fate(id, frameId, 'link-busy', frame.length);
  }

  // ---- per-packet fate ----

  /** Holds the next `count` frames matching `filter` (all frames if no filter). Returns the rule's id. */
  hold(count: number, filter: FrameFilter = {}): number {
    const rule: HoldRule = { id: ++this.ruleSeq, remaining: count > 0 ? count : Infinity, filter };
    this.holdRules.push(rule);
    return rule.id;
  }

  cancelHold(ruleId: number): void {
    this.holdRules = this.holdRules.filter((r) => r.id !== ruleId);
  }

  get rules(): readonly HoldRule[] {
    return this.holdRules;
  }

  /** Frames waiting here: held, or delayed and not yet departed. */
  inFlight(): InFlightFrame[] {
    return [...this.pending.values()].map((p) => ({ id: p.id, frameId: p.frameId, state: p.state, departAt: p.departAt, frame: p.frame }));
  }

  /** Decides the fate of a held or delayed frame. Returns false if it is no longer here. */
  act(id: number, a: FrameAction): boolean {
    let p: Pending | undefined;
    for (const v of this.pending.values()) {
      if (v.id === id) {
        p = v;
        break;
      }
    }
    if (!p) return false;
    this.pending.delete(p.key);
    p.timer?.cancel();
    switch (a.action) {
      case 'release':
        this.fate(id, p.frameId, 'released', p.frame.length);
        this.send(p.frame, p.frameId, id);
        break;
      case 'drop':
        this.fate(id, p.frameId, 'dropped', p.frame.length);
        break;
      case 'duplicate':
        this.fate(id, p.frameId, 'duplicated', p.frame.length);
        this.send(p.frame, p.frameId, id);
        this.send(p.frame, p.frameId, id);
        break;
      case 'corrupt': {
        const out = p.frame.slice();
        const bit = this.rng.int(out.length * 8);
        out[bit >>> 3] ^= 1 << (bit & 7);
        this.fate(id, p.frameId, 'corrupted', out.length);
        this.send(out, p.frameId, id);
        break;
      }
      case 'delay': {
        const departAt = this.scheduler.now + Math.max(0, a.ms);
        const q: Pending = { ...p, state: 'delayed', departAt, timer: undefined };
        q.timer = this.scheduler.at(departAt, () => this.depart(q), 'link delay');
        this.pending.set(q.key, q);
        this.fate(id, p.frameId, 'delayed', p.frame.length, a.ms);
        break;
      }
    }
    return true;
  }

  /** Drops everything waiting (the cable was cut, the host crashed). */
  flush(): void {
    for (const p of this.pending.values()) {
      p.timer?.cancel();
      this.fate(p.id, p.frameId, 'dropped', p.frame.length);
    }
    this.pending.clear();
  }

  private matchHold(frame: Uint8Array): HoldRule | undefined {
    for (const r of this.holdRules) if (matches(frame, r.filter)) return r;
    return undefined;
  }

  private count(f: Fate | 'passed'): void {
    this.counters[f] = (this.counters[f] ?? 0) + 1;
  }

  /** Records a decision (counter, trace event, fate log). Returns true: the frame was taken. */
  private fate(id: number, frameId: number | undefined, fate: Fate, len: number, delayMs?: number): true {
    this.count(fate);
    if (this.fateLogLimit > 0 && this.fateLog.length < this.fateLogLimit) this.fateLog.push([id, fate]);
    const ctx = this.ctx;
    if (ctx.tracing) ctx.emit({ type: 'fate', t: ctx.now, host: ctx.hostName, id, frameId, fate, len, delayMs });
    return true;
  }
}

/** Does a frame match a hold filter? Reads only what it needs; malformed frames match only an empty filter. */
export function matches(frame: Uint8Array, f: FrameFilter): boolean {
  if (f.protocol === undefined && f.tcpFlags === undefined && f.port === undefined) return true;
  if (frame.length < ETH.HEADER_LEN) return false;
  const type = (frame[ETH.ETHERTYPE] << 8) | frame[ETH.ETHERTYPE + 1];
  if (f.protocol === 'arp') return type === EtherType.ARP;
  if (type !== EtherType.IPV4 || frame.length < ETH.HEADER_LEN + IPV4.MIN_HEADER_LEN) return false;
  const ip = ETH.HEADER_LEN;
  const proto = frame[ip + IPV4.PROTOCOL];
  const want = f.protocol ?? (f.tcpFlags !== undefined ? 'tcp' : undefined);
  if (want === 'icmp' && proto !== IpProtocol.ICMP) return false;
  if (want === 'udp' && proto !== IpProtocol.UDP) return false;
  if (want === 'tcp' && proto !== IpProtocol.TCP) return false;
  const t = ip + (frame[ip] & 0x0f) * 4;
  if (f.port !== undefined) {
    if ((proto !== IpProtocol.TCP && proto !== IpProtocol.UDP) || frame.length < t + 4) return false;
    const sp = (frame[t] << 8) | frame[t + 1];
    const dp = (frame[t + 2] << 8) | frame[t + 3];
    if (sp !== f.port && dp !== f.port) return false;
  }
  if (f.tcpFlags !== undefined) {
    if (proto !== IpProtocol.TCP || frame.length < t + TCP.MIN_HEADER_LEN) return false;
    let mask = 0;
    for (const ch of f.tcpFlags.toUpperCase()) mask |= TCP_FLAG_LETTERS[ch] ?? 0;
    if ((frame[t + TCP.FLAGS] & mask) !== mask) return false;
  }
  return true;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
