import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../../worker/wire/addr';
import { parseEthernet, EtherType } from '../../worker/wire/ethernet';
import { parseArp } from '../../worker/wire/arp';
import { parseIpv4 as parseIpv4Packet, IpProtocol } from '../../worker/wire/ipv4';
import type { FrameEvent } from '../../worker/trace/events';
import type { PingEvent } from '../../worker/net/ping';
import { network, utf8 } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

/** alice 10.0.0.1; bob 10.0.0.2 with secondary addresses 10.0.0.12 and 10.0.0.22. */
function lan() {
  const net = network([
    { name: 'alice', interfaces: [{ mac: '02:00:00:00:00:01', address: '10.0.0.1/24', segment: 'lan' }] },
    { name: 'bob', interfaces: [{ mac: '02:00:00:00:00:02', address: '10.0.0.2/24', aliases: ['10.0.0.12', '10.0.0.22'], segment: 'lan' }] },
  ]);
  return { net, a: net.host('alice'), b: net.host('bob') };
}

function sent(events: readonly unknown[], host: string) {
  return (events as FrameEvent[]).filter((e) => e.type === 'frame' && e.host === host && e.dir === 'tx').map((e) => parseEthernet(e.frame));
}

function ipPackets(events: readonly unknown[], host: string) {
  return sent(events, host)
    .filter((r) => r.ok && r.value.ethertype === EtherType.IPV4)
    .map((r) => parseIpv4Packet(r.ok ? r.value.payload : new Uint8Array()))
    .filter((r) => r.ok)
    .map((r) => (r.ok ? r.value : undefined)!);
}

describe('secondary IPv4 addresses', () => {
  it('ARP answers for a secondary address with that address as the sender', () => {
    const { net, a } = lan();
    a.ping('10.0.0.12', { count: 1 });
    net.run(100);
    const replies = sent(net.events, 'bob')
      .filter((r) => r.ok && r.value.ethertype === EtherType.ARP)
      .map((r) => parseArp(r.ok ? r.value.payload : new Uint8Array()))
      .map((r) => (r.ok ? r.value : undefined))
      .filter((r) => r?.operation === 'reply');
    expect(replies).toHaveLength(1);
    expect(formatIpv4(replies[0]!.senderIp)).toBe('10.0.0.12');
    expect(replies[0]!.senderMac).toBe(0x02_00_00_00_00_02);
    expect(a.iface().arp.lookup(ip('10.0.0.12'))).toBe(0x02_00_00_00_00_02);
  });

  it('a ping to a secondary address is answered from that address', () => {
    const { net, a } = lan();
    const events: PingEvent[] = [];
    a.ping('10.0.0.22', { count: 1 }, (e) => events.push(e));
    net.run(2000);
    expect(events.find((e) => e.kind === 'reply')).toMatchObject({ kind: 'reply', from: ip('10.0.0.22') });
    const fromBob = ipPackets(net.events, 'bob').filter((p) => p.protocol === IpProtocol.ICMP);
    expect(fromBob.map((p) => formatIpv4(p.src))).toEqual(['10.0.0.22']);
  });

  it('a UDP server bound to every address answers from the address it was asked on; new traffic leaves from the primary', () => {
    const { net, a, b } = lan();
    const server = b.udp.bind(5300);
    server.onMessage = (m) => server.sendTo(m.from.addr, m.from.port, m.data, m.to);
    const client = a.udp.bind(4000);
    const got: string[] = [];
    client.onMessage = (m) => got.push(`${formatIpv4(m.from.addr)} ${new TextDecoder().decode(m.data)}`);
    client.sendTo(ip('10.0.0.12'), 5300, utf8('root?'));
    client.sendTo(ip('10.0.0.2'), 5300, utf8('primary?'));
    net.run(100);
    // Two ARP resolutions race, so the order of the answers is not the point.
    expect([...got].sort()).toEqual(['10.0.0.12 root?', '10.0.0.2 primary?']);
    // Bob's own new traffic: the primary address, not a secondary one.
    b.udp.bind(4001).sendTo(ip('10.0.0.1'), 4000, utf8('hi'));
    net.run(100);
    expect(got.at(-1)).toBe('10.0.0.2 hi');
    expect(b.ip.sourceFor(ip('10.0.0.1'))).toBe(ip('10.0.0.2'));
  });

  it('a TCP connection to a secondary address is accepted from that address', () => {
    const { net, a, b } = lan();
    const l = b.tcp.listen(8080);
    let local = '';
    l.onConnection = () => {
      const s = l.accept();
      if (s) local = s.name;
    };
    const c = a.tcp.connect(ip('10.0.0.22'), 8080);
    net.run(100);
    expect(c.state).toBe('ESTABLISHED');
    expect(local).toContain('10.0.0.22:8080');
  });

  it('sending from an address the host does not have is refused with a sentence', () => {
    const { b } = lan();
    const s = b.udp.bind();
    expect(() => s.sendTo(ip('10.0.0.1'), 7, utf8('x'), ip('10.0.0.99'))).toThrow(/10\.0\.0\.99 is not an address this socket can send from/);
  });

  it('refuses secondary addresses off the subnet, duplicates, and the broadcast address', () => {
    const { b } = lan();
    expect(() => b.iface().addAlias(ip('192.168.1.5'))).toThrow(/not on eth0's subnet 10\.0\.0\.2\/24/);
    expect(() => b.iface().addAlias(ip('10.0.0.12'))).toThrow(/already an address/);
    expect(() => b.iface().addAlias(ip('10.0.0.255'))).toThrow(/broadcast address/);
    expect(() => b.iface().addAlias(ip('10.0.0.0'))).toThrow(/network or broadcast/);
    expect(b.iface().describe()).toBe('eth0 10.0.0.2/24 + 10.0.0.12 + 10.0.0.22');
  });

  it('a packet claiming to come from one of our secondary addresses is a martian', () => {
    const { net, a, b } = lan();
    // alice (mis)configured with bob's secondary address as her own.
    a.iface().addAlias(ip('10.0.0.12'));
    a.udp.bind(4000).sendTo(ip('10.0.0.2'), 9, utf8('spoof'), ip('10.0.0.12'));
    net.run(100);
    expect(b.counters.drops('ipv4', 'martian')).toBe(1);
  });
});
