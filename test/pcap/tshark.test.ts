/**
 * Wireshark acceptance: a pcap written from a simulated exchange decodes in
 * tshark with checksum validation on and not one expert error.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { IpProtocol } from '../../worker/wire/ipv4';
import { emitTcp, TcpFlag } from '../../worker/wire/tcp';
import { HEADROOM } from '../../worker/net/ipv4';
import { FrameStore, captureFrames } from '../../worker/trace/frame-store';
import { parsePcap } from '../../worker/trace/pcap';
import { pair, utf8 } from '../helpers/lan';
import { CHECKSUM_PREFS, hasTshark, tshark, writeTemp } from '../helpers/tshark';

const ip = (s: string) => parseIpv4(s)!;
const EPOCH = Date.UTC(2026, 10, 21, 9, 0, 0);

function simulatedCapture(): { pcap: Uint8Array; frames: number } {
  const net = pair({ mtu: 576, delayMs: 0.25 });
  const store = new FrameStore();
  captureFrames(net.tracer, store, 'alice');
  // ARP + ping
  net.a.ping('10.0.0.2', { count: 3, intervalMs: 200 });
  net.run(1000);
  // UDP echo, a closed port, and a fragmented 4000-byte datagram
  const echo = net.b.udp.bind(7);
  echo.onMessage = (m) => echo.sendTo(m.from.addr, m.from.port, m.data);
  const s = net.a.udp.bind(40000);
  s.sendTo(ip('10.0.0.2'), 7, utf8('hello over our own UDP'));
  s.sendTo(ip('10.0.0.2'), 9, utf8('closed'));
  const big = new Uint8Array(4000);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  s.sendTo(ip('10.0.0.2'), 7, big);
  net.run(1000);
  // A TCP SYN built with the TCP codec, to a port where bob does not listen: it answers RST,ACK
  const len = 40;
  const frame = net.a.ip.allocate(len);
  emitTcp(
    {
      srcPort: 45678,
      dstPort: 80,
      seq: 0x1234_5678,
      ack: 0,
      flags: TcpFlag.SYN,
      window: 64240,
      urgent: 0,
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamp', tsVal: 1000, tsEcr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
      payload: new Uint8Array(0),
    },
    frame,
    HEADROOM,
    { src: ip('10.0.0.1'), dst: ip('10.0.0.2') },
  );
  net.a.ip.send(frame, len, ip('10.0.0.1'), ip('10.0.0.2'), IpProtocol.TCP, 64, true);
  net.run(1000);
  return { pcap: store.toPcap(undefined, { epochMs: EPOCH }), frames: store.size };
}

describe.skipIf(!hasTshark)('pcap accepted by Wireshark (tshark)', () => {
  it('a simulated ping + ARP + UDP + fragmented + TCP SYN exchange decodes with zero expert errors', () => {
    const { pcap, frames } = simulatedCapture();
    const path = writeTemp('exchange.pcap', pcap);

    const errors = tshark(['-r', path, ...CHECKSUM_PREFS, '-Y', '_ws.expert.severity >= error']);
    expect(errors).toBe('');

    // tshark sees every frame, with the protocols we sent.
    const rows = tshark(['-r', path, ...CHECKSUM_PREFS, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.protocols', '-e', 'ip.flags.mf', '-e', 'ip.frag_offset', '-e', 'icmp.type', '-e', 'icmp.code'])
      .replace(/\n$/, '') // not trim(): the last row's empty fields are tabs
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(frames);
    const protocols = rows.map((r) => r[1]);
    expect(protocols.filter((p) => p === 'eth:ethertype:arp').length).toBeGreaterThanOrEqual(2);
    expect(protocols.filter((p) => p === 'eth:ethertype:ip:icmp:data').length).toBe(6); // 3 requests + 3 replies
    expect(protocols.filter((p) => p === 'eth:ethertype:ip:udp:echo').length).toBe(4); // port 7 decodes as the Echo protocol
    expect(protocols.filter((p) => p === 'eth:ethertype:ip:udp:data').length).toBe(1); // to the closed port 9
    expect(protocols.some((p) => p === 'eth:ethertype:ip:tcp')).toBe(true);
    // 8 fragments out (4008 bytes of UDP in 552-byte pieces), 8 back for the echo.
    // (ICMP errors repeat ip.* fields for the quoted header, so take the outer, first value.)
    const outer = (field: string) => field.split(',')[0];
    expect(rows.filter((r) => outer(r[2]) === '1' || (outer(r[3]) !== '' && outer(r[3]) !== '0')).length).toBe(16);
    // port unreachable came back for the UDP datagram, RST,ACK for the SYN (RFC 9293 3.10.7.1)
    expect(rows.filter((r) => r[4].startsWith('3') && r[5].startsWith('3')).length).toBe(1);
    expect(protocols.filter((p) => p === 'eth:ethertype:ip:tcp').length).toBe(2);
    const flags = tshark(['-r', path, '-Y', 'tcp', '-T', 'fields', '-e', 'tcp.flags.str']).trim().split('\n');
    expect(flags.map((f) => f.replace(/[^A-Z]/g, ''))).toEqual(['S', 'AR']);

    // tshark reassembles the fragments into one 4008-byte UDP datagram each way.
    const reassembled = tshark(['-r', path, '-o', 'ip.defragment:TRUE', '-Y', 'udp.length == 4008', '-T', 'fields', '-e', 'frame.number']).trim().split('\n');
    expect(reassembled).toHaveLength(2);

    // Timestamps come from the stack clock, anchored at the epoch we gave.
    const first = tshark(['-r', path, '-c', '1', '-T', 'fields', '-e', 'frame.time_epoch']).trim();
    expect(Number(first) * 1000).toBeCloseTo(EPOCH, 0);
  });

  it('checksum validation is really on: a corrupted frame is flagged', () => {
    const { pcap } = simulatedCapture();
    // Flip the TTL of the last frame (the IPv4 header checksum now fails). Not its last byte:
    // that may be Ethernet padding, which no checksum covers.
    const corrupted = pcap.slice();
    const parsed = parsePcap(corrupted);
    if (!parsed.ok) throw new Error(parsed.error.detail);
    const last = parsed.value.records[parsed.value.records.length - 1].frame;
    last[14 + 8] ^= 0xff;
    const path = writeTemp('corrupted.pcap', corrupted);
    expect(tshark(['-r', path, ...CHECKSUM_PREFS, '-Y', '_ws.expert.severity >= error'])).not.toBe('');
  });
});
