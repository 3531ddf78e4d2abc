/**
 * The ladder in a pairing: each tab traces only its own host, and the peer's
 * summary (exporter → control message → importer, as two tabs exchange it)
 * fills in the ends it cannot see. Two real hosts on a simulated link stand
 * in for the two tabs: alice's trace is "ours", bob's goes through the
 * summary path, and the result is held against the solo model that saw both.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TraceEvent } from '../../../worker/trace/events';
import { LadderModel, arrowLabel, type ArrowItem, type LadderItem, type StateItem, type TimerItem } from '../../../src/panels/ladder/ladder-model';
import { parseControl } from '../../../src/lib/peer/control';
import { FLUSH_MS, PeerTraceExporter, PeerTraceImporter, type PeerEvent } from '../../../src/lib/peer/peer-trace';
import type { ClockAnchor } from '../../../src/lib/peer/timeline';
import { pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const HOSTS = ['alice', 'bob'] as const;

/**
 * Bob's events as alice's tab receives them: batched per FLUSH_MS of stack
 * time, sent as JSON, validated, and mapped. Bob's page clock runs `offset` ms
 * ahead of alice's, and the tabs' stacks started at different moments; the
 * mapping must undo both.
 */
function fromPeer(events: readonly TraceEvent[], offset = 2500): PeerEvent[] {
  // The same instant: alice's stack reads 0 at her wall W, bob's reads 40 at his wall W + offset.
  const bobAnchor: ClockAnchor = { wall: 1_700_000_000_000 + offset, stack: 40, speed: 1 };
  const aliceAnchor: ClockAnchor = { wall: 1_700_000_000_000, stack: 0, speed: 1 };
  const exporter = new PeerTraceExporter('bob');
  const importer = new PeerTraceImporter();
  // Bob's stack clock reads 40 ms more than alice's at the same instant: his times in the summary are shifted so.
  const bobs = events.filter((e) => e.host === 'bob').map((e) => ({ ...e, t: e.t + 40, ...('deadline' in e && e.deadline !== undefined ? { deadline: e.deadline + 40 } : {}) }) as TraceEvent);
  const out: PeerEvent[] = [];
  let window = 0;
  const send = () => {
    for (const m of exporter.flush(bobAnchor)) {
      const parsed = parseControl(JSON.stringify(m));
      if (!parsed.ok || parsed.value.t !== 'trace') throw new Error(`refused: ${JSON.stringify(parsed)}`);
      importer.receive(parsed.value, 0);
    }
    out.push(...importer.take({ anchor: aliceAnchor, now: 0 }, offset));
  };
  for (const e of bobs) {
    while (e.t >= (window + 1) * FLUSH_MS) {
      send();
      window++;
    }
    exporter.add([e]);
  }
  send();
  return out;
}

const tcpArrows = (m: LadderModel) => m.arrows().filter((a) => a.proto === 'tcp');
const all = (m: LadderModel): LadderItem[] => m.visible(-Infinity, Infinity);
const statesOf = (m: LadderModel, host: string) => all(m).filter((i): i is StateItem => i.kind === 'state' && i.host === host);

function handshake(delayMs = 3) {
  const net = pair({ delayMs });
  net.run(5);
  const l = net.b.tcp.listen(7000);
  l.onConnection = () => l.accept();
  const c = net.a.tcp.connect(ip('10.0.0.2'), 7000);
  net.run(50 + 10 * delayMs);
  return { net, c };
}

/** Alice's tab: her own trace, then bob's summary (it comes later, as over the control channel). */
function aliceTab(events: readonly TraceEvent[], offset?: number): LadderModel {
  const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
  m.apply(events.filter((e) => e.host === 'alice'));
  m.applyPeer(fromPeer(events, offset));
  return m;
}

describe('ladder model in a pairing, merged with the peer’s summary', () => {
  it('gives our arrows their arrival and the peer’s their sending, at the times the solo model saw', () => {
    const { net } = handshake();
    const merged = aliceTab(net.events);
    const solo = new LadderModel({ hosts: HOSTS, local: HOSTS });
    solo.apply(net.events);
    const ends = (m: LadderModel) => tcpArrows(m).map((a) => [a.from, arrowLabel(a, true), a.t0, a.t1, a.fate]);
    expect(ends(merged)).toEqual(ends(solo));
    const [syn, synAck] = tcpArrows(merged) as ArrowItem[];
    // Ours: sent here, arrival from bob's report. Bob's: arrival here, sending from his report.
    expect([syn!.peerTime, synAck!.peerTime]).toEqual(['t1', 't0']);
    for (const a of tcpArrows(merged)) {
      const { y0, y1 } = merged.arrowYs(a);
      expect(y1 - y0).toBeGreaterThanOrEqual(merged.layout.rowGap);
    }
    // Every arrow (ARP too) got both ends.
    expect(merged.arrows().every((a) => a.t0 !== undefined && a.t1 !== undefined)).toBe(true);
  });

  it('writes the peer’s state changes on its column where they happened: SYN_RCVD where the SYN arrived', () => {
    const { net } = handshake();
    const m = aliceTab(net.events);
    const bob = statesOf(m, 'bob');
    expect(bob.map((s) => [s.from, s.to])).toEqual([
      ['LISTEN', 'SYN_RCVD'],
      ['SYN_RCVD', 'ESTABLISHED'],
    ]);
    const [syn, , ack] = tcpArrows(m) as ArrowItem[];
    expect(m.y(bob[0]!.op)).toBe(m.arrowYs(syn!).y1);
    expect(m.y(bob[1]!.op)).toBe(m.arrowYs(ack!).y1);
    // In time order down the axis, with alice's own.
    const states = [...statesOf(m, 'alice'), ...bob].sort((x, y) => x.t - y.t);
    const ys = states.map((s) => m.y(s.op));
    expect(ys).toEqual([...ys].sort((x, y) => x - y));
  });

  it('slots the peer’s late events in at their time, below and above our later ones, and the window query still finds everything', () => {
    const net = pair({ delayMs: 2 });
    net.run(5);
    net.a.ping(ip('10.0.0.2'), { count: 40, intervalMs: 10 });
    net.run(1000);
    // Bob's summary arrives in pieces while alice's trace goes on (a peer is always a few hundred ms behind).
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
    const peer = fromPeer(net.events);
    const mine = net.events.filter((e) => e.host === 'alice');
    let j = 0;
    for (let i = 0; i < mine.length; i += 9) {
      m.apply(mine.slice(i, i + 9));
      const upTo = mine[Math.min(mine.length, i + 9) - 1]!.t - 30;
      const k = peer.findIndex((e, idx) => idx >= j && e.t > upTo);
      const end = k < 0 ? peer.length : k;
      m.applyPeer(peer.slice(j, end));
      j = end;
    }
    m.applyPeer(peer.slice(j));
    const arrows = m.arrows();
    expect(arrows.filter((a) => a.proto === 'icmp')).toHaveLength(80);
    expect(arrows.every((a) => a.fate === 'arrived' && a.t0! <= a.t1!)).toBe(true);
    // The axis is in time order: a later time is never drawn above an earlier one.
    const ends = arrows.flatMap((a) => [
      [a.t0!, m.arrowYs(a).y0],
      [a.t1!, m.arrowYs(a).y1],
    ]);
    ends.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
    for (let i = 1; i < ends.length; i++) expect(ends[i]![1]).toBeGreaterThanOrEqual(ends[i - 1]![1]!);
    const everything = all(m);
    const [a, b] = [m.height * 0.3, m.height * 0.5];
    const brute = everything.filter((i) => {
      const [top, bottom] = m.extent(i);
      return bottom >= a && top <= b;
    });
    expect(new Set(m.visible(a, b))).toEqual(new Set(brute));
  });

  it('draws a frame the peer’s conditioner killed from the peer’s column to where it died, labelled from the head it sent', () => {
    const net = pair({ delayMs: 2 });
    net.run(5);
    const l = net.b.tcp.listen(7000);
    l.onConnection = () => l.accept();
    const cond = net.b.condition({});
    cond.hold(1, { protocol: 'tcp', tcpFlags: 'SA' });
    net.a.tcp.connect(ip('10.0.0.2'), 7000);
    net.run(10);
    cond.act(cond.inFlight()[0]!.id, { action: 'drop' });
    net.run(3000);
    const m = aliceTab(net.events);
    const fromBob = tcpArrows(m).filter((a) => a.from === 'bob');
    const lost = fromBob.find((a) => a.fate === 'lost')!;
    expect(arrowLabel(lost, true)).toMatch(/^SYN, ACK seq=0 ack=1 /);
    expect(lost.t1).toBeUndefined();
    expect(lost.peerTime).toBe('t0');
    // The SYN+ACK that made it arrived after the lost one left.
    const arrived = fromBob.find((a) => a.fate === 'arrived' && (a.tcp!.flags & 0x12) === 0x12)!;
    expect(arrived.t0!).toBeGreaterThan(lost.t0!);
    expect(m.arrowYs(arrived).y0).toBeGreaterThan(m.arrowYs(lost).y0);
    // Bob's SYN+ACK timer ran from the first SYN+ACK until it fired, on his column.
    const synack = all(m).filter((i): i is TimerItem => i.kind === 'timer' && i.host === 'bob' && i.timer === 'synack');
    expect(synack[0]?.end).toBe('fire');
  });

  it('never draws an arrival above its sending, however wrong the clock offset', () => {
    const { net } = handshake(3);
    // An offset 50 ms off: bob's times land 50 ms early on alice's axis.
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
    m.apply(net.events.filter((e) => e.host === 'alice'));
    m.applyPeer(fromPeer(net.events).map((e) => ({ ...e, t: e.t - 50 })));
    for (const a of m.arrows()) {
      expect(a.t1!).toBeGreaterThanOrEqual(a.t0!);
      const { y0, y1 } = m.arrowYs(a);
      expect(y1).toBeGreaterThan(y0);
    }
  });

  it('takes hostile reports without throwing: repeats, unknown frames, ends without starts, absurd times are dropped or counted', () => {
    const { net } = handshake();
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
    m.apply(net.events.filter((e) => e.host === 'alice'));
    const conn = '10.0.0.2:7000>10.0.0.1:49152';
    const hostile: PeerEvent[] = [
      { kind: 'state', t: 10, conn, from: 'LISTEN', to: 'SYN_RCVD', cause: 'x' },
      { kind: 'state', t: 10, conn, from: 'LISTEN', to: 'SYN_RCVD', cause: 'x' },
      { kind: 'state', t: Number.NaN, conn, from: 'LISTEN', to: 'CLOSED', cause: 'x' },
      { kind: 'rx', t: 12, id: 12345 },
      { kind: 'rx', t: Number.POSITIVE_INFINITY, id: 1 },
      { kind: 'tx', t: -1e9, id: 999, retransmit: undefined },
      { kind: 'timer', t: 5, what: 'stop', timer: 'rto', conn, deadline: undefined },
      { kind: 'timer', t: 5, what: 'start', timer: 'rto', conn, deadline: Number.NaN },
      { kind: 'timer', t: 1, what: 'fire', timer: 'rto', conn, deadline: undefined },
      { kind: 'fate', t: 7, id: 42, fate: 'lost-random', head: new Uint8Array([1, 2, 3]) },
      { kind: 'fate', t: 7, id: 43, fate: 'corrupted', head: undefined },
      { kind: 'fate', t: 7, id: 44, fate: 'duplicated', head: undefined },
    ];
    for (let i = 0; i < 3; i++) m.applyPeer(hostile);
    expect(m.peerRefused).toBe(3 * 3 + 2); // NaN, Infinity and the repeat each time; the first SYN_RCVD of rounds 2 and 3 repeats round 1's last
    expect(statesOf(m, 'bob')).toHaveLength(1);
    // A stop reported before its start ends the bracket where it began, not above it.
    const rto = all(m).find((i): i is TimerItem => i.kind === 'timer' && i.host === 'bob')!;
    expect(rto.t1).toBe(rto.t0);
    // Killed frames with no usable head are still drawn, named by what killed them.
    expect(m.arrows().filter((a) => a.from === 'bob' && a.fate !== 'arrived').map((a) => a.text)).toEqual(expect.arrayContaining(['lost-random', 'corrupted']));
    for (const item of all(m)) {
      const [top, bottom] = m.extent(item);
      expect(Number.isFinite(top) && Number.isFinite(bottom)).toBe(true);
    }
  });

  it('stays within its cap under a long merged run', () => {
    const net = pair({ delayMs: 1 });
    net.run(5);
    net.a.ping(ip('10.0.0.2'), { count: 100, intervalMs: 5 });
    net.run(1000);
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'], cap: 60 });
    const peer = fromPeer(net.events);
    const mine = net.events.filter((e) => e.host === 'alice');
    for (let i = 0; i < mine.length; i += 10) m.apply(mine.slice(i, i + 10));
    for (let i = 0; i < peer.length; i += 10) m.applyPeer(peer.slice(i, i + 10));
    expect(m.size).toBeLessThanOrEqual(75);
    expect(all(m).every((i) => Number.isFinite(m.extent(i)[0]))).toBe(true);
  });
});
