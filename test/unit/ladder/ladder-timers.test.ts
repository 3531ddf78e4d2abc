/**
 * The ladder's timer brackets for the two TCP timers a class asks about most:
 * the retransmission timer (RFC 6298) when a data segment is lost, and the
 * persist timer (RFC 9293 3.8.6.1) while the receiver's window is zero. Real
 * hosts on a simulated link; the model is fed their trace.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import { LadderModel, type LadderItem, type TimerItem } from '../../../src/panels/ladder/ladder-model';
import { FilterPort, pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const HOSTS = ['alice', 'bob'] as const;

function model(events: Parameters<LadderModel['apply']>[0]): LadderModel {
  const m = new LadderModel({ hosts: HOSTS, local: HOSTS });
  m.apply(events);
  return m;
}
const timers = (m: LadderModel, name: string): TimerItem[] =>
  m.visible(-Infinity, Infinity).filter((i: LadderItem): i is TimerItem => i.kind === 'timer' && i.timer === name);

describe('ladder timer brackets', () => {
  it('a lost data segment: the RTO bracket runs from the send until the timer fires, then the retransmission', () => {
    const net = pair({ delayMs: 5 });
    net.run(5);
    const l = net.b.tcp.listen(7000);
    l.onConnection = () => {
      const s = l.accept()!;
      s.onData = () => s.read();
    };
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7000);
    net.run(100);
    // Drop alice's first segment that carries data (an IPv4/TCP frame longer than the 66-byte bare ACK).
    let dropped = false;
    FilterPort.insert(net.a.nics[0]!, (f) => !dropped && f.length > 80 && (dropped = true));
    c.write(new TextEncoder().encode('one line that gets lost'));
    net.run(3000);
    expect(dropped).toBe(true);
    const m = model(net.events);
    const fired = timers(m, 'rto').filter((t) => t.host === 'alice' && t.end === 'fire');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    const rto = fired[0]!;
    // It was armed for the RTO the TCP had then, and fired at its deadline.
    expect(rto.deadline).toBeGreaterThan(rto.t0);
    expect(rto.t1).toBe(rto.deadline);
    expect(m.y(rto.endOp)).toBeGreaterThan(m.y(rto.startOp));
    // The retransmission leaves when the bracket ends, marked with its cause.
    const again = m.arrows().find((a) => a.proto === 'tcp' && a.retransmit === 'rto')!;
    expect(again.t0).toBe(rto.t1);
    expect(again.from).toBe('alice');
  });

  it('a zero window: the persist bracket runs on the sender while it probes, and stops once the window opens', () => {
    const net = pair({ delayMs: 5 });
    net.run(5);
    const l = net.b.tcp.listen(7000, 8, { receiveBuffer: 2896 });
    let server: ReturnType<typeof l.accept>;
    l.onConnection = () => (server = l.accept());
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7000);
    net.run(100);
    // bob's application reads nothing: his window closes and alice must probe it.
    c.write(new Uint8Array(20_000));
    net.run(5000);
    let m = model(net.events);
    const persist = timers(m, 'persist').filter((t) => t.host === 'alice');
    expect(persist.length).toBeGreaterThanOrEqual(1);
    expect(persist.some((t) => t.end === 'fire')).toBe(true);
    expect(m.running().some((t) => t.timer === 'persist' && t.host === 'alice')).toBe(true);
    // The reader catches up and keeps reading: the window opens, the rest arrives, no persist timer runs any more.
    server!.onData = () => server!.read();
    server!.read();
    net.run(2000);
    m = model(net.events);
    expect(m.running().some((t) => t.timer === 'persist')).toBe(false);
    expect(timers(m, 'persist').filter((t) => t.host === 'alice').at(-1)!.end).not.toBe('fire');
  });
});
