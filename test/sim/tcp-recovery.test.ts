/**
 * Loss recovery with chosen losses: RFC 6675 SACK recovery resends exactly the
 * holes and is done in about one RTT; after an RTO it still resends only what
 * the peer has not SACKed; without SACK the connection uses NewReno (RFC 6582),
 * one hole per RTT. Frames are dropped by sequence number with a FilterPort,
 * and the retransmitted ranges are read from the trace.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseIpv4, parseMac } from '../../worker/wire/addr';
import { TcpFlag } from '../../worker/wire/tcp';
import type { TcpSocket } from '../../worker/transport/tcp/tcb';
import type { TcpConfig } from '../../worker/transport/tcp/config';
import type { TcpEvent } from '../../worker/trace/events';
import { FilterPort, pair } from '../helpers/lan';
import { tcpFrame } from '../helpers/raw';

const ip = (s: string) => parseIpv4(s)!;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const u32 = (f: Uint8Array, o: number) => ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
/** Frame layout: Ethernet 14, IPv4 20 (no options), then TCP. */
const TCP_AT = 34;

interface Retransmit {
  seg: number;
  len: number;
  cause: string;
  t: number;
}

/**
 * alice sends `size` bytes to bob over a 10 ms (each way) link; `drops[k]` is
 * how many transmissions of alice's k-th full segment are lost.
 */
function transfer(drops: Record<number, number>, opts: { sack?: boolean; size?: number; config?: Partial<TcpConfig>; bobConfig?: Partial<TcpConfig> } = {}) {
  const net = pair({ seed: 5, delayMs: 10 });
  const size = opts.size ?? 100_000;
  const cfg = { sack: opts.sack ?? true, ...opts.config };
  const data = new Uint8Array(size).map((_, i) => (i * 37 + 1) & 0xff);
  // bob delays ACKs by at most 40 ms, as Linux does: with the default 200 ms, equal to the minimum RTO, the
  // delayed ACK of an odd last segment races alice's timer and a spurious RTO ends many transfers.
  const l = net.b.tcp.listen(7000, 8, { ...cfg, delayedAckMs: 40, ...opts.bobConfig });
  const got: Uint8Array[] = [];
  let server: TcpSocket | undefined;
  l.onConnection = () => {
    server = l.accept()!;
    server.onData = () => got.push(server!.read());
  };
  const c = net.a.tcp.connect(ip('10.0.0.2'), 7000, cfg);
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const k = c.write(data.subarray(sent, Math.min(size, sent + 65536)));
      sent += k;
      if (k === 0) return;
    }
  };
  c.onConnect = pump;
  c.onWritable = pump;
  const left = { ...drops };
  FilterPort.insert(net.a.nics[0], (f) => {
    const payload = f.length - TCP_AT - (f[TCP_AT + 12] >> 4) * 4;
    if (f[23] !== 6 || payload <= 0) return false;
    const k = (u32(f, TCP_AT + 4) - ((c.iss + 1) >>> 0)) >>> 0;
    if (k % c.sendMss !== 0) return false;
    const seg = k / c.sendMss;
    if (!left[seg]) return false;
    left[seg]--;
    return true;
  });
  const retransmits = (): Retransmit[] =>
    (net.events as TcpEvent[])
      .filter((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'retransmit')
      .map((e) => {
        const r = e as { seq: number; len: number; cause: string; t: number };
        return { seg: ((r.seq - ((c.iss + 1) >>> 0)) >>> 0) / c.sendMss, len: r.len, cause: r.cause, t: r.t };
      });
  const cwndEvents = () => (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'cwnd') as Array<{ t: number; cause: string; cwnd: number }>;
  const received = () => Buffer.concat(got.map((g) => Buffer.from(g)));
  return { net, c, server: () => server!, data, retransmits, cwndEvents, received, size };
}

const RTT = 20;

describe('RFC 6675 SACK-based recovery', () => {
  it('resends exactly the holes, once each, and recovers in about one RTT', () => {
    const t = transfer({ 3: 1, 6: 1, 7: 1 });
    t.net.run(2_000);
    expect(t.received().length).toBe(t.size);
    expect(sha(t.received())).toBe(sha(t.data));
    expect(t.c.info().sackOk).toBe(true);
    const r = t.retransmits();
    expect(r.map(({ seg, len, cause }) => ({ seg, len, cause }))).toEqual([3, 6, 7].map((seg) => ({ seg, len: t.c.sendMss, cause: 'sack' })));
    const events = t.cwndEvents();
    const enter = events.find((e) => e.cause === 'fast retransmit (SACK)')!;
    const done = events.find((e) => e.cause === 'SACK recovery done')!;
    expect(events.filter((e) => e.cause === 'fast retransmit (SACK)')).toHaveLength(1);
    expect(done.t - enter.t).toBeLessThanOrEqual(2 * RTT);
    expect(events.some((e) => e.cause === 'RTO')).toBe(false);
  });

  it('without SACK the same losses go through NewReno, one hole per RTT', () => {
    const t = transfer({ 3: 1, 6: 1, 7: 1 }, { sack: false });
    t.net.run(2_000);
    expect(sha(t.received())).toBe(sha(t.data));
    expect(t.c.info().sackOk).toBe(false);
    const r = t.retransmits();
    expect(r.map(({ seg, cause }) => `${seg}:${cause}`)).toEqual(['3:dupack', '6:partial-ack', '7:partial-ack']);
    const events = t.cwndEvents();
    const enter = events.find((e) => e.cause === 'fast retransmit')!;
    const done = events.find((e) => e.cause === 'recovery done')!;
    expect(done.t - enter.t).toBeGreaterThanOrEqual(3 * RTT - 1);
  });

  it('after an RTO resends only the holes, not what the peer SACKed (no go-back-N)', () => {
    for (const rtoKeepsSack of [false, true]) {
      // Holes 3 and 7 lose their first retransmission too, so only the timer can repair them.
      const t = transfer({ 3: 2, 7: 2 }, { config: { rtoKeepsSack } });
      t.net.run(5_000);
      expect(sha(t.received())).toBe(sha(t.data));
      const r = t.retransmits();
      expect(r.map(({ seg, cause }) => `${seg}:${cause}`)).toEqual(['3:sack', '7:sack', '3:rto', '7:rto']);
      expect(t.cwndEvents().filter((e) => e.cause === 'RTO')).toHaveLength(1);
    }
  });

  it('a receiver that discards SACKed data (reneging) still gets every byte; the sender notices', () => {
    // bob keeps at most 2 out-of-order blocks, so under random loss he sometimes evicts a block he SACKed.
    // With rtoKeepsSack (Linux) only the reneging check saves the day; by default an RTO usually comes first.
    const reneged = { false: 0, true: 0 };
    for (const rtoKeepsSack of [false, true]) {
      for (let seed = 1; seed <= 12; seed++) {
        const net = pair({ seed, delayMs: 5 });
        net.a.condition({ loss: { model: 'random', percent: 8, correlation: 0 } });
        const size = 400_000;
        const data = new Uint8Array(size).map((_, i) => (i * 13 + seed) & 0xff);
        const l = net.b.tcp.listen(7000, 8, { maxOutOfOrderBlocks: 2 });
        const got: Uint8Array[] = [];
        l.onConnection = () => {
          const s = l.accept()!;
          s.onData = () => got.push(s.read());
        };
        const c = net.a.tcp.connect(ip('10.0.0.2'), 7000, { rtoKeepsSack });
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            const k = c.write(data.subarray(sent, Math.min(size, sent + 65536)));
            sent += k;
            if (k === 0) return;
          }
        };
        c.onConnect = pump;
        c.onWritable = pump;
        net.run(120_000);
        const all = Buffer.concat(got.map((g) => Buffer.from(g)));
        expect(sha(all), `seed ${seed} rtoKeepsSack ${rtoKeepsSack}`).toBe(sha(data));
        reneged[`${rtoKeepsSack}`] += net.a.tcp.stats['sack-reneging'] ?? 0;
      }
    }
    expect(reneged.true).toBeGreaterThan(0);
  });
});

describe('the peer\'s SACK blocks are validated', () => {
  /** alice has 10 segments outstanding that bob never acknowledges; the test speaks for bob. */
  function stalled() {
    const net = pair({ seed: 9, delayMs: 1 });
    const l = net.b.tcp.listen(7000);
    l.onConnection = () => l.accept();
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7000);
    net.run(20);
    const wire = net.b.nics[0].link!;
    FilterPort.insert(net.b.nics[0], () => true); // bob falls silent
    c.write(new Uint8Array(10 * c.sendMss));
    net.run(5);
    const una = c.sndUna;
    const mss = c.sendMss;
    const ackFromBob = (blocks: Array<[number, number]>) =>
      wire.transmit(
        tcpFrame({
          srcMac: parseMac('02:00:00:00:00:02')!,
          dstMac: parseMac('02:00:00:00:00:01')!,
          src: ip('10.0.0.2'),
          dst: ip('10.0.0.1'),
          srcPort: 7000,
          dstPort: c.localPort,
          seq: c.rcvNxt,
          ack: una,
          flags: TcpFlag.ACK,
          window: c.info().sndWnd >> c.sndScale,
          options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: blocks.map(([l, r]) => [(una + l * mss) >>> 0, (una + r * mss) >>> 0]) }],
        }),
      );
    return { net, c, una, mss, ackFromBob };
  }

  it('blocks beyond SND.MAX or inverted are ignored; blocks below the ACK are counted as D-SACK', () => {
    const { net, c, una, mss, ackFromBob } = stalled();
    ackFromBob([
      [12, 13], // beyond what was sent
      [5, 4], // right edge before left edge
      [-2, -1], // below the cumulative ACK: a D-SACK (RFC 2883)
    ]);
    net.run(2);
    expect(c.info().sacked).toEqual([]);
    expect(net.a.tcp.stats['sack-invalid']).toBe(2);
    expect(net.a.tcp.stats['dsack']).toBe(1);
    ackFromBob([[2, 3]]);
    net.run(2);
    expect(c.info().sacked).toEqual([[(una + 2 * mss) >>> 0, (una + 3 * mss) >>> 0]]);
    expect(c.info().caState).toBe('disorder');
  });

  it('the third ACK with new SACK information starts recovery and resends the first hole', () => {
    const { net, c, una, mss, ackFromBob } = stalled();
    ackFromBob([[1, 2]]);
    ackFromBob([[1, 2]]); // nothing new: not a duplicate ACK under RFC 6675
    ackFromBob([[3, 4]]);
    net.run(2);
    expect([c.dupAcks, c.inRecovery]).toEqual([2, false]);
    ackFromBob([[5, 6]]);
    net.run(2);
    const info = c.info();
    expect([info.caState, info.recoveryPoint]).toEqual(['recovery', c.sndMax]);
    const r = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'retransmit');
    expect(r[0]).toMatchObject({ cause: 'sack', seq: una, len: mss });
    expect(info.sacked).toHaveLength(3);
    expect(info.highRxt).toBe((una + mss) >>> 0);
  });
});
