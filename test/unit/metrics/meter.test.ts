/**
 * The metrics from a real simulated transfer through a 10 Mbit/s link with
 * 5 ms of delay: throughput near the link rate, the delay split, the
 * bandwidth-delay product from the sender's own SRTT, and its cwnd.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import { PERFECT, type ConditionerSettings } from '../../../worker/link/conditioner';
import { MetricsMeter, FULL_FRAME } from '../../../src/panels/metrics/meter';
import { pair } from '../../helpers/lan';

describe('MetricsMeter', () => {
  it('measures a rate-limited transfer: throughput, utilisation, delays, BDP against cwnd', () => {
    const net = pair({ seed: 5, delayMs: 0 });
    const settings: ConditionerSettings = { ...PERFECT, rateBps: 10_000_000, delayMs: 5, overheadBytes: 24, queueFrames: 100, queueBytes: 1 << 20 };
    net.a.condition(settings);
    const l = net.b.tcp.listen(9);
    l.onConnection = () => {
      const s = l.accept()!;
      s.onData = () => s.read();
    };
    const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 9);
    const pump = () => {
      while (c.write(new Uint8Array(16384)) > 0);
    };
    c.onConnect = pump;
    c.onWritable = pump;
    net.run(3000);

    const meter = new MetricsMeter(0);
    for (const e of net.events) meter.apply(e);
    const [alice, bob] = meter.snapshot(net.scheduler.now, [
      { host: 'alice', peer: 'bob', settings },
      { host: 'bob', peer: 'alice', settings: PERFECT },
    ], true);
    // The sender fills the link: what bob received over the last second is within 5 % under 10 Mbit/s, never over.
    expect(alice!.throughputBps).toBeGreaterThan(9_500_000);
    expect(alice!.throughputBps).toBeLessThanOrEqual(10_000_000);
    expect(alice!.utilisation).toBeCloseTo(alice!.throughputBps / 10_000_000, 6);
    expect(alice!.payloadBps).toBeLessThan(alice!.throughputBps);
    // A full frame plus 24 bytes of Ethernet overhead takes 1.23 ms at 10 Mbit/s; the cable adds 5 ms.
    expect(alice!.transmissionMs).toBeCloseTo(((FULL_FRAME + 24) * 8) / 10_000, 9);
    expect(alice!.propagationMs).toBe(5);
    // cwnd grows past the pipe, so frames wait in the limiter's queue.
    expect(alice!.queueingMs).toBeGreaterThan(0);
    // The sender's connection, with its TCP's SRTT and cwnd; BDP = rate × SRTT.
    expect(alice!.conn?.name).toBe(c.name);
    expect(alice!.conn!.srtt).toBe(c.info().srtt);
    expect(alice!.rttMs).toBe(c.info().srtt);
    expect(alice!.bdpBytes).toBeCloseTo((10_000_000 / 8) * (c.info().srtt / 1000), 6);
    // The window that counts is min(cwnd, rwnd), with the last numbers the TCP traced.
    const v = c.info();
    expect(alice!.conn!.cwnd).toBe(v.cwnd);
    expect(alice!.windowBytes).toBe(Math.min(alice!.conn!.cwnd, alice!.conn!.rwnd));
    expect(alice!.windowLimitBps).toBeCloseTo((alice!.windowBytes! * 8 * 1000) / alice!.rttMs, 6);
    // Processing: what the page measured per frame handled, for two stacks (one sends, one receives).
    expect(alice!.processingMs).toBeUndefined();
    expect(meter.snapshot(net.scheduler.now, [{ host: 'alice', peer: 'bob', settings }], true, 0.004)[0]!.processingMs).toBe(0.008);
    expect(meter.framesHandled).toBe(net.events.filter((e) => e.type === 'frame').length);
    // bob only sends ACKs: no rate limit, no connection of his own sending data, the link's round trip as RTT.
    expect(bob!.rateBps).toBe(0);
    expect(bob!.utilisation).toBeUndefined();
    expect(bob!.bdpBytes).toBeUndefined();
    expect(bob!.throughputBps).toBeGreaterThan(0);
    expect(bob!.throughputBps).toBeLessThan(alice!.throughputBps / 10);
  });

  it('a receiver that does not read: its window (rwnd), not cwnd, limits the sender', () => {
    const net = pair({ seed: 6, delayMs: 0 });
    const settings: ConditionerSettings = { ...PERFECT, rateBps: 10_000_000, delayMs: 20 };
    net.a.condition(settings);
    const l = net.b.tcp.listen(9);
    // bob reads only 4 KB every 100 ms: his buffer fills and the window he offers shrinks.
    l.onConnection = () => {
      const s = l.accept()!;
      const drain = () => {
        s.read(4096);
        net.scheduler.after(100, drain, 'app');
      };
      drain();
    };
    const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 9);
    const pump = () => {
      while (c.write(new Uint8Array(16384)) > 0);
    };
    c.onConnect = pump;
    c.onWritable = pump;
    net.run(5000);
    const meter = new MetricsMeter(0);
    for (const e of net.events) meter.apply(e);
    const [alice] = meter.snapshot(net.scheduler.now, [{ host: 'alice', peer: 'bob', settings }], true);
    expect(alice!.conn!.rwnd).toBeLessThan(alice!.conn!.cwnd);
    expect(alice!.windowBy).toBe('rwnd');
    expect(alice!.windowBytes).toBe(alice!.conn!.rwnd);
    expect(alice!.windowBytes! / alice!.bdpBytes!).toBeLessThan(1);
  });

  it('counts exactly the last second of events even when the page\'s clock reading is older than the newest event', () => {
    const meter = new MetricsMeter(0);
    // bob receives a 1000-byte frame every 10 ms from t = 10 to t = 2000.
    for (let t = 10, id = 1; t <= 2000; t += 10, id++) meter.apply({ type: 'frame', t, host: 'bob', iface: 'eth0', dir: 'rx', id, frame: new Uint8Array(1000) });
    // The clock was last polled at 1800 ms: the window still ends at the newest event, 2000.
    const [alice] = meter.snapshot(1800, [{ host: 'alice', peer: 'bob', settings: { ...PERFECT, rateBps: 1_000_000 } }], true);
    expect(alice!.throughputBps).toBe(100 * 1000 * 8);
    expect(alice!.utilisation).toBeCloseTo(0.8, 9);
  });
});
