import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { parseEthernet, EtherType } from '../../worker/wire/ethernet';
import { parseIpv4 as parseIpv4Packet, IpProtocol } from '../../worker/wire/ipv4';
import { parseIcmp } from '../../worker/wire/icmp';
import type { UdpMessage } from '../../worker/transport/udp';
import type { FrameEvent, IpEvent } from '../../worker/trace/events';
import { FilterPort, network, pair, utf8 } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

function ipv4Of(frame: Uint8Array) {
  const eth = parseEthernet(frame);
  if (!eth.ok || eth.value.ethertype !== EtherType.IPV4) return undefined;
  const p = parseIpv4Packet(eth.value.payload);
  return p.ok ? p.value : undefined;
}

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

describe('UDP', () => {
  it('echo between two hosts', () => {
    const net = pair({ delayMs: 1 });
    const server = net.b.udp.bind(7);
    server.onMessage = (m) => server.sendTo(m.from.addr, m.from.port, m.data);
    const client = net.a.udp.bind();
    expect(client.localPort).toBeGreaterThanOrEqual(49152);
    const got: UdpMessage[] = [];
    client.onMessage = (m) => got.push(m);
    client.sendTo(ip('10.0.0.2'), 7, utf8('hello, bob'));
    client.sendTo(ip('10.0.0.2'), 7, utf8('second'));
    net.run(100);
    expect(got.map((m) => new TextDecoder().decode(m.data))).toEqual(['hello, bob', 'second']);
    expect(got[0].from).toEqual({ addr: ip('10.0.0.2'), port: 7 });
    expect(net.b.counters.get('udp', 'delivered')).toBe(2);
  });

  it('a datagram to a closed port draws ICMP port unreachable, reported to the sender as ECONNREFUSED', () => {
    const net = pair();
    const client = net.a.udp.bind(5000);
    const errors: string[] = [];
    client.onError = (e) => errors.push(`${e.code}: ${e.message}`);
    client.sendTo(ip('10.0.0.2'), 9999, utf8('anyone?'));
    net.run(100);
    expect(net.b.counters.drops('udp', 'port-unreachable')).toBe(1);
    expect(net.b.counters.get('icmp', 'errorsSent')).toBe(1);
    expect(errors).toEqual(['ECONNREFUSED: Destination Port Unreachable (reported by 10.0.0.2 for 10.0.0.2:9999)']);
    // The ICMP message on the wire quotes the original IP header and UDP header.
    const icmpFrame = net.events.find((e): e is FrameEvent => e.type === 'frame' && e.host === 'bob' && e.dir === 'tx' && ipv4Of(e.frame)?.protocol === IpProtocol.ICMP)!;
    const icmp = parseIcmp(ipv4Of(icmpFrame.frame)!.payload);
    expect(icmp.ok && icmp.value).toMatchObject({ type: 'dest-unreachable', code: 3 });
  });

  it('bind refuses a port in use, with a clear error', () => {
    const net = pair();
    net.a.udp.bind(53);
    expect(() => net.a.udp.bind(53)).toThrow(/UDP port 53 is already in use/);
    expect(() => net.a.udp.bind(70000)).toThrow(/between 0 and 65535/);
  });

  it('ephemeral ports are distinct and in 49152-65535', () => {
    const net = pair();
    const ports = new Set<number>();
    for (let i = 0; i < 200; i++) ports.add(net.a.udp.bind().localPort);
    expect(ports.size).toBe(200);
    for (const p of ports) expect(p >= 49152 && p <= 65535).toBe(true);
  });

  it('a broadcast reaches every host on the segment and draws no ICMP', () => {
    const net = network([
      { name: 'a', interfaces: [{ mac: '02:00:00:00:00:01', address: '10.0.0.1/24', segment: 'lan' }] },
      { name: 'b', interfaces: [{ mac: '02:00:00:00:00:02', address: '10.0.0.2/24', segment: 'lan' }] },
      { name: 'c', interfaces: [{ mac: '02:00:00:00:00:03', address: '10.0.0.3/24', segment: 'lan' }] },
    ]);
    const got: string[] = [];
    for (const name of ['b', 'c']) net.host(name).udp.bind(4000).onMessage = (m) => got.push(`${name} ${new TextDecoder().decode(m.data)}`);
    net.host('a').udp.bind().sendTo(ip('10.0.0.255'), 4000, utf8('all'));
    net.host('a').udp.bind().sendTo(ip('10.0.0.255'), 4001, utf8('nobody'));
    net.run(10);
    expect(got.sort()).toEqual(['b all', 'c all']);
    expect(net.host('b').counters.get('icmp', 'errorsSent')).toBe(0);
  });
});

describe('fragmentation', () => {
  it('a 4000-byte datagram over a 576-byte MTU is fragmented and reassembled byte-exact', () => {
    const net = pair({ mtu: 576 });
    const got: Uint8Array[] = [];
    net.b.udp.bind(9).onMessage = (m) => got.push(m.data);
    const data = pattern(4000);
    net.a.udp.bind(1234).sendTo(ip('10.0.0.2'), 9, data);
    net.run(100);
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(data);

    // 4008 bytes of UDP in fragments of 552 (576 - 20, rounded down to a multiple of 8).
    const frags = net.events.filter((e): e is FrameEvent => e.type === 'frame' && e.host === 'alice' && e.dir === 'tx').map((e) => ipv4Of(e.frame)).filter((p) => p?.protocol === IpProtocol.UDP);
    expect(frags.map((f) => f!.fragOffset)).toEqual([0, 552, 1104, 1656, 2208, 2760, 3312, 3864]);
    expect(frags.map((f) => f!.payload.length)).toEqual([552, 552, 552, 552, 552, 552, 552, 144]);
    expect(frags.map((f) => f!.moreFrags)).toEqual([true, true, true, true, true, true, true, false]);
    expect(new Set(frags.map((f) => f!.ident)).size).toBe(1);
    const ev = net.events.find((e): e is IpEvent => e.type === 'ip' && e.what === 'reassembled')!;
    expect(ev).toMatchObject({ host: 'bob', value: 4028 });
    expect(net.b.ip.reassembler.size).toBe(0);
    expect(net.b.ip.reassembler.bytes).toBe(0);
  });

  it('fragments arriving out of order, some duplicated, reassemble once', () => {
    const net = pair({ mtu: 576 });
    const got: Uint8Array[] = [];
    net.b.udp.bind(9).onMessage = (m) => got.push(m.data);
    // Hold alice's fragments, then deliver them in reverse with the middle one twice.
    const held: Uint8Array[] = [];
    const filter = FilterPort.insert(net.a.nics[0], (f) => (ipv4Of(f)?.protocol === IpProtocol.UDP ? (held.push(f), true) : false));
    const data = pattern(2000);
    net.a.udp.bind().sendTo(ip('10.0.0.2'), 9, data);
    net.run(10);
    filter.drop = () => false;
    expect(held).toHaveLength(4);
    for (const f of [held[3], held[2], held[1], held[1], held[0]]) net.b.nics[0].receive(f);
    net.run(10);
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(data);
    expect(net.b.counters.drops('ipv4', 'duplicate-fragment')).toBe(1);
    expect(net.b.ip.reassembler.size).toBe(0);
    // IP does not remove duplicate datagrams: the whole set again is a second datagram.
    for (const f of held) net.b.nics[0].receive(f);
    net.run(10);
    expect(got).toHaveLength(2);
  });

  it('a missing fragment times out after 30 s, frees its memory and draws ICMP time exceeded', () => {
    const net = pair({ mtu: 576 });
    net.b.udp.bind(9).onMessage = () => {
      throw new Error('must not be delivered');
    };
    let n = 0;
    FilterPort.insert(net.a.nics[0], (f) => ipv4Of(f)?.protocol === IpProtocol.UDP && ++n === 3);
    const sock = net.a.udp.bind(1234);
    const errors: string[] = [];
    sock.onError = (e) => errors.push(e.message);
    sock.sendTo(ip('10.0.0.2'), 9, pattern(4000));
    net.run(100);
    expect(net.b.ip.reassembler.size).toBe(1);
    expect(net.b.ip.reassembler.bytes).toBe(552 * 6 + 144);
    net.run(29_800);
    expect(net.b.ip.reassembler.size).toBe(1);
    net.run(200);
    expect(net.b.ip.reassembler.size).toBe(0);
    expect(net.b.ip.reassembler.bytes).toBe(0);
    expect(net.b.counters.drops('ipv4', 'reassembly-timeout')).toBe(1);
    net.run(10);
    expect(errors).toEqual(['Frag reassembly time exceeded (reported by 10.0.0.2 for 10.0.0.2:9)']);
  });

  it('overlapping fragments with different data discard the whole datagram', () => {
    const net = pair({ mtu: 576 });
    const got: Uint8Array[] = [];
    net.b.udp.bind(9).onMessage = (m) => got.push(m.data);
    const held: Uint8Array[] = [];
    FilterPort.insert(net.a.nics[0], (f) => (ipv4Of(f)?.protocol === IpProtocol.UDP ? (held.push(f), true) : false));
    net.a.udp.bind().sendTo(ip('10.0.0.2'), 9, pattern(1500));
    net.run(10);
    // A forged second fragment: same offset as the real one, different bytes.
    const forged = held[1].slice();
    forged[14 + 20 + 10] ^= 0xff;
    // fix IP header checksum is untouched (payload changed only); deliver real 0, forged 1, then real 1 and 2
    net.b.nics[0].receive(held[0]);
    net.b.nics[0].receive(forged);
    net.b.nics[0].receive(held[1]);
    net.b.nics[0].receive(held[2]);
    net.run(10);
    expect(got).toHaveLength(0);
    expect(net.b.counters.drops('ipv4', 'reassembly-overlap')).toBe(1);
  });

  it('reassembly memory is bounded per source', () => {
    const net = pair({ mtu: 576 });
    net.b.ip.reassembler.options.perSourceBytes = 8 * 1024;
    net.a.ping('10.0.0.2', { count: 1 }); // resolve ARP first, so no fragment waits in its queue
    net.run(10);
    // Drop every last fragment so nothing completes.
    FilterPort.insert(net.a.nics[0], (f) => {
      const p = ipv4Of(f);
      return p?.protocol === IpProtocol.UDP && !p.moreFrags;
    });
    const s = net.a.udp.bind();
    for (let i = 0; i < 10; i++) s.sendTo(ip('10.0.0.2'), 9, pattern(3000));
    net.run(10);
    expect(net.b.ip.reassembler.bytes).toBeLessThanOrEqual(8 * 1024);
    expect(net.b.counters.drops('ipv4', 'reassembly-limit')).toBeGreaterThan(0);
  });

  it('with DF set a datagram larger than the MTU is refused locally', () => {
    const net = pair({ mtu: 576 });
    const frame = net.a.ip.allocate(1000);
    expect(net.a.ip.send(frame, 1000, ip('10.0.0.1'), ip('10.0.0.2'), IpProtocol.UDP, 64, true)).toBe('too-big');
    expect(net.a.counters.drops('ipv4', 'frag-needed')).toBe(1);
  });
});

describe('routing through a router host', () => {
  function routed() {
    return network([
      { name: 'alice', gateway: '10.0.1.1', interfaces: [{ mac: '02:00:00:00:01:02', address: '10.0.1.2/24', segment: 'left' }] },
      {
        name: 'router',
        forwarding: true,
        interfaces: [
          { mac: '02:00:00:00:01:01', address: '10.0.1.1/24', segment: 'left' },
          { mac: '02:00:00:00:02:01', address: '10.0.2.1/24', segment: 'right', mtu: 576 },
        ],
      },
      { name: 'bob', gateway: '10.0.2.1', interfaces: [{ mac: '02:00:00:00:02:02', address: '10.0.2.2/24', segment: 'right', mtu: 576 }] },
    ]);
  }

  it('a host on another subnet is reached through the gateway, and TTL is decremented', () => {
    const net = routed();
    const s = net.host('alice').ping('10.0.2.2', { count: 2 });
    net.run(3000);
    expect(s.lines.slice(1, 3)).toEqual(['64 bytes from 10.0.2.2: icmp_seq=1 ttl=63 time=0.000 ms', '64 bytes from 10.0.2.2: icmp_seq=2 ttl=63 time=0.000 ms']);
    // alice resolved the gateway's MAC, not bob's
    expect(net.host('alice').iface().arp.lookup(ip('10.0.1.1'))).toBeDefined();
    expect(net.host('alice').iface().arp.lookup(ip('10.0.2.2'))).toBeUndefined();
    expect(net.host('router').counters.get('ipv4', 'forwarded')).toBe(4);
  });

  it('TTL 1 draws time exceeded from the router', () => {
    const net = routed();
    const s = net.host('alice').ping('10.0.2.2', { count: 1, ttl: 1 });
    net.run(3000);
    expect(s.lines[1]).toBe('From 10.0.1.1 icmp_seq=1 Time to live exceeded');
    expect(net.host('router').counters.drops('ipv4', 'ttl-exceeded')).toBe(1);
  });

  it('the router fragments for a smaller next-hop MTU; with DF it answers fragmentation needed', () => {
    const net = routed();
    const got: Uint8Array[] = [];
    net.host('bob').udp.bind(9).onMessage = (m) => got.push(m.data);
    net.host('alice').udp.bind().sendTo(ip('10.0.2.2'), 9, pattern(1400));
    net.run(100);
    expect(got[0]).toEqual(pattern(1400));
    expect(net.host('router').counters.get('ipv4', 'fragmentsCreated')).toBe(3);

    const big = net.host('alice').ping('10.0.2.2', { count: 1, size: 1000 });
    net.run(3000);
    expect(big.summary().received).toBe(1);

    // DF set by hand: a raw UDP datagram of 1000 bytes.
    const a = net.host('alice');
    const frame = a.ip.allocate(1008);
    frame.set([0x30, 0x39, 0, 9, 0x03, 0xf0, 0, 0], 34); // ports 12345 -> 9, length 1008, no checksum
    const sock = a.udp.bind(12345);
    const errors: string[] = [];
    sock.onError = (e) => errors.push(`${e.code} ${e.message}`);
    expect(a.ip.send(frame, 1008, ip('10.0.1.2'), ip('10.0.2.2'), IpProtocol.UDP, 64, true)).toBe('ok');
    net.run(100);
    expect(net.host('router').counters.drops('ipv4', 'frag-needed')).toBe(1);
    expect(errors).toEqual(['EMSGSIZE Frag needed and DF set (mtu = 576) (reported by 10.0.1.1 for 10.0.2.2:9)']);
  });

  it('no route: a host without a gateway cannot reach another subnet', () => {
    const net = pair();
    expect(() => net.a.udp.bind().sendTo(ip('192.168.7.7'), 9, utf8('x'))).toThrow(/No route to 192.168.7.7/);
    const s = net.a.ping('192.168.7.7', { count: 1, timeoutMs: 100 });
    net.run(1000);
    expect(s.lines[1]).toBe('ping: sendmsg: Network is unreachable');
  });

  it('a host that does not forward drops packets for others', () => {
    const net = routed();
    net.host('router').ip.forwarding = false;
    const s = net.host('alice').ping('10.0.2.2', { count: 1, timeoutMs: 500 });
    net.run(1000);
    expect(s.summary().received).toBe(0);
    expect(net.host('router').counters.drops('ipv4', 'not-forwarding')).toBe(1);
  });
});

describe('reassembly limits', () => {
  it('a fragment that would make a datagram over 65535 bytes is dropped (ping of death)', () => {
    const net = pair();
    net.run(10);
    // A last fragment at offset 65512 with 16 bytes: the codec accepts it (65512 + 16 <= 65535),
    // but the datagram it completes would be 20 + 65528 bytes long.
    const frame = new Uint8Array(14 + 20 + 16);
    frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
    const ipHdr = [0x45, 0, 0, 36, 0x12, 0x34, (65512 / 8) >> 8, (65512 / 8) & 0xff, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    frame.set(ipHdr, 14);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (ipHdr[i] << 8) | ipHdr[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame[24] = (~sum >> 8) & 0xff;
    frame[25] = ~sum & 0xff;
    net.b.nics[0].receive(frame);
    expect(net.b.counters.drops('ipv4', 'bad-length')).toBe(1);
    expect(net.b.ip.reassembler.size).toBe(0);
  });
});
