import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Conditioner, matches, PERFECT, type ConditionerSettings, type FrameFilter } from '../../../worker/link/conditioner';
import type { DelayDistribution } from '../../../worker/link/distributions';
import type { LinkPort } from '../../../worker/link/port';
import { Rng } from '../../../worker/sim/rng';
import { Scheduler } from '../../../worker/sim/scheduler';
import { StackContext } from '../../../worker/trace/context';
import { Tracer, type FateEvent, type TraceEvent } from '../../../worker/trace/events';
import { writeMac } from '../../../worker/wire/addr';
import { emitArp } from '../../../worker/wire/arp';
import { put16, put32, u32 } from '../../../worker/wire/bytes';
import { ETH, EtherType, ethernetFrameLen } from '../../../worker/wire/ethernet';
import { emitIcmp } from '../../../worker/wire/icmp';
import { IpProtocol, writeIpv4Header } from '../../../worker/wire/ipv4';
import { emitTcp, TcpFlag } from '../../../worker/wire/tcp';
import { emitUdp } from '../../../worker/wire/udp';

// Every statistical test uses a fixed seed, so it is deterministic and cannot flake.
// Each bound is derived from the statistic's standard error (noted beside it) and is
// at least about 3.5 standard errors wide, so it holds for almost every other seed too.
const SEED = 0x5eed;

const ALICE_MAC = 0x02_00_00_00_00_01;
const BOB_MAC = 0x02_00_00_00_00_02;
const ALICE_IP = 0x0a_00_00_01;
const BOB_IP = 0x0a_00_00_02;

interface Departure {
  /** Scheduler time at which the frame reached the inner port. */
  t: number;
  frame: Uint8Array;
  frameId: number | undefined;
}

/** A conditioner in front of a fake medium that records what reaches it, and when. */
function rig(settings: Partial<ConditionerSettings>, seed = SEED) {
  const scheduler = new Scheduler();
  const tracer = new Tracer();
  const ctx = new StackContext('alice', scheduler, new Rng(seed), tracer);
  const out: Departure[] = [];
  const inner: LinkPort = {
    onReady: undefined,
    ready: () => true,
    transmit(frame, frameId) {
      out.push({ t: scheduler.now, frame, frameId });
      return true;
    },
  };
  const c = new Conditioner(ctx, inner, settings);
  return { scheduler, tracer, out, c };
}

/** A frame of `len` bytes (IPv4 ethertype, UDP protocol byte) carrying its number at byte 42. */
function numbered(n: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  writeMac(f, ETH.DST, BOB_MAC);
  writeMac(f, ETH.SRC, ALICE_MAC);
  put16(f, ETH.ETHERTYPE, EtherType.IPV4);
  put32(f, 42, n);
  return f;
}

const numberOf = (f: Uint8Array) => u32(f, 42);

/** Offers frames 0..n-1, frame i at time `at(i)`, then runs the scheduler dry. */
function offer(r: ReturnType<typeof rig>, n: number, at: (i: number) => number, len = 64): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = at(i);
    times.push(t);
    r.scheduler.at(t, () => r.c.transmit(numbered(i, len), i));
  }
  r.scheduler.runUntilIdle(10 * n + 100);
  return times;
}

/** Conditioner ids (1-based, in offer order) of the frames given `fate` in the fate log. */
function idsWithFate(c: Conditioner, fate: FateEvent['fate']): number[] {
  return c.fateLog.filter(([, f]) => f === fate).map(([id]) => id);
}

function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Number of bits in which two frames differ (a length difference counts as a mismatch of every bit). */
function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 8 * Math.max(a.length, b.length);
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i] ^ b[i];
    while (x) {
      bits += x & 1;
      x >>>= 1;
    }
  }
  return bits;
}

// ---- frames for the hold filters ----

function ipv4Frame(protocol: number, payloadLen: number, writePayload: (frame: Uint8Array, at: number) => void): Uint8Array {
  const frame = new Uint8Array(ethernetFrameLen(20 + payloadLen));
  writeMac(frame, ETH.DST, BOB_MAC);
  writeMac(frame, ETH.SRC, ALICE_MAC);
  put16(frame, ETH.ETHERTYPE, EtherType.IPV4);
  writePayload(frame, ETH.HEADER_LEN + 20);
  writeIpv4Header(frame, ETH.HEADER_LEN, { headerLen: 20, totalLen: 20 + payloadLen, src: ALICE_IP, dst: BOB_IP, protocol, ttl: 64, ident: 7, dontFrag: true, moreFrags: false, fragOffset: 0 });
  return frame;
}

function icmpFrame(seq: number): Uint8Array {
  return ipv4Frame(IpProtocol.ICMP, 8 + 16, (f, at) => emitIcmp({ type: 'echo-request', ident: 0x1234, seq, data: new Uint8Array(16).fill(seq) }, f, at));
}

function udpFrame(srcPort: number, dstPort: number): Uint8Array {
  return ipv4Frame(IpProtocol.UDP, 8 + 4, (f, at) => emitUdp({ srcPort, dstPort, payload: new Uint8Array([1, 2, 3, 4]) }, f, at, { src: ALICE_IP, dst: BOB_IP }));
}

function tcpFrame(flags: number, srcPort = 40000, dstPort = 80): Uint8Array {
  return ipv4Frame(IpProtocol.TCP, 20, (f, at) =>
    emitTcp({ srcPort, dstPort, seq: 1000, ack: 2000, flags, window: 65535, urgent: 0, options: [], payload: new Uint8Array(0) }, f, at, { src: ALICE_IP, dst: BOB_IP }),
  );
}

function arpFrame(): Uint8Array {
  const frame = new Uint8Array(ethernetFrameLen(28));
  writeMac(frame, ETH.DST, 0xffff_ffff_ffff);
  writeMac(frame, ETH.SRC, ALICE_MAC);
  put16(frame, ETH.ETHERTYPE, EtherType.ARP);
  emitArp({ operation: 'request', senderMac: ALICE_MAC, senderIp: ALICE_IP, targetMac: 0, targetIp: BOB_IP }, frame, ETH.HEADER_LEN);
  return frame;
}

// ---------------------------------------------------------------------------

describe('random loss', () => {
  const N = 100_000;

  it('10% loss drops 10% of 100,000 frames (within 0.5%)', () => {
    const r = rig({ loss: { model: 'random', percent: 10, correlation: 0 } });
    const frame = numbered(0);
    for (let i = 0; i < N; i++) r.c.transmit(frame);
    const lost = r.c.counters['lost-random'] ?? 0;
    // Binomial: standard error sqrt(0.1 * 0.9 / N) = 0.095%; the bound is 5.3 of them.
    expect(Math.abs(lost / N - 0.1)).toBeLessThan(0.005);
    expect(r.out.length).toBe(N - lost);
  });

  it('with 25% correlation the loss rate stays 10%, and a loss makes the next loss likelier', () => {
    const r = rig({ loss: { model: 'random', percent: 10, correlation: 25 } });
    r.c.fateLogLimit = N;
    const frame = numbered(0);
    for (let i = 0; i < N; i++) r.c.transmit(frame);
    const lostIds = new Set(idsWithFate(r.c, 'lost-random'));
    expect(lostIds.size).toBe(r.c.counters['lost-random']);
    // Lag-k correlation 0.25^k inflates the variance by (1 + 0.25) / (1 - 0.25): standard
    // error 0.12%; the bound is 4 of them.
    expect(Math.abs(lostIds.size / N - 0.1)).toBeLessThan(0.005);

    // P(lost | previous lost) = p + rho (1 - p) = 0.325 (0.1 without correlation). About
    // 10,000 pairs: standard error 0.47%; the bound is 4 of them.
    let pairs = 0;
    let both = 0;
    for (const id of lostIds) {
      if (id === N) continue;
      pairs++;
      if (lostIds.has(id + 1)) both++;
    }
    expect(Math.abs(both / pairs - 0.325)).toBeLessThan(0.02);
  });
});

describe('Gilbert-Elliott loss', () => {
  it('p=1% r=20% 1-h=100% 1-k=0: bursts average 1/r = 5 frames, the loss rate is p/(p+r)', () => {
    const N = 1_000_000;
    const p = 0.01;
    const r = 0.2;
    const k = rig({ loss: { model: 'gilbert-elliott', p: 1, r: 20, oneMinusH: 100, oneMinusK: 0 } });
    k.c.fateLogLimit = N;
    const frame = numbered(0);
    for (let i = 0; i < N; i++) k.c.transmit(frame);

    // Every loss happens in the Bad state.
    expect(k.c.counters['lost-random']).toBeUndefined();
    const lostIds = idsWithFate(k.c, 'lost-burst');
    expect(lostIds.length).toBe(k.c.counters['lost-burst']);

    // Bursts: runs of consecutive lost ids.
    const bursts: number[] = [];
    let run = 1;
    for (let i = 1; i <= lostIds.length; i++) {
      if (i < lostIds.length && lostIds[i] === lostIds[i - 1] + 1) run++;
      else {
        bursts.push(run);
        run = 1;
      }
    }
    const meanBurst = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    // About N p r / (p + r) = 9,500 bursts, each geometric with variance (1 - r) / r^2 = 20:
    // standard error 0.046 frames (0.9%); the bound (5%) is 5.4 of them.
    expect(Math.abs(meanBurst - 1 / r) / (1 / r)).toBeLessThan(0.05);

    // Stationary loss p / (p + r) = 4.76%. For a two-state chain the variance of the mean
    // is pi (1 - pi) (1 + lambda) / ((1 - lambda) N) with lambda = 1 - p - r.
    const pi = p / (p + r);
    const lambda = 1 - p - r;
    const se = Math.sqrt((pi * (1 - pi) * (1 + lambda)) / ((1 - lambda) * N));
    expect(Math.abs(lostIds.length / N - pi)).toBeLessThan(4 * se);
  });
});

describe('rate limit', () => {
  const RATE = 10e6;
  const OVERHEAD = 24;
  /** Transmission time of a 1000-byte frame, ms: (1000 + 24) * 8 / 10 Mbit/s = 0.8192 ms. */
  const TX = ((1000 + OVERHEAD) * 8 * 1000) / RATE;

  it('1,000 back-to-back frames of 1000 bytes leave at 10 Mbit/s, one transmission time apart', () => {
    const r = rig({ rateBps: RATE, overheadBytes: OVERHEAD, queueFrames: 1000 });
    offer(r, 1000, () => 0, 1000);
    expect(r.out.length).toBe(1000);
    expect(r.c.counters['queue-full']).toBeUndefined();
    // The limiter is work-conserving and FIFO: frame k finishes at (k + 1) * TX.
    r.out.forEach((d, k) => {
      expect(numberOf(d.frame)).toBe(k);
      expect(d.t).toBeCloseTo((k + 1) * TX, 9);
    });
    // Achieved rate over the departure span: frames 2..1000 were transmitted in it.
    const span = (r.out[999].t - r.out[0].t) / 1000;
    const wireRate = (999 * (1000 + OVERHEAD) * 8) / span;
    expect(Math.abs(wireRate / RATE - 1)).toBeLessThan(0.03);
    // Measured on frame bytes alone the rate is lower by the overhead's share.
    const frameRate = (999 * 1000 * 8) / span;
    expect(frameRate / RATE).toBeCloseTo(1000 / 1024, 9);
  });

  it('a burst into a 20-frame queue: frame k waits k * TX, the rest is tail-dropped', () => {
    const r = rig({ rateBps: RATE, overheadBytes: OVERHEAD, queueFrames: 20 });
    const events: FateEvent[] = [];
    r.tracer.subscribe((e) => e.type === 'fate' && events.push(e));
    offer(r, 50, () => 5, 1000);
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([...Array(20).keys()]);
    r.out.forEach((d, k) => expect(d.t - 5 - TX).toBeCloseTo(k * TX, 9));
    expect(r.c.counters['queue-full']).toBe(30);
    // The trace says how long each queued frame waited, and which were dropped.
    const queued = events.filter((e) => e.fate === 'queued');
    expect(queued.map((e) => e.frameId)).toEqual([...Array(19).keys()].map((k) => k + 1));
    queued.forEach((e, i) => expect(e.delayMs).toBeCloseTo((i + 1) * TX, 9));
    expect(events.filter((e) => e.fate === 'queue-full').map((e) => e.frameId)).toEqual([...Array(30).keys()].map((k) => k + 20));
  });

  it('offered at twice the rate: queueing delay grows, then stays bounded by the queue', () => {
    const Q = 20;
    const r = rig({ rateBps: RATE, overheadBytes: OVERHEAD, queueFrames: Q });
    const arrivals = offer(r, 400, (i) => (i * TX) / 2, 1000);
    const drops = r.c.counters['queue-full'] ?? 0;
    expect(drops).toBeGreaterThan(0);
    expect(r.out.length + drops).toBe(400);

    const numbers = r.out.map((d) => numberOf(d.frame));
    const delays = r.out.map((d, k) => d.t - arrivals[numbers[k]] - TX);
    // Until the first drop every frame was accepted, and frame k waited k * (TX - TX/2).
    const firstDropped = numbers.findIndex((n, k) => n !== k);
    expect(firstDropped).toBeGreaterThan(Q);
    for (let k = 0; k < firstDropped; k++) expect(delays[k]).toBeCloseTo((k * TX) / 2, 9);
    // Then the queue is full: a frame waits behind at most Q - 1 others (one of them in
    // transmission), and the link is never idle, so departures are exactly TX apart.
    for (const d of delays) expect(d).toBeLessThanOrEqual((Q - 1) * TX + 1e-9);
    expect(Math.max(...delays)).toBeGreaterThan((Q - 2) * TX);
    for (let k = 1; k < r.out.length; k++) expect(r.out[k].t - r.out[k - 1].t).toBeCloseTo(TX, 9);
    // The link never idled: n departures took n transmission times.
    expect(r.out.length).toBe(Math.round(r.out[r.out.length - 1].t / TX));
  });

  it('a byte bound on the queue: 5000 bytes hold four 1024-byte frames', () => {
    const r = rig({ rateBps: RATE, overheadBytes: OVERHEAD, queueFrames: 1000, queueBytes: 5000 });
    offer(r, 10, () => 0, 1000);
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([0, 1, 2, 3]);
    expect(r.c.counters['queue-full']).toBe(6);
  });
});

describe('delay distributions', () => {
  const N = 50_000;
  const MU = 100;
  const SIGMA = 20;
  /** Phi^-1(0.1); Phi^-1(0.9) is its negative. */
  const Z10 = -1.2815515655446004;

  function delays(distribution: DelayDistribution, delayMs = MU, jitterMs = SIGMA): number[] {
    const r = rig({ delayMs, jitterMs, distribution });
    const arrivals = offer(r, N, (i) => i * 0.01);
    expect(r.out.length).toBe(N);
    return r.out.map((d) => d.t - arrivals[numberOf(d.frame)]).sort((a, b) => a - b);
  }

  it('uniform: p10, p50, p90 match 100 + 20 (2q - 1) within 1 ms', () => {
    const d = delays('uniform');
    // Standard error of a quantile: sqrt(q (1 - q) / N) / density = 0.05 ms at most here.
    for (const q of [0.1, 0.5, 0.9]) expect(Math.abs(quantile(d, q) - (MU + SIGMA * (2 * q - 1)))).toBeLessThan(1);
    expect(d[0]).toBeGreaterThanOrEqual(MU - SIGMA);
    expect(d[N - 1]).toBeLessThan(MU + SIGMA);
  });

  it('normal: p10, p50, p90 match 100 + 20 Phi^-1(q) within 1 ms', () => {
    const d = delays('normal');
    // Standard errors: 0.15 ms (p10, p90), 0.11 ms (p50).
    expect(Math.abs(quantile(d, 0.1) - (MU + SIGMA * Z10))).toBeLessThan(1);
    expect(Math.abs(quantile(d, 0.5) - MU)).toBeLessThan(1);
    expect(Math.abs(quantile(d, 0.9) - (MU - SIGMA * Z10))).toBeLessThan(1);
  });

  it('pareto: median and p90 match 100 + 20 ((1 - q)^(-1/3) - 1.5) within 1.5 ms', () => {
    const d = delays('pareto');
    // Standard errors: 0.04 ms (p50), 0.19 ms (p90).
    for (const q of [0.5, 0.9]) expect(Math.abs(quantile(d, q) - (MU + SIGMA * (Math.pow(1 - q, -1 / 3) - 1.5)))).toBeLessThan(1.5);
    // Shifted to mean zero, a shape-3 Pareto is never below -0.5 sigma.
    expect(d[0]).toBeGreaterThanOrEqual(MU - 0.5 * SIGMA);
  });

  it('paretonormal: mean 100 within 1 ms, skewed right', () => {
    const d = delays('paretonormal');
    // Standard deviation 20 sqrt(0.25^2 + 0.75^2 * 0.75) = 13.9 ms: standard error of the mean 0.06 ms.
    const mean = d.reduce((a, b) => a + b, 0) / N;
    expect(Math.abs(mean - MU)).toBeLessThan(1);
    const [p10, p50, p90] = [0.1, 0.5, 0.9].map((q) => quantile(d, q));
    expect(p90 - p50).toBeGreaterThan(p50 - p10);
  });

  it('delays are never negative: with delay 10 ms and jitter 20 ms, Phi(-0.5) = 30.9% are clamped to zero', () => {
    const d = delays('normal', 10, 20);
    expect(d[0]).toBe(0);
    const zero = d.filter((x) => x === 0).length / N;
    // Standard error 0.21%; the bound is 4.8 of them.
    expect(Math.abs(zero - 0.308538)).toBeLessThan(0.01);
  });

  it('with a rate limit, negative jitter never lets a frame leave before its transmission ends', () => {
    const TX = ((1000 + 24) * 8 * 1000) / 10e6;
    const r = rig({ rateBps: 10e6, overheadBytes: 24, delayMs: 1, jitterMs: 5, distribution: 'normal' });
    const arrivals = offer(r, 2000, (i) => i * 10, 1000); // far apart: no queueing
    const delays = r.out.map((d) => d.t - arrivals[numberOf(d.frame)] - TX);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(-1e-9);
    // P(1 + 5 Z < 0) = Phi(-0.2) = 42%: those leave the moment their last bit is out.
    expect(delays.filter((d) => Math.abs(d) < 1e-9).length).toBeGreaterThan(0.35 * 2000);
  });

  it('keepOrder: with jitter far larger than the spacing, frames still leave in order', () => {
    const r = rig({ delayMs: 50, jitterMs: 40, distribution: 'uniform', keepOrder: true });
    offer(r, 2000, (i) => i);
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([...Array(2000).keys()]);
    for (let k = 1; k < r.out.length; k++) expect(r.out[k].t).toBeGreaterThanOrEqual(r.out[k - 1].t);
  });

  it('without keepOrder the same jitter reorders frames', () => {
    const r = rig({ delayMs: 50, jitterMs: 40, distribution: 'uniform' });
    offer(r, 2000, (i) => i);
    const order = r.out.map((d) => numberOf(d.frame));
    let inversions = 0;
    for (let k = 1; k < order.length; k++) if (order[k] < order[k - 1]) inversions++;
    expect(inversions).toBeGreaterThan(100);
  });
});

describe('reorder, duplicate, corrupt', () => {
  it('reorder 25% gap 5 with delay 10 ms: 1 / (4 + 1/0.25) = 12.5% of frames skip the delay (netem)', () => {
    // netem_enqueue(): after gap - 1 delayed frames, *each* frame skips the delay with
    // probability P until one does (the counter resets only then). A cycle is 4 frames
    // plus a geometric wait of mean 1/P = 4, so 1 frame in 8 is reordered.
    const N = 40_000;
    const r = rig({ delayMs: 10, reorderPercent: 25, reorderGap: 5 });
    r.c.fateLogLimit = 10 * N;
    const arrivals = offer(r, N, (i) => i * 0.1);
    const reordered = new Set(idsWithFate(r.c, 'reordered'));
    expect(reordered.size).toBe(r.c.counters.reordered);
    // Cycle length has mean 8 and variance 12: standard error of the fraction 0.077%.
    expect(Math.abs(reordered.size / N - 0.125)).toBeLessThan(0.005);
    // Reordered frames leave at once; the others after exactly 10 ms.
    expect(r.out.length).toBe(N);
    const wrongDelay = r.out.filter((d) => {
      const n = numberOf(d.frame);
      return Math.abs(d.t - arrivals[n] - (reordered.has(n + 1) ? 0 : 10)) > 1e-9;
    });
    expect(wrongDelay).toEqual([]);
    // At least gap - 1 delayed frames between two reordered ones.
    const ids = [...reordered].sort((a, b) => a - b);
    for (let k = 1; k < ids.length; k++) expect(ids[k] - ids[k - 1]).toBeGreaterThanOrEqual(5);
  });

  it('reorder 100% gap 5: exactly every 5th frame skips the delay', () => {
    const r = rig({ delayMs: 10, reorderPercent: 100, reorderGap: 5 });
    r.c.fateLogLimit = 1000;
    offer(r, 100, (i) => i * 0.1);
    expect(idsWithFate(r.c, 'reordered')).toEqual([...Array(20).keys()].map((k) => 5 * (k + 1)));
  });

  it('duplicate 5%: 5% of 100,000 frames (within 0.3%), each reaching the medium twice', () => {
    const N = 100_000;
    const r = rig({ duplicatePercent: 5 });
    r.c.fateLogLimit = N;
    const seen = new Uint8Array(N);
    for (let i = 0; i < N; i++) r.c.transmit(numbered(i));
    for (const d of r.out) seen[numberOf(d.frame)]++;
    const dupIds = idsWithFate(r.c, 'duplicated');
    expect(dupIds.length).toBe(r.c.counters.duplicated);
    // Standard error sqrt(0.05 * 0.95 / N) = 0.069%; the bound is 4.4 of them.
    expect(Math.abs(dupIds.length / N - 0.05)).toBeLessThan(0.003);
    const twice = new Set(dupIds.map((id) => id - 1));
    const wrongCount = [...seen.keys()].filter((i) => seen[i] !== (twice.has(i) ? 2 : 1));
    expect(wrongCount).toEqual([]);
    expect(r.out.length).toBe(N + dupIds.length);
  });

  it('corrupt 1%: a corrupted copy differs in exactly one bit; the frame handed in is never modified', () => {
    const N = 20_000;
    const r = rig({ corruptPercent: 1 });
    const sent: Uint8Array[] = [];
    const pristine: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      const f = numbered(i, 60 + (i % 40));
      for (let j = 46; j < f.length; j++) f[j] = (i * 31 + j) & 0xff;
      sent.push(f);
      pristine.push(f.slice());
      r.c.transmit(f);
    }
    expect(r.out.length).toBe(N);
    let corrupted = 0;
    const problems: string[] = [];
    r.out.forEach((d, i) => {
      if (bitsDiffering(sent[i], pristine[i]) !== 0) problems.push(`frame ${i}: the original was modified`);
      const bits = bitsDiffering(d.frame, pristine[i]);
      if (bits === 0 && d.frame !== sent[i]) problems.push(`frame ${i}: an unmodified copy was sent`);
      if (bits > 0) {
        corrupted++;
        if (bits !== 1) problems.push(`frame ${i}: ${bits} bits differ`);
        if (d.frame === sent[i]) problems.push(`frame ${i}: corrupted in place`);
      }
    });
    expect(problems).toEqual([]);
    expect(corrupted).toBe(r.c.counters.corrupted);
    // Standard error 0.07%; the bound is 4.3 of them.
    expect(Math.abs(corrupted / N - 0.01)).toBeLessThan(0.003);
  });
});

describe('determinism', () => {
  const settings: Partial<ConditionerSettings> = {
    delayMs: 20,
    jitterMs: 15,
    distribution: 'paretonormal',
    delayCorrelation: 25,
    loss: { model: 'random', percent: 5, correlation: 25 },
    duplicatePercent: 3,
    corruptPercent: 2,
    reorderPercent: 10,
    reorderGap: 3,
    rateBps: 50e6,
    overheadBytes: 24,
    queueFrames: 30,
  };

  function run(seed: number) {
    const r = rig(settings, seed);
    r.c.fateLogLimit = 100_000;
    offer(r, 5000, (i) => i * 0.15, 600);
    return { log: r.c.fateLog, departures: r.out.map((d) => [d.t, numberOf(d.frame), Buffer.from(d.frame).toString('hex')] as const) };
  }

  it('the same seed, settings and frames give the same fates and departure times', () => {
    const a = run(7);
    const b = run(7);
    expect(a.log.length).toBeGreaterThan(5000);
    for (const fate of ['lost-random', 'duplicated', 'corrupted', 'reordered', 'delayed', 'queued'] as const) {
      expect(a.log.some(([, f]) => f === fate)).toBe(true);
    }
    expect(b.log).toEqual(a.log);
    expect(b.departures).toEqual(a.departures);
  });

  it('a different seed gives different fates', () => {
    expect(run(8).log).not.toEqual(run(7).log);
  });
});

describe('link MTU, unplug, live settings, pass-through', () => {
  it('too-big: a frame whose payload exceeds the link MTU is dropped; one that fits passes', () => {
    const r = rig({ mtu: 100 });
    r.c.fateLogLimit = 10;
    r.c.transmit(numbered(1, 14 + 100));
    r.c.transmit(numbered(2, 14 + 101));
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([1]);
    expect(r.c.fateLog).toEqual([[2, 'too-big']]);
  });

  it('unplugged: nothing reaches the medium until it is plugged back', () => {
    const r = rig({ unplugged: true });
    for (let i = 0; i < 5; i++) r.c.transmit(numbered(i));
    expect(r.out).toEqual([]);
    expect(r.c.counters.unplugged).toBe(5);
    r.c.configure({ unplugged: false });
    r.c.transmit(numbered(5));
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([5]);
  });

  it('configure() mid-run applies to later frames only; frames in flight keep their delay', () => {
    const r = rig({ delayMs: 10 });
    for (let i = 0; i < 10; i++) r.scheduler.at(i, () => r.c.transmit(numbered(i)));
    r.scheduler.at(4.5, () => r.c.configure({ delayMs: 50 }));
    r.scheduler.runUntilIdle();
    expect(r.out.map((d) => [numberOf(d.frame), d.t])).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
      [3, 13],
      [4, 14],
      [5, 55],
      [6, 56],
      [7, 57],
      [8, 58],
      [9, 59],
    ]);
    expect(r.c.current.delayMs).toBe(50);
  });

  it('all-zero settings pass frames through synchronously and count them as passed', () => {
    const r = rig({ ...PERFECT });
    const fates: TraceEvent[] = [];
    r.tracer.subscribe((e) => e.type === 'fate' && fates.push(e));
    r.scheduler.advance(3);
    for (let i = 0; i < 3; i++) {
      expect(r.c.transmit(numbered(i), 100 + i)).toBe(true);
      expect(r.out.length).toBe(i + 1); // already at the medium when transmit() returns
    }
    expect(r.out.map((d) => [d.t, d.frameId])).toEqual([
      [3, 100],
      [3, 101],
      [3, 102],
    ]);
    expect(r.scheduler.pending).toBe(0);
    expect(r.c.counters).toEqual({ passed: 3 });
    expect(fates).toEqual([]);
  });

  it('switching a delayed link back to all-zero makes it pass-through again', () => {
    const r = rig({ delayMs: 5, jitterMs: 1 });
    r.c.transmit(numbered(0));
    expect(r.out.length).toBe(0);
    r.c.configure({ ...PERFECT });
    r.c.transmit(numbered(1));
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([1]);
    r.scheduler.runUntilIdle();
    expect(r.out.map((d) => numberOf(d.frame))).toEqual([1, 0]);
  });
});

describe('per-packet fate', () => {
  it('hold(2, icmp) catches exactly the next two ICMP frames, not ARP, not the third', () => {
    const r = rig({});
    const rule = r.c.hold(2, { protocol: 'icmp' });
    expect(r.c.rules.map((x) => x.id)).toEqual([rule]);
    r.c.transmit(arpFrame(), 1);
    r.c.transmit(icmpFrame(1), 2);
    r.c.transmit(arpFrame(), 3);
    r.c.transmit(icmpFrame(2), 4);
    r.c.transmit(icmpFrame(3), 5);
    expect(r.out.map((d) => d.frameId)).toEqual([1, 3, 5]);
    const held = r.c.inFlight();
    expect(held.map((h) => [h.id, h.frameId, h.state])).toEqual([
      [2, 2, 'held'],
      [4, 4, 'held'],
    ]);
    expect(r.c.rules).toEqual([]);
    expect(r.c.counters.held).toBe(2);
    // Held frames wait for a decision: time alone does not release them.
    r.scheduler.advance(60_000);
    expect(r.out.length).toBe(3);
  });

  function heldFrame() {
    const r = rig({});
    r.c.hold(1, { protocol: 'icmp' });
    const frame = icmpFrame(9);
    const pristine = frame.slice();
    r.c.transmit(frame, 77);
    const [held] = r.c.inFlight();
    expect(held.state).toBe('held');
    r.scheduler.advance(250);
    return { ...r, frame, pristine, id: held.id };
  }

  it('act release: the frame leaves now', () => {
    const h = heldFrame();
    expect(h.c.act(h.id, { action: 'release' })).toBe(true);
    expect(h.out).toEqual([{ t: 250, frame: h.frame, frameId: 77 }]);
    expect(h.c.inFlight()).toEqual([]);
    expect(h.c.counters.released).toBe(1);
  });

  it('act drop: the frame never leaves', () => {
    const h = heldFrame();
    expect(h.c.act(h.id, { action: 'drop' })).toBe(true);
    h.scheduler.advance(10_000);
    expect(h.out).toEqual([]);
    expect(h.c.inFlight()).toEqual([]);
    expect(h.c.counters.dropped).toBe(1);
  });

  it('act duplicate: the frame leaves twice, now', () => {
    const h = heldFrame();
    expect(h.c.act(h.id, { action: 'duplicate' })).toBe(true);
    expect(h.out.map((d) => [d.t, d.frameId])).toEqual([
      [250, 77],
      [250, 77],
    ]);
    for (const d of h.out) expect(d.frame).toEqual(h.pristine);
  });

  it('act corrupt: one copy with exactly one bit flipped leaves now; the held frame is untouched', () => {
    const h = heldFrame();
    expect(h.c.act(h.id, { action: 'corrupt' })).toBe(true);
    expect(h.out.length).toBe(1);
    expect(h.out[0].t).toBe(250);
    expect(bitsDiffering(h.out[0].frame, h.pristine)).toBe(1);
    expect(h.frame).toEqual(h.pristine);
  });

  it('act delay: the frame leaves that much later, and is in flight until then', () => {
    const h = heldFrame();
    expect(h.c.act(h.id, { action: 'delay', ms: 40 })).toBe(true);
    expect(h.c.inFlight().map((f) => [f.id, f.state, f.departAt])).toEqual([[h.id, 'delayed', 290]]);
    h.scheduler.advance(39);
    expect(h.out).toEqual([]);
    h.scheduler.advance(1);
    expect(h.out.map((d) => [d.t, d.frameId])).toEqual([[290, 77]]);
    expect(h.c.inFlight()).toEqual([]);
  });

  it('act on a delayed frame: release sends it early and its timer does not send it again', () => {
    const r = rig({ delayMs: 100 });
    r.c.transmit(numbered(1), 1);
    const [f] = r.c.inFlight();
    expect([f.state, f.departAt]).toEqual(['delayed', 100]);
    r.scheduler.advance(30);
    expect(r.c.act(f.id, { action: 'release' })).toBe(true);
    r.scheduler.advance(1000);
    expect(r.out.map((d) => d.t)).toEqual([30]);
  });

  it('act on an unknown id, or on a frame already decided, returns false', () => {
    const h = heldFrame();
    expect(h.c.act(h.id + 1000, { action: 'release' })).toBe(false);
    expect(h.c.act(h.id, { action: 'drop' })).toBe(true);
    expect(h.c.act(h.id, { action: 'release' })).toBe(false);
    expect(h.out).toEqual([]);
  });
});

describe('hold filters: matches()', () => {
  it('protocols', () => {
    expect(matches(arpFrame(), { protocol: 'arp' })).toBe(true);
    expect(matches(icmpFrame(1), { protocol: 'arp' })).toBe(false);
    expect(matches(arpFrame(), { protocol: 'ipv4' })).toBe(false);
    expect(matches(icmpFrame(1), { protocol: 'ipv4' })).toBe(true);
    expect(matches(icmpFrame(1), { protocol: 'icmp' })).toBe(true);
    expect(matches(udpFrame(1, 2), { protocol: 'icmp' })).toBe(false);
    expect(matches(udpFrame(1, 2), { protocol: 'udp' })).toBe(true);
    expect(matches(tcpFrame(TcpFlag.ACK), { protocol: 'udp' })).toBe(false);
    expect(matches(tcpFrame(TcpFlag.ACK), { protocol: 'tcp' })).toBe(true);
    expect(matches(arpFrame(), {})).toBe(true);
  });

  it('tcpFlags: every letter must be set', () => {
    const fin = tcpFrame(TcpFlag.FIN | TcpFlag.ACK);
    const syn = tcpFrame(TcpFlag.SYN);
    const synAck = tcpFrame(TcpFlag.SYN | TcpFlag.ACK);
    const ack = tcpFrame(TcpFlag.ACK);
    expect([fin, syn, synAck, ack].map((f) => matches(f, { tcpFlags: 'F' }))).toEqual([true, false, false, false]);
    expect([fin, syn, synAck, ack].map((f) => matches(f, { tcpFlags: 'SA' }))).toEqual([false, false, true, false]);
    expect([fin, syn, synAck, ack].map((f) => matches(f, { tcpFlags: 'S' }))).toEqual([false, true, true, false]);
    expect(matches(synAck, { tcpFlags: 'sa' })).toBe(true);
    // Flags imply TCP: a UDP datagram never matches.
    expect(matches(udpFrame(1, 2), { tcpFlags: 'F' })).toBe(false);
  });

  it('port: source or destination, UDP or TCP only', () => {
    expect(matches(udpFrame(5353, 53), { port: 53 })).toBe(true);
    expect(matches(udpFrame(53, 5353), { port: 53 })).toBe(true);
    expect(matches(udpFrame(5353, 5354), { port: 53 })).toBe(false);
    expect(matches(tcpFrame(TcpFlag.SYN, 40000, 80), { port: 80 })).toBe(true);
    expect(matches(tcpFrame(TcpFlag.SYN, 40000, 80), { port: 80, protocol: 'udp' })).toBe(false);
    expect(matches(tcpFrame(TcpFlag.SYN, 40000, 80), { port: 80, tcpFlags: 'SA' })).toBe(false);
    expect(matches(icmpFrame(1), { port: 0 })).toBe(false);
  });

  it('short or malformed frames never throw and match only the empty filter', () => {
    const filters: FrameFilter[] = [{ protocol: 'arp' }, { protocol: 'icmp' }, { protocol: 'udp', port: 53 }, { tcpFlags: 'SA' }, { port: 80 }, { protocol: 'ipv4' }];
    for (const len of [0, 1, 13, 14, 33]) {
      const f = tcpFrame(TcpFlag.SYN | TcpFlag.ACK, 80, 80).subarray(0, len);
      for (const filter of filters) expect(matches(f, filter)).toBe(false);
      expect(matches(f, {})).toBe(true);
    }
    // A TCP frame cut inside its header: the flags cannot be read, so it does not match.
    expect(matches(tcpFrame(TcpFlag.SYN | TcpFlag.ACK).subarray(0, 34 + 10), { tcpFlags: 'S' })).toBe(false);
  });

  it('random bytes: never throws, and protocol filters mean exactly what they say', () => {
    const filterArb: fc.Arbitrary<FrameFilter> = fc.record(
      {
        protocol: fc.constantFrom<NonNullable<FrameFilter['protocol']>>('arp', 'ipv4', 'icmp', 'udp', 'tcp'),
        tcpFlags: fc.string({ maxLength: 4 }),
        port: fc.integer({ min: 0, max: 65535 }),
      },
      { requiredKeys: [] },
    );
    // Frames that are often plausible: the EtherType and IP protocol come from small sets.
    const frameArb = fc
      .tuple(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(0x0800, 0x0806, 0x86dd), fc.constantFrom(1, 6, 17, 0))
      .map(([b, type, proto]) => {
        if (b.length >= 14) put16(b, 12, type);
        if (b.length >= 24) b[23] = proto;
        return b;
      });
    fc.assert(
      fc.property(frameArb, filterArb, (b, filter) => {
        const got = matches(b, filter);
        const type = b.length >= 14 ? (b[12] << 8) | b[13] : -1;
        if (filter.protocol === 'arp') expect(got).toBe(type === 0x0806);
        if (filter.protocol === 'icmp' && got) expect([type, b[23]]).toEqual([0x0800, 1]);
        if ((filter.protocol === 'tcp' || filter.tcpFlags !== undefined) && filter.protocol !== 'arp' && got) expect([type, b[23]]).toEqual([0x0800, 6]);
        if (filter.protocol === undefined && filter.tcpFlags === undefined && filter.port === undefined) expect(got).toBe(true);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });

  it('random bytes through a conditioner with hold rules and every effect on: never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (frames, seed) => {
        const r = rig({ delayMs: 2, jitterMs: 1, duplicatePercent: 20, corruptPercent: 50, reorderPercent: 30, reorderGap: 2, rateBps: 1e6, queueFrames: 5, mtu: 50 }, seed);
        r.c.hold(3, { protocol: 'icmp' });
        r.c.hold(2, { tcpFlags: 'SA', port: 80 });
        frames.forEach((f, i) => r.scheduler.at(i * 0.5, () => r.c.transmit(f)));
        const actions = [{ action: 'corrupt' }, { action: 'release' }, { action: 'delay', ms: 3 }, { action: 'duplicate' }, { action: 'drop' }] as const;
        for (const t of [3, 100]) {
          r.scheduler.at(t, () => r.c.inFlight().forEach((f, i) => r.c.act(f.id, actions[i % actions.length])));
        }
        r.scheduler.runUntilIdle();
        expect(r.c.inFlight()).toEqual([]);
      }),
      { numRuns: 200, seed: SEED },
    );
  });
});
