/**
 * CUBIC (RFC 9438) in a running connection: alice sends without pause over a
 * 100 ms RTT path with room in every buffer, so cwnd alone limits her. One
 * segment is dropped once cwnd is large; after the SACK recovery the window
 * must follow W_cubic(t) = C (t - K)^3 + W_max from the new epoch, concave up
 * to W_max at t = K, then convex.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { cubicK, wCubic } from '../../worker/transport/tcp/congestion';
import type { TcpEvent } from '../../worker/trace/events';
import { FilterPort, pair } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

/** alice streams to bob forever; `dropWhen` picks the one data frame to lose. */
function stream(congestionControl: 'cubic' | 'newreno', dropAtCwndSegs: number) {
  const net = pair({ seed: 3, delayMs: 50 });
  const big = { sendBuffer: 8 << 20, receiveBuffer: 8 << 20, congestionControl };
  const l = net.b.tcp.listen(5001, 16, big);
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => s.read();
  };
  const c = net.a.tcp.connect(ip('10.0.0.2'), 5001, big);
  const chunk = new Uint8Array(1 << 20);
  const pump = () => {
    while (c.write(chunk) > 0);
  };
  c.onConnect = pump;
  c.onWritable = pump;
  let dropped = false;
  // Frame bytes: Ethernet 14 + IPv4 20, then TCP; data frames are longer than header-only ones.
  FilterPort.insert(net.a.nics[0], (f) => {
    if (dropped || f.length < 1000 || c.cwnd < dropAtCwndSegs * c.sendMss) return false;
    dropped = true;
    return true;
  });
  return { net, c, dropped: () => dropped };
}

describe('CUBIC in a simulated connection', () => {
  it('after a loss cwnd follows W_cubic(t): concave to W_max at K, then convex', () => {
    const { net, c, dropped } = stream('cubic', 300);
    const samples: Array<{ t: number; w: number; epoch: number; wMax: number; k: number }> = [];
    for (let t = 0; t < 12_000; t += 20) {
      net.run(20);
      const cc = c.info().cc;
      if (cc.epochStart! >= 0) samples.push({ t: net.scheduler.now, w: c.cwnd / c.sendMss, epoch: cc.epochStart!, wMax: cc.wMax! / c.sendMss, k: cc.kMs! / 1000 });
    }
    expect(dropped()).toBe(true);
    const events = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && (e.what === 'cwnd' || e.what === 'retransmit'));
    // Exactly one loss, repaired by SACK recovery, not by a timeout.
    expect(events.filter((e) => e.what === 'retransmit').map((e) => (e as { cause: string }).cause)).toEqual(['sack']);
    const enter = events.find((e) => e.what === 'cwnd' && e.cause === 'fast retransmit (SACK)') as { cwnd: number; ssthresh: number };
    // One epoch, begun right after recovery, with W_max the window at the loss and K from RFC 9438 eq. 2.
    expect(new Set(samples.map((s) => s.epoch)).size).toBe(1);
    const { epoch, wMax, k } = samples[0];
    const wEpoch = enter.ssthresh / c.sendMss;
    expect(wMax).toBeGreaterThanOrEqual(300);
    expect(wEpoch / wMax).toBeCloseTo(0.7, 1); // beta: ssthresh = 0.7 of the flight at the loss
    expect(k).toBeCloseTo(cubicK(wMax, wEpoch), 1);
    // cwnd against the curve: within 2% of W_max all along, below W_max before K and above after.
    let maxErr = 0;
    for (const s of samples) {
      const t = (s.t - epoch) / 1000;
      maxErr = Math.max(maxErr, Math.abs(s.w - wCubic(t, wMax, k)) / wMax);
      if (t < k - 0.5) expect(s.w).toBeLessThan(wMax);
      if (t > k + 0.5) expect(s.w).toBeGreaterThan(wMax);
    }
    expect(maxErr).toBeLessThan(0.02);
    const last = samples[samples.length - 1];
    expect((last.t - epoch) / 1000).toBeGreaterThan(k + 2); // the run covers the convex part too
  });

  it('NewReno under the same loss grows one segment per RTT instead', () => {
    const { net, c } = stream('newreno', 300);
    net.run(3_000);
    const enter = (net.events as TcpEvent[]).find((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'cwnd' && e.cause === 'fast retransmit (SACK)') as { t: number; ssthresh: number };
    expect(enter).toBeDefined();
    const w0 = c.cwnd / c.sendMss;
    net.run(2_000); // 20 RTTs
    const grown = c.cwnd / c.sendMss - w0;
    expect(grown).toBeGreaterThan(17);
    expect(grown).toBeLessThan(23);
    expect(c.info().cc.name).toBe('newreno');
  });
});
