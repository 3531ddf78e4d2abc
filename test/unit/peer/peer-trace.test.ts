/**
 * The summary of our trace that goes to the peer tab (PeerTraceExporter), its
 * bounds under a flood of frames, the receiving side's bounds and clock
 * mapping (PeerTraceImporter, timeline.ts), and the frame identity both sides
 * match frames by.
 */
import { describe, expect, it } from 'vitest';
import type { FrameEvent, TraceEvent } from '../../../worker/trace/events';
import { frameIdentity, IDENTITY_BYTES } from '../../../src/lib/frame-identity';
import { MAX_CONTROL_MESSAGE, parseControl } from '../../../src/lib/peer/control';
import {
  COMMON_PER_FLUSH,
  MAX_HELD,
  MAX_RECEIVE_PER_SECOND,
  MAX_SKEW_MS,
  PRIORITY_PER_FLUSH,
  PeerTraceExporter,
  PeerTraceImporter,
  type TraceMessage,
} from '../../../src/lib/peer/peer-trace';
import { peerToLocal, stackError, stackToWall, wallToStack, type ClockAnchor } from '../../../src/lib/peer/timeline';

const conn = '10.0.0.1:49152>10.0.0.2:7';
const anchor: ClockAnchor = { wall: 1_700_000_000_000, stack: 0, speed: 1 };

function frame(seed: number, length = 1514): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (seed * 31 + i * 7) & 0xff;
  return f;
}
const tx = (id: number, t = id, f = frame(id)): FrameEvent => ({ type: 'frame', t, host: 'alice', iface: 'eth0', dir: 'tx', id, frame: f });
const state = (t: number, from: string, to: string): TraceEvent => ({ type: 'tcp', t, host: 'alice', conn, what: 'state', from, to, cause: 'test' });
const timer = (t: number, what: 'start' | 'stop' | 'fire', kind = 'rto'): TraceEvent => ({ type: 'timer', t, host: 'alice', what, kind, owner: conn, deadline: what === 'start' ? t + 200 : undefined });

/** The messages as the peer's parser sees them. */
function overTheWire(ms: TraceMessage[]): TraceMessage[] {
  return ms.map((m) => {
    const raw = JSON.stringify(m);
    expect(raw.length).toBeLessThanOrEqual(MAX_CONTROL_MESSAGE);
    const p = parseControl(raw);
    if (!p.ok || p.value.t !== 'trace') throw new Error(JSON.stringify(p));
    return p.value;
  });
}

describe('frame identity', () => {
  it('is the same for the same bytes, and differs for a change in the first 64 bytes or in the length', () => {
    const f = frame(1);
    expect(frameIdentity(f)).toBe(frameIdentity(f.slice()));
    const g = f.slice();
    g[IDENTITY_BYTES - 1]! ^= 1;
    expect(frameIdentity(g)).not.toBe(frameIdentity(f));
    expect(frameIdentity(f.subarray(0, 1500))).not.toBe(frameIdentity(f));
    // Beyond 64 bytes it does not look: the checksums inside the first 64 bytes tell payloads apart.
    const h = f.slice();
    h[1000]! ^= 1;
    expect(frameIdentity(h)).toBe(frameIdentity(f));
    expect(frameIdentity(new Uint8Array(0))).toBe(0x811c9dc5);
  });
});

describe('clock mapping', () => {
  it('maps a peer stack time through both tabs’ anchors and the offset', () => {
    // The peer's page clock is 1000 ms ahead; its stack started 300 ms of wall time after ours; both at half speed.
    const local: ClockAnchor = { wall: 5000, stack: 100, speed: 0.5 };
    const peer: ClockAnchor = { wall: 6300, stack: 0, speed: 0.5 };
    // Peer stack 50 happened at peer wall 6400 = our wall 5400, which is our stack 100 + 400 * 0.5 = 300.
    expect(stackToWall(50, peer)).toBe(6400);
    expect(peerToLocal(50, peer, 1000, local)).toBe(300);
    expect(wallToStack(stackToWall(123, local), local)).toBeCloseTo(123, 9);
    expect(stackError(4, local)).toBe(2);
  });
});

describe('PeerTraceExporter', () => {
  it('under a flood sends at most its budget per flush, keeps state changes and timer ends, and counts the rest', () => {
    const ex = new PeerTraceExporter('alice');
    const batch: TraceEvent[] = [timer(0, 'start')];
    for (let i = 1; i <= 5000; i++) batch.push(tx(i));
    batch.push(state(5001, 'SYN_SENT', 'ESTABLISHED'), timer(5002, 'stop'));
    ex.add(batch);
    const ms = overTheWire(ex.flush(anchor));
    const ev = ms.flatMap((m) => m.ev);
    expect(ev.filter((e) => e[0] === 'x')).toHaveLength(COMMON_PER_FLUSH - 1);
    expect(ev.filter((e) => e[0] === 's')).toHaveLength(1);
    expect(ev.filter((e) => e[0] === 'm').map((e) => e[2])).toEqual(['start', 'stop']);
    expect(ex.skipped).toBe(5000 - (COMMON_PER_FLUSH - 1));
    expect(ms.at(-1)!.skipped).toBe(ex.skipped);
    // A fresh window, a fresh budget.
    ex.add([tx(6000)]);
    expect(overTheWire(ex.flush(anchor)).flatMap((m) => m.ev)).toHaveLength(1);
    expect(ex.flush(anchor)).toEqual([]);
  });

  it('caps the priority events too, and cuts large windows into messages under the limit', () => {
    const ex = new PeerTraceExporter('alice');
    const batch: TraceEvent[] = [];
    // Frames the conditioner killed carry their first bytes along: the largest entries.
    for (let i = 1; i <= 200; i++) batch.push(tx(i, i, frame(i, 300)), { type: 'fate', t: i, host: 'alice', id: i, frameId: i, fate: 'lost-random', len: 300 });
    ex.add(batch);
    const ms = overTheWire(ex.flush(anchor));
    expect(ms.length).toBeGreaterThan(1);
    const fates = ms.flatMap((m) => m.ev).filter((e) => e[0] === 'f');
    expect(fates).toHaveLength(PRIORITY_PER_FLUSH);
    expect(fates[0]![2]).toBe(frameIdentity(frame(1, 300)));
  });

  it('ends a timer the peer was told about even when the budget ran out, and leaves out ends of timers it never heard of', () => {
    const ex = new PeerTraceExporter('alice');
    ex.add([timer(0, 'start')]);
    for (let i = 1; i <= COMMON_PER_FLUSH; i++) ex.add([tx(i)]);
    // The restart does not fit: the bracket the peer has open is closed at that moment instead.
    ex.add([timer(100, 'start'), timer(150, 'fire'), timer(160, 'stop', 'persist')]);
    const ev = overTheWire(ex.flush(anchor)).flatMap((m) => m.ev);
    expect(ev.filter((e) => e[0] === 'm').map((e) => [e[1], e[2]])).toEqual([
      [0, 'start'],
      [100, 'stop'],
    ]);
  });

  it('sends only its own host’s ladder events, with a retransmission’s cause', () => {
    const ex = new PeerTraceExporter('alice');
    ex.add([
      { ...tx(1), host: 'bob' },
      { type: 'arp', t: 1, host: 'alice', what: 'learned', ip: 1 },
      { type: 'tcp', t: 1, host: 'alice', conn, what: 'cwnd', cwnd: 1, ssthresh: 2, cause: 'x' },
      { ...tx(2), expert: { flags: 1, cause: 'rto' } },
      { type: 'frame', t: 3, host: 'alice', iface: 'eth0', dir: 'rx', id: 9, frame: frame(9) },
    ]);
    expect(overTheWire(ex.flush(anchor)).flatMap((m) => m.ev)).toEqual([
      ['x', 2, frameIdentity(frame(2)), 'rto'],
      ['r', 3, frameIdentity(frame(9))],
    ]);
  });
});

describe('PeerTraceImporter', () => {
  const message = (ev: TraceMessage['ev'], skipped = 0, clock = anchor): TraceMessage => ({ t: 'trace', clock, skipped, ev });

  it('holds events until the clock offset is known, then maps them onto our timeline', () => {
    const im = new PeerTraceImporter();
    im.receive(message([['s', 500, conn, 'LISTEN', 'SYN_RCVD', 'x']]), 0);
    expect(im.take({ anchor, now: 0 }, undefined)).toEqual([]);
    expect(im.holding).toBe(1);
    // The peer's page clock is 2 s ahead: its stack time 500 at its wall anchor + 500 is our wall anchor - 1500.
    const local = { anchor: { wall: anchor.wall - 3000, stack: 10, speed: 1 }, now: 2000 };
    expect(im.take(local, 2000)).toEqual([{ kind: 'state', t: 10 + 3000 + 500 - 2000, conn, from: 'LISTEN', to: 'SYN_RCVD', cause: 'x' }]);
    expect(im.holding).toBe(0);
  });

  it('refuses absurd times, more than its rate a second and more than it will hold, and sums the peer’s skipped counts across its reloads', () => {
    const im = new PeerTraceImporter();
    im.receive(message([['r', MAX_SKEW_MS + 1, 1], ['r', 5, 2], ['m', 6, 'start', 'rto', conn, 1e13]], 10), 0);
    expect(im.take({ anchor, now: 0 }, 0)).toEqual([
      { kind: 'rx', t: 5, id: 2 },
      { kind: 'timer', t: 6, what: 'start', timer: 'rto', conn, deadline: undefined },
    ]);
    expect(im.refused).toBe(1);
    const many = Array.from({ length: 200 }, (_, i): TraceMessage['ev'][number] => ['r', i, i]);
    for (let k = 0; k < 20; k++) im.receive(message(many, 20), 100); // 4000 in one second
    expect(im.holding).toBe(MAX_RECEIVE_PER_SECOND - 3);
    expect(im.refused).toBe(1 + 4000 - (MAX_RECEIVE_PER_SECOND - 3));
    // A second later, more; the hold keeps only the newest MAX_HELD.
    for (let s = 1; s <= 4; s++) for (let k = 0; k < 20; k++) im.receive(message(many, 20), 100 + 1000 * s);
    expect(im.holding).toBeLessThanOrEqual(MAX_HELD);
    // The peer reloaded: its count starts over from 0.
    im.receive(message([], 4), 9000);
    expect(im.peerSkipped).toBe(24);
  });
});
