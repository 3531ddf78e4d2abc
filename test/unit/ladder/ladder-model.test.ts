/**
 * The ladder's model, fed with the trace of real hosts on a simulated link:
 * arrows from the frames, X-ends for frames the conditioner killed, state marks,
 * timer brackets, the bent time axis, filtering, the visible window and its bound.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TraceEvent } from '../../../worker/trace/events';
import type { ConditionerSettings } from '../../../worker/link/conditioner';
import { DIED_AT_REACH, LadderModel, arrowLabel, arrowReach, connKey, type ArrowItem, type LadderItem, type StateItem, type TimerItem } from '../../../src/panels/ladder/ladder-model';
import { pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const HOSTS = ['alice', 'bob'] as const;

function solo(events: readonly TraceEvent[], cap?: number): LadderModel {
  const m = new LadderModel({ hosts: HOSTS, local: HOSTS, cap });
  m.apply(events);
  return m;
}

const tcpArrows = (m: LadderModel) => m.arrows().filter((a) => a.proto === 'tcp');
const all = (m: LadderModel): LadderItem[] => m.visible(-Infinity, Infinity);

/** alice connects to bob's port 7000 and the handshake completes. */
function handshake(delayMs = 0) {
  const net = pair({ delayMs });
  net.run(5);
  const l = net.b.tcp.listen(7000);
  l.onConnection = () => l.accept();
  const c = net.a.tcp.connect(ip('10.0.0.2'), 7000);
  net.run(50 + 10 * delayMs);
  return { net, c };
}

describe('ladder model', () => {
  it('draws the handshake as SYN, SYN+ACK, ACK with relative numbers, each arrow sloping down from sender to receiver', () => {
    const { net, c } = handshake();
    const m = solo(net.events);
    const arrows = tcpArrows(m);
    expect(arrows.map((a) => [a.from, a.to, arrowLabel(a, true)])).toEqual([
      ['alice', 'bob', expect.stringMatching(/^SYN seq=0 win=\d+ len=0$/)],
      ['bob', 'alice', expect.stringMatching(/^SYN, ACK seq=0 ack=1 win=\d+ len=0$/)],
      ['alice', 'bob', expect.stringMatching(/^ACK seq=1 ack=1 win=\d+ len=0$/)],
    ]);
    expect(arrowLabel(arrows[0]!, false)).toContain(`seq=${c.iss}`);
    for (const a of arrows) {
      expect(a.fate).toBe('arrived');
      const { y0, y1 } = m.arrowYs(a);
      // Zero delay still slopes: the arrival is a row below the sending.
      expect(y1 - y0).toBeGreaterThanOrEqual(m.layout.rowGap);
    }
    // Each answer starts below the arrival it answers.
    expect(m.arrowYs(arrows[1]!).y0).toBeGreaterThan(m.arrowYs(arrows[0]!).y1);
    const states = all(m).filter((i): i is StateItem => i.kind === 'state');
    expect(states.filter((s) => s.host === 'alice').map((s) => s.to)).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(states.filter((s) => s.host === 'bob').map((s) => s.to)).toEqual(['SYN_RCVD', 'ESTABLISHED']);
    // The state is written where it changed: ESTABLISHED at alice when the SYN+ACK arrived.
    const est = states.find((s) => s.host === 'alice' && s.to === 'ESTABLISHED')!;
    expect(m.y(est.op)).toBe(m.arrowYs(arrows[1]!).y1);
  });

  it('finds an arrow by the sender’s and by the receiver’s frame number', () => {
    const { net } = handshake();
    const m = solo(net.events);
    const syn = tcpArrows(m)[0]!;
    expect(m.find(syn.ref)).toBe(syn);
    expect(m.find(syn.rxRef!)).toBe(syn);
    expect(syn.ref.host).toBe('alice');
    expect(syn.rxRef!.host).toBe('bob');
  });

  it('a longer delay makes a steeper arrow (time is to scale between the minimum and the cut)', () => {
    const slow = solo(handshake(60).net.events);
    const fast = solo(handshake(0).net.events);
    const span = (m: LadderModel) => {
      const { y0, y1 } = m.arrowYs(tcpArrows(m)[0]!);
      return y1 - y0;
    };
    expect(span(slow)).toBeGreaterThan(span(fast));
  });

  it('a frame the conditioner dropped ends mid-link, and its retransmission is marked with the cause', () => {
    const net = pair();
    net.run(5);
    const l = net.b.tcp.listen(7000);
    l.onConnection = () => l.accept();
    const cond = net.a.condition({});
    cond.hold(1, { protocol: 'tcp', tcpFlags: 'S' });
    net.a.tcp.connect(ip('10.0.0.2'), 7000);
    net.run(1);
    const held = cond.inFlight()[0]!;
    cond.act(held.id, { action: 'drop' });
    net.run(3000);
    const m = solo(net.events);
    const [lost, again] = tcpArrows(m);
    expect(lost!.fate).toBe('lost');
    expect(lost!.diedAt).toBe('link');
    expect(arrowReach(lost!)).toBe(0.5);
    expect(lost!.t1).toBeUndefined();
    const { y0, y1 } = m.arrowYs(lost!);
    expect(y1 - y0).toBe(m.layout.rowGap);
    expect(again!.fate).toBe('arrived');
    expect(again!.retransmit).toBe('syn');
    expect(arrowLabel(again!, true)).toMatch(/^SYN seq=0 /);
    // The SYN timer ran from the first SYN until it fired.
    const syn = all(m).filter((i): i is TimerItem => i.kind === 'timer' && i.timer === 'syn');
    expect(syn[0]!.end).toBe('fire');
    expect(syn[0]!.host).toBe('alice');
    expect(m.y(syn[0]!.endOp)).toBeGreaterThan(m.y(syn[0]!.startOp));
  });

  it('ends a killed frame where it died: near the sender when it never left, mid-link when the link lost it', () => {
    /** alice's first SYN, sent through a conditioner set up once ARP is done (so ARP is not what it kills). */
    const firstSyn = (settings: Partial<ConditionerSettings>) => {
      const net = pair();
      const cond = net.a.condition({});
      net.a.ping(ip('10.0.0.2'), { count: 1 });
      net.run(50);
      cond.configure(settings);
      net.b.tcp.listen(7000);
      net.a.tcp.connect(ip('10.0.0.2'), 7000);
      net.run(5);
      return tcpArrows(solo(net.events))[0]!;
    };
    const cases: [Partial<ConditionerSettings>, ArrowItem['fate'], ArrowItem['diedAt']][] = [
      [{ unplugged: true }, 'lost', 'sender'],
      [{ mtu: 40 }, 'lost', 'sender'], // too big for the link: a SYN with options is over 40 bytes of IP
      [{ rateBps: 8000, queueFrames: 0 }, 'lost', 'sender'], // the rate limiter's queue has no room
      [{ loss: { model: 'random', percent: 100, correlation: 0 } }, 'lost', 'link'],
      [{ corruptPercent: 100 }, 'corrupted', 'link'],
    ];
    for (const [settings, fate, diedAt] of cases) {
      const syn = firstSyn(settings);
      expect([JSON.stringify(settings), syn.fate, syn.diedAt]).toEqual([JSON.stringify(settings), fate, diedAt]);
      expect(arrowReach(syn)).toBe(DIED_AT_REACH[diedAt!]);
    }
    expect(DIED_AT_REACH.sender).toBeLessThan(0.25);
    expect(DIED_AT_REACH.link).toBe(0.5);
    // A frame that arrived is drawn all the way.
    expect(arrowReach(firstSyn({}))).toBe(1);
    // In a pairing, a frame the peer's conditioner refused dies by the peer's column, the sender.
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
    m.applyPeer([{ kind: 'fate', t: 7, id: 42, fate: 'queue-full', head: undefined }]);
    const refused = m.arrows()[0]!;
    expect([refused.from, refused.fate, refused.diedAt]).toEqual(['bob', 'lost', 'sender']);
  });

  it('brackets TIME_WAIT from the last ACK until 2 MSL fires, and shows it running meanwhile', () => {
    const { net, c } = handshake(1);
    c.close();
    const server = net.b.tcp.connections().find((s) => s.localPort === 7000);
    net.run(20);
    server?.close();
    net.run(20);
    let m = solo(net.events);
    const open = m.running().filter((t) => t.timer === 'time-wait');
    expect(open).toHaveLength(1);
    expect(open[0]!.host).toBe('alice');
    expect(open[0]!.deadline).toBe(open[0]!.t0 + 2 * c.config.mslMs);
    expect(all(m)).toContain(open[0]);
    net.run(2 * c.config.mslMs);
    m = solo(net.events);
    expect(m.running()).toEqual([]);
    const tw = all(m).find((i): i is TimerItem => i.kind === 'timer' && i.timer === 'time-wait')!;
    expect(tw.end).toBe('fire');
    const closed = all(m).filter((i): i is StateItem => i.kind === 'state' && i.host === 'alice').at(-1)!;
    expect([closed.from, closed.to, closed.cause]).toEqual(['TIME_WAIT', 'CLOSED', '2 MSL timeout']);
    // The 60 s wait is cut to at most maxGap on the axis.
    expect(m.y(tw.endOp) - m.y(tw.startOp)).toBeLessThanOrEqual(2 * m.layout.maxGap);
    expect(m.cutBefore(tw.endOp)).toBeGreaterThan(0);
  });

  it('filters to one connection: ARP and other connections disappear and the rest closes up', () => {
    const { net } = handshake();
    const m = solo(net.events);
    expect(m.arrows().some((a) => a.proto === 'arp')).toBe(true);
    const key = tcpArrows(m)[0]!.conn!;
    expect(connKey('10.0.0.2:7000>10.0.0.1:49152')).toBe(connKey('10.0.0.1:49152>10.0.0.2:7000'));
    const before = m.arrowYs(tcpArrows(m)[0]!).y0;
    m.setFilter(key);
    expect(m.arrows().every((a) => a.conn === key)).toBe(true);
    expect(m.arrows()).toHaveLength(3);
    expect(m.arrowYs(m.arrows()[0]!).y0).toBeLessThan(before);
    m.setFilter(undefined);
    expect(m.arrows().some((a) => a.proto === 'arp')).toBe(true);
  });

  it('hands the renderer exactly the items inside a window of the axis', () => {
    const net = pair();
    net.run(5);
    net.a.ping(ip('10.0.0.2'), { count: 60, intervalMs: 10 });
    net.run(2000);
    const m = solo(net.events);
    const everything = all(m);
    expect(everything.length).toBeGreaterThan(120);
    const [a, b] = [m.height * 0.4, m.height * 0.6];
    const brute = everything.filter((i) => {
      const [top, bottom] = m.extent(i);
      return bottom >= a && top <= b;
    });
    const got = m.visible(a, b);
    expect(new Set(got)).toEqual(new Set(brute));
    expect(got.length).toBeLessThan(everything.length / 2);
  });

  it('keeps at most its cap of items, forgetting the oldest', () => {
    const net = pair();
    net.run(5);
    net.a.ping(ip('10.0.0.2'), { count: 100, intervalMs: 10 });
    net.run(2000);
    const m = new LadderModel({ hosts: HOSTS, local: HOSTS, cap: 40 });
    for (let i = 0; i < net.events.length; i += 7) m.apply(net.events.slice(i, i + 7));
    expect(m.size).toBeLessThanOrEqual(50);
    const first = net.events.find((e) => e.type === 'frame' && e.dir === 'tx')!;
    expect(m.find({ host: first.host, id: (first as { id: number }).id })).toBeUndefined();
    const last = m.arrows().at(-1)!;
    expect(m.find(last.ref)).toBe(last);
    expect(all(m).every((i) => Number.isFinite(m.extent(i)[0]))).toBe(true);
  });

  it('in a pairing draws our frames leaving and the peer’s arriving, without inventing the other end', () => {
    const { net } = handshake(1);
    const m = new LadderModel({ hosts: HOSTS, local: ['alice'] });
    m.apply(net.events.filter((e) => e.host === 'alice'));
    const [syn, synAck, ack] = tcpArrows(m) as ArrowItem[];
    expect([syn!.from, syn!.t0 !== undefined, syn!.t1]).toEqual(['alice', true, undefined]);
    expect([synAck!.from, synAck!.t0, synAck!.t1 !== undefined]).toEqual(['bob', undefined, true]);
    expect(arrowLabel(synAck!, true)).toMatch(/^SYN, ACK seq=0 ack=1 /);
    expect(ack!.from).toBe('alice');
  });
});
