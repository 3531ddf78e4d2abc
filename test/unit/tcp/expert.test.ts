/**
 * Expert notes: TCP says what each segment it sends is (retransmission and
 * why, duplicate ACK, window update, zero window, probes, keepalives, window
 * full) on the tx FrameEvent, and what it found about a received segment
 * (out of order, duplicate ACK, window full) in a TcpEvent naming the rx frame.
 */

import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import { ETH } from '../../../worker/wire/ethernet';
import { u16, u32 } from '../../../worker/wire/bytes';
import { TcpExpertFlag as F, type FrameEvent, type TcpEvent } from '../../../worker/trace/events';
import type { TcpSocket } from '../../../worker/transport/tcp/tcb';
import { FilterPort, pair, utf8 } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

/** The TCP header fields of a frame (IPv4 without options, as our stack sends). */
function tcpOf(frame: Uint8Array) {
  const o = ETH.HEADER_LEN + 20;
  if (frame.length < o + 20 || frame[ETH.HEADER_LEN + 9] !== 6) return undefined;
  const hl = (frame[o + 12]! >> 4) * 4;
  return { seq: u32(frame, o + 4), ack: u32(frame, o + 8), flags: frame[o + 13]!, win: u16(frame, o + 14), len: frame.length - o - hl };
}

type Net = ReturnType<typeof pair>;

function txFrames(net: Net, host: string): FrameEvent[] {
  return net.events.filter((e): e is FrameEvent => e.type === 'frame' && e.dir === 'tx' && e.host === host && tcpOf(e.frame) !== undefined);
}

function rxExpert(net: Net, host: string): Extract<TcpEvent, { what: 'expert' }>[] {
  return net.events.filter((e): e is Extract<TcpEvent, { what: 'expert' }> => e.type === 'tcp' && e.what === 'expert' && e.host === host);
}

function rxFrame(net: Net, host: string, id: number): Uint8Array {
  const f = net.events.find((e): e is FrameEvent => e.type === 'frame' && e.dir === 'rx' && e.host === host && e.id === id);
  return f!.frame;
}

/** alice connected to bob's port 9000; returns both sockets once established. */
function connected(net: Net, opts: { receiveBuffer?: number; keepalive?: boolean } = {}): { c: TcpSocket; s: () => TcpSocket } {
  const l = net.b.tcp.listen(9000, 8, opts.receiveBuffer ? { receiveBuffer: opts.receiveBuffer } : {});
  let server: TcpSocket | undefined;
  l.onConnection = () => (server = l.accept()!);
  const c = net.a.tcp.connect(ip('10.0.0.2'), 9000, opts.keepalive ? { keepalive: true, keepIdleMs: 1000, keepIntervalMs: 500 } : {});
  net.run(20);
  expect(c.state).toBe('ESTABLISHED');
  return { c, s: () => server! };
}

describe('TCP expert notes on exact segments', () => {
  it('a clean exchange carries no notes', () => {
    const net = pair({ delayMs: 1 });
    const { c, s } = connected(net);
    s().onData = () => s().read();
    c.write(utf8('hello'));
    net.run(500);
    expect(txFrames(net, 'alice').filter((e) => e.expert)).toEqual([]);
    expect(txFrames(net, 'bob').filter((e) => e.expert)).toEqual([]);
    expect(rxExpert(net, 'bob')).toEqual([]);
  });

  it('a lost segment: out-of-order arrivals, numbered duplicate ACKs, and a fast retransmission (SACK)', () => {
    const net = pair({ delayMs: 5 });
    const { c, s } = connected(net);
    s().onData = () => s().read();
    // Drop the second full data segment once.
    let dataSeen = 0;
    let lostSeq = -1;
    FilterPort.insert(net.a.nics[0]!, (frame) => {
      const t = tcpOf(frame);
      if (!t || t.len === 0) return false;
      dataSeen++;
      if (dataSeen === 2) {
        lostSeq = t.seq;
        return true;
      }
      return false;
    });
    c.write(new Uint8Array(8 * 1400));
    net.run(1000);
    // bob: every segment after the hole arrives out of order and is answered by a duplicate ACK, numbered.
    const ooo = rxExpert(net, 'bob').filter((e) => e.flags & F.OUT_OF_ORDER);
    expect(ooo.length).toBeGreaterThanOrEqual(3);
    for (const e of ooo) expect(tcpOf(rxFrame(net, 'bob', e.frameId))!.seq).toBeGreaterThan(lostSeq);
    const dupAcks = txFrames(net, 'bob').filter((e) => e.expert && e.expert.flags & F.DUPLICATE_ACK);
    expect(dupAcks.map((e) => e.expert!.dupAck).slice(0, 3)).toEqual([1, 2, 3]);
    for (const e of dupAcks.slice(0, 3)) expect(tcpOf(e.frame)!.ack).toBe(lostSeq);
    // alice: counted those as duplicate ACKs, then resent exactly the lost segment, saying why.
    expect(rxExpert(net, 'alice').filter((e) => e.flags & F.DUPLICATE_ACK).length).toBeGreaterThanOrEqual(3);
    const rtx = txFrames(net, 'alice').filter((e) => e.expert && e.expert.flags & F.RETRANSMISSION);
    // (The last segment may be resent once more by the RTO: bob's delayed ACK for it is due when alice's 200 ms RTO fires.)
    expect(tcpOf(rtx[0]!.frame)!.seq).toBe(lostSeq);
    expect(rtx[0]!.expert!.cause).toBe('sack');
  });

  it('a lost last segment is resent by the retransmission timer (cause rto)', () => {
    const net = pair({ delayMs: 5 });
    const { c, s } = connected(net);
    s().onData = () => s().read();
    let dropped = false;
    FilterPort.insert(net.a.nics[0]!, (frame) => {
      const t = tcpOf(frame);
      if (!dropped && t && t.len > 0) return (dropped = true);
      return false;
    });
    c.write(utf8('only segment'));
    net.run(3000);
    const rtx = txFrames(net, 'alice').filter((e) => e.expert && e.expert.flags & F.RETRANSMISSION);
    expect(rtx.map((e) => [e.expert!.cause, tcpOf(e.frame)!.len])).toEqual([['rto', 12]]);
  });

  it('a lost SYN is resent with cause syn', () => {
    const net = pair({ delayMs: 5 });
    net.b.tcp.listen(9000);
    let dropped = false;
    FilterPort.insert(net.a.nics[0]!, (frame) => {
      const t = tcpOf(frame);
      if (!dropped && t && t.flags & 0x02) return (dropped = true);
      return false;
    });
    net.a.tcp.connect(ip('10.0.0.2'), 9000);
    net.run(3000);
    const syns = txFrames(net, 'alice').filter((e) => tcpOf(e.frame)!.flags & 0x02);
    expect(syns.map((e) => e.expert)).toEqual([undefined, { flags: F.RETRANSMISSION, cause: 'syn' }]);
  });

  it('zero window, zero-window probe, window full and the window update when the reader catches up', () => {
    const net = pair({ delayMs: 5 });
    const { c, s } = connected(net, { receiveBuffer: 2896 });
    // bob's application does not read: its window fills and closes.
    c.write(new Uint8Array(20_000));
    net.run(2000);
    const zero = txFrames(net, 'bob').filter((e) => e.expert && e.expert.flags & F.ZERO_WINDOW);
    expect(zero.length).toBeGreaterThan(0);
    for (const e of zero) expect(tcpOf(e.frame)!.win).toBe(0);
    // alice sent the segment that reached bob's right edge, and bob saw it fill its window.
    const full = txFrames(net, 'alice').filter((e) => e.expert && e.expert.flags & F.WINDOW_FULL);
    expect(full.length).toBeGreaterThan(0);
    expect(rxExpert(net, 'bob').some((e) => e.flags & F.WINDOW_FULL)).toBe(true);
    net.run(10_000);
    const probes = txFrames(net, 'alice').filter((e) => e.expert && e.expert.flags & F.ZERO_WINDOW_PROBE);
    expect(probes.length).toBeGreaterThan(0);
    for (const e of probes) expect(tcpOf(e.frame)!.len).toBe(1);
    s().read();
    net.run(100);
    const updates = txFrames(net, 'bob').filter((e) => e.expert && e.expert.flags & F.WINDOW_UPDATE);
    expect(updates.length).toBeGreaterThan(0);
    const u = tcpOf(updates[0]!.frame)!;
    expect(u.len).toBe(0);
    expect(u.win).toBeGreaterThan(0);
  });

  it('keepalive probes are marked as keep-alives, not retransmissions', () => {
    const net = pair({ delayMs: 5 });
    connected(net, { keepalive: true });
    net.run(1500);
    const ka = txFrames(net, 'alice').filter((e) => e.expert && e.expert.flags & F.KEEP_ALIVE);
    expect(ka.length).toBeGreaterThan(0);
    expect(ka[0]!.expert).toEqual({ flags: F.KEEP_ALIVE });
    expect(tcpOf(ka[0]!.frame)!.len).toBe(0);
  });
});
