/**
 * Frames made by the real stack for UI tests (dissector, filter, packet store):
 * an ARP request and reply, a ping, a TCP handshake with options, data, a FIN,
 * a UDP datagram to a closed port and the ICMP error about it, plus hand-made
 * frames (IPv4 options, fragments, malformed headers).
 */

import { parseIpv4 } from '../../worker/wire/addr';
import { put16 } from '../../worker/wire/bytes';
import { checksum } from '../../worker/wire/checksum';
import type { FrameEvent, TraceEvent } from '../../worker/trace/events';
import { dnsBytes, dnsQuery } from '../../worker/wire/dns';
import { pair, utf8 } from './lan';

export interface Golden {
  /** Every event up to the UDP datagram and the ICMP error about it (the DNS query is not in it). */
  events: TraceEvent[];
  /** alice's and bob's tx frames in `events`, in order, as solo mode lists them. */
  tx: FrameEvent[];
  arpRequest: Uint8Array;
  arpReply: Uint8Array;
  echoRequest: Uint8Array;
  echoReply: Uint8Array;
  syn: Uint8Array;
  synAck: Uint8Array;
  data: Uint8Array;
  fin: Uint8Array;
  udp: Uint8Array;
  portUnreachable: Uint8Array;
  dns: Uint8Array;
}

function tcpFlags(f: Uint8Array): number | undefined {
  return f.length >= 54 && f[12] === 8 && f[13] === 0 && f[23] === 6 ? f[47] : undefined;
}

export function golden(): Golden {
  const net = pair({ delayMs: 1 });
  net.a.ping('10.0.0.2', { count: 1 });
  net.run(50);
  const l = net.b.tcp.listen(80);
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => s.read();
    s.onEnd = () => s.close();
  };
  const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 80);
  c.onConnect = () => {
    c.write(utf8('GET / HTTP/1.1\r\n\r\n'));
    c.close();
  };
  net.run(500);
  const u = net.a.udp.bind(5000);
  u.sendTo(parseIpv4('10.0.0.2')!, 5353, utf8('hello'));
  net.run(50);
  const before = net.events.length;
  u.sendTo(parseIpv4('10.0.0.2')!, 53, dnsBytes(dnsQuery(0x1234, 'www.bob.lab', 1, true)));
  net.run(50);
  const all = net.events.filter((e): e is FrameEvent => e.type === 'frame' && e.dir === 'tx');
  const tx = net.events.slice(0, before).filter((e): e is FrameEvent => e.type === 'frame' && e.dir === 'tx');
  const find = (host: string, pred: (f: Uint8Array) => boolean): Uint8Array => {
    const e = all.find((x) => x.host === host && pred(x.frame));
    if (!e) throw new Error('golden frame missing');
    return e.frame;
  };
  return {
    events: net.events.slice(0, before),
    tx,
    arpRequest: find('alice', (f) => f[12] === 8 && f[13] === 6 && f[21] === 1 && f[31] !== f[41]),
    arpReply: find('bob', (f) => f[12] === 8 && f[13] === 6 && f[21] === 2),
    echoRequest: find('alice', (f) => f[23] === 1 && f[34] === 8),
    echoReply: find('bob', (f) => f[23] === 1 && f[34] === 0),
    syn: find('alice', (f) => tcpFlags(f) === 0x02),
    synAck: find('bob', (f) => tcpFlags(f) === 0x12),
    data: find('alice', (f) => tcpFlags(f) !== undefined && f.length > 66 + 12),
    fin: find('alice', (f) => (tcpFlags(f) ?? 0) & 0x01 ? true : false),
    udp: find('alice', (f) => f[23] === 17 && f[37] === 0xe9),
    dns: find('alice', (f) => f[23] === 17 && f[36] === 0 && f[37] === 53),
    portUnreachable: find('bob', (f) => f[23] === 1 && f[34] === 3),
  };
}

/** An IPv4 header with options (NOP, Record Route of one slot, EOL) around a UDP datagram, as a fragment. */
export function ipv4WithOptions(opts: { fragOffset8?: number; moreFrags?: boolean } = {}): Uint8Array {
  const options = [1, 7, 7, 4, 10, 0, 0, 1, 0, 0, 0, 0]; // NOP, Record Route (len 7, ptr 4, one slot), EOL and padding
  const hl = 20 + options.length;
  const udpLen = 8 + 4;
  const f = new Uint8Array(14 + hl + udpLen);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  const ip = 14;
  f[ip] = 0x40 | (hl / 4);
  put16(f, ip + 2, hl + udpLen);
  put16(f, ip + 4, 0x1234);
  put16(f, ip + 6, (opts.moreFrags ? 0x2000 : 0) | (opts.fragOffset8 ?? 0));
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  f.set([10, 0, 0, 1, 10, 0, 0, 2], ip + 12);
  f.set(options, ip + 20);
  put16(f, ip + 10, checksum(f, ip, hl));
  const u = ip + hl;
  put16(f, u, 1000);
  put16(f, u + 2, 2000);
  put16(f, u + 4, udpLen);
  f.set([1, 2, 3, 4], u + 8);
  return f;
}
