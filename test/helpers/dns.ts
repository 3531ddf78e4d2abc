/**
 * The lab's DNS on two simulated hosts, as worker/lab.ts sets it up: alice and
 * bob with their root and TLD secondary addresses, each running startLabDns.
 */

import { parseIpv4 } from '../../worker/wire/addr';
import { DNS_PLAN, HOST_SPECS } from '../../worker/host-plan';
import { startLabDns, type LabDns, type LabDnsHost } from '../../worker/apps/dns/lab-zones';
import { parseEthernet, EtherType } from '../../worker/wire/ethernet';
import { parseIpv4 as parseIpv4Packet, IpProtocol } from '../../worker/wire/ipv4';
import { parseUdp } from '../../worker/wire/udp';
import { parseDns, type DnsMessage } from '../../worker/wire/dns';
import type { FrameEvent, TraceEvent } from '../../worker/trace/events';
import { network, type Net } from './lan';
import type { Host } from '../../worker/host';

export const ip = (s: string) => parseIpv4(s)!;

export const LAB_DNS_HOSTS: LabDnsHost[] = HOST_SPECS.map((s) => ({
  name: s.name,
  address: ip(s.address.split('/')[0]),
  root: ip(DNS_PLAN[s.name].root),
  tld: ip(DNS_PLAN[s.name].tld),
  letter: DNS_PLAN[s.name].letter,
}));

export interface DnsLab extends Net {
  a: Host;
  b: Host;
  dns: { alice: LabDns; bob: LabDns };
}

export function dnsLab(opts: { seed?: number; delayMs?: number } = {}): DnsLab {
  const net = network(
    HOST_SPECS.map((s) => ({ name: s.name, interfaces: [{ mac: s.mac, address: s.address, aliases: [DNS_PLAN[s.name].root, DNS_PLAN[s.name].tld], segment: 'lan' }] })),
    { delayMs: opts.delayMs ?? 1, seed: opts.seed },
  );
  const a = net.host('alice');
  const b = net.host('bob');
  const dns = {
    alice: startLabDns(a, LAB_DNS_HOSTS, (x) => a.ip.isLocal(x)),
    bob: startLabDns(b, LAB_DNS_HOSTS, (x) => b.ip.isLocal(x)),
  };
  return Object.assign(net, { a, b, dns });
}

export interface DnsOnWire {
  host: string;
  dir: 'tx' | 'rx';
  t: number;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  message: DnsMessage;
}

/** Every DNS message (UDP port 53 either side) a host sent or received, parsed. */
export function dnsFrames(events: readonly TraceEvent[], host: string, dir: 'tx' | 'rx' = 'tx'): DnsOnWire[] {
  const out: DnsOnWire[] = [];
  for (const e of events as FrameEvent[]) {
    if (e.type !== 'frame' || e.host !== host || e.dir !== dir) continue;
    const eth = parseEthernet(e.frame);
    if (!eth.ok || eth.value.ethertype !== EtherType.IPV4) continue;
    const p = parseIpv4Packet(eth.value.payload);
    if (!p.ok || p.value.protocol !== IpProtocol.UDP) continue;
    const u = parseUdp(p.value.payload);
    if (!u.ok || (u.value.srcPort !== 53 && u.value.dstPort !== 53)) continue;
    const m = parseDns(u.value.payload);
    if (!m.ok) continue;
    out.push({ host, dir, t: e.t, src: p.value.src, dst: p.value.dst, srcPort: u.value.srcPort, dstPort: u.value.dstPort, message: m.value });
  }
  return out;
}
