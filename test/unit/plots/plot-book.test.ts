/**
 * The plots' numbers from a real simulated transfer: every data segment alice
 * sent is plotted once, the retransmissions are exactly the ones her TCP
 * announced (with their causes), the ACK line never goes back, the window
 * edge uses the scale announced in the SYN, and cwnd and RTT are the stack's.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TcpEvent, TraceEvent } from '../../../worker/trace/events';
import { PlotBook, BIN_MS } from '../../../src/panels/plots/plot-book';
import { TcpSegmentReader } from '../../../src/panels/plots/tcp-reader';
import { pair } from '../../helpers/lan';

function transfer(seed: number, bytes: number, lossPercent: number) {
  const net = pair({ seed, delayMs: 5 });
  if (lossPercent > 0) net.a.condition({ loss: { model: 'random', percent: lossPercent, correlation: 0 } });
  const l = net.b.tcp.listen(9);
  let received = 0;
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => (received += s.read().length);
    s.onEnd = () => s.close();
  };
  const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 9);
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const n = c.write(new Uint8Array(Math.min(left, 16384)));
      left -= n;
      if (n === 0) return;
    }
    c.close();
  };
  c.onConnect = pump;
  c.onWritable = pump;
  net.run(30_000);
  expect(received).toBe(bytes);
  return { net, conn: c.name };
}

describe('PlotBook', () => {
  it('plots each segment alice sent, marks the retransmissions her TCP announced, and never moves the ACK line back', () => {
    const { net, conn } = transfer(11, 300_000, 5);
    const book = new PlotBook();
    book.applyAll(net.events);
    const plot = book.get('alice', conn)!;
    expect(plot).toBeDefined();
    expect(plot.mainDirection).toBe(0);
    const out = plot.dirs[0];

    // One point per tx segment that used sequence space (SYN, data, FIN).
    const reader = new TcpSegmentReader();
    let segments = 0;
    for (const e of net.events) if (e.type === 'frame' && e.host === 'alice' && e.dir === 'tx' && reader.read(e.frame) && reader.seqLen > 0) segments++;
    expect(out.segments.length).toBe(segments);

    // Sequence numbers relative to the ISN: the SYN is [0, 1), data starts at 1, the FIN ends at bytes + 2.
    const s = out.segments.cols;
    expect([s.start[0], s.end[0]]).toEqual([0, 1]);
    expect(s.start[1]).toBe(1);
    expect(Math.max(...s.end)).toBe(300_000 + 2);
    expect(out.delivered).toBe(300_000);

    // Retransmissions: exactly the ones TCP traced (every one of them went out as a frame here).
    const announced = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'retransmit');
    expect(announced.length).toBeGreaterThan(0);
    expect(out.retransmissions).toBe(announced.length);
    expect(s.retx.filter((x) => x === 1).length).toBe(announced.length);

    // The ACK line as alice received it never goes back, and the window edge is never below it.
    const a = out.acks.cols;
    for (let i = 1; i < a.ack.length; i++) expect(a.ack[i]).toBeGreaterThanOrEqual(a.ack[i - 1]!);
    for (let i = 0; i < a.ack.length; i++) expect(a.edge[i]).toBeGreaterThanOrEqual(a.ack[i]!);
    expect(a.ack[a.ack.length - 1]).toBe(300_000 + 2);
    // bob scales his window (RFC 7323): a plain 16-bit window could not exceed 65535 bytes past the ACK
    expect(Math.max(...a.edge.map((e, i) => e - a.ack[i]!))).toBeGreaterThan(65_535);
    // Under loss bob reports SACK blocks above the ACK line.
    expect(out.sacks.length).toBeGreaterThan(0);

    // Throughput bins: every delivered byte is counted once; more went on the wire than was delivered.
    const b = out.bins.cols;
    expect(b.fresh.reduce((x, y) => x + y, 0)).toBe(300_000);
    expect(b.wire.reduce((x, y) => x + y, 0)).toBe(out.wireBytes);
    expect(out.wireBytes).toBeGreaterThan(300_000);
    for (let i = 1; i < b.t.length; i++) expect(b.t[i]! - b.t[i - 1]!).toBeGreaterThanOrEqual(BIN_MS / 1000 - 1e-9);

    // cwnd and RTT are the stack's own numbers, one point per event.
    // Every cwnd the stack reported (its cuts, and its value after each segment) is on the curve, in order, without repeats.
    const reported = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.conn === conn && (e.what === 'cwnd' || e.what === 'vars')) as { cwnd: number }[];
    const distinct = reported.map((e) => e.cwnd).filter((x, i, a) => i === 0 || x !== a[i - 1]);
    expect(plot.cwnd.cols.cwnd.filter((x, i, a) => i === 0 || x !== a[i - 1])).toEqual(distinct);
    expect(plot.cwnd.length).toBeGreaterThan(10);
    const rttEvents = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.conn === conn && e.what === 'rtt');
    expect(plot.rtt.length).toBe(rttEvents.length);
    expect(plot.rtt.cols.srtt[plot.rtt.length - 1]).toBe((rttEvents[rttEvents.length - 1] as { srtt: number }).srtt);

    // Seen from bob, the same data flows in: his direction 1.
    const atBob = book.get('bob', conn.split('>').reverse().join('>'))!;
    expect(atBob.mainDirection).toBe(1);
    expect(atBob.dirs[1].delivered).toBe(300_000);
  });

  it('keeps every series bounded', () => {
    const { net } = transfer(3, 200_000, 0);
    const book = new PlotBook({ maxPoints: 40 });
    book.applyAll(net.events);
    for (const p of book.list()) {
      for (const d of p.dirs) {
        expect(d.segments.length).toBeLessThanOrEqual(40);
        expect(d.acks.length).toBeLessThanOrEqual(40);
      }
    }
    expect(book.list().some((p) => p.dirs[0].segments.trimmed)).toBe(true);
  });

  it('ignores frames that are not whole TCP segments, and hostile bytes', () => {
    const book = new PlotBook();
    const junk: TraceEvent[] = [new Uint8Array(0), new Uint8Array(13), new Uint8Array(60).fill(0xff), Uint8Array.from({ length: 80 }, (_, i) => (i * 37) & 0xff)].map(
      (frame, id) => ({ type: 'frame', t: id, host: 'alice', iface: 'eth0', dir: 'rx', id, frame }),
    );
    expect(book.applyAll(junk)).toBe(false);
    expect(book.list()).toEqual([]);
  });
});

describe('plot book: connections side by side', () => {
  it('two transfers at once, interleaved, each traced by both hosts: every segment lands on its own connection and host', () => {
    const net = pair({ seed: 3, delayMs: 5 });
    const sizes = [60_000, 90_000];
    const names: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const l = net.b.tcp.listen(9000 + i);
      l.onConnection = () => {
        const s = l.accept()!;
        s.onData = () => s.read();
      };
      const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 9000 + i);
      c.onConnect = () => c.write(new Uint8Array(size));
      names.push(c.name);
    }
    net.run(10_000);
    const book = new PlotBook();
    book.applyAll(net.events);
    const reverse = (n: string) => n.split('>').reverse().join('>');
    for (const [i, size] of sizes.entries()) {
      const sent = book.get('alice', names[i]!)!;
      const got = book.get('bob', reverse(names[i]!))!;
      // alice's outgoing data and bob's incoming data reach the same sequence number, on the right connection at each end
      // (a stray retransmission may repeat a segment; the other connection's would overshoot).
      const highest = (d: { segments: { cols: { end: number[] } } }) => Math.max(...d.segments.cols.end);
      expect(highest(sent.dirs[0]) - 1).toBe(size); // the SYN takes one number
      expect(highest(got.dirs[1]) - 1).toBe(size);
      expect(sent.dirs[0].delivered).toBe(size);
    }
  });
});
