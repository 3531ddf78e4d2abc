/**
 * The playground's DNS: a small copy of the real hierarchy, served by the lab's
 * hosts from separate addresses so a learner sees each step on the wire.
 *
 *   .          the root, on every host's "root" secondary address   (a.root.lab., b.root.lab.)
 *   lab.       the TLD, on every host's "tld" secondary address     (a.nic.lab., b.nic.lab.)
 *   <host>.lab each host's own zone, on its primary address         (ns.<host>.lab.)
 *
 * The root delegates lab. to both TLD servers (with glue); the TLD delegates
 * each <host>.lab to ns.<host>.lab (with glue). Every host serves every root
 * and TLD copy the same way, like the real root's many operators.
 *
 * The addresses come in as plain data (worker/host-plan.ts decides them).
 */

import { DnsClass, DnsType, txtData, type DnsRdata, type DnsRecord } from '../../wire/dns';
import type { Ipv4Addr } from '../../wire/addr';
import type { AppHost } from '../app-host';
import { Resolver } from './resolver';
import { DnsServer } from './server';
import { Zone } from './zone';

export interface LabDnsHost {
  /** "alice": the zone is alice.lab. */
  name: string;
  /** Primary address: ns.<name>.lab, authoritative for <name>.lab and recursive. */
  address: Ipv4Addr;
  /** Secondary address serving the root zone. */
  root: Ipv4Addr;
  /** Secondary address serving lab. */
  tld: Ipv4Addr;
  /** The letter of its root and TLD server names: "a" gives a.root.lab and a.nic.lab. */
  letter: string;
}

export const LAB_TLD = 'lab';

/** TTLs short enough to watch expire in a class. */
export const LAB_TTL = { zone: 300, host: 60, delegation: 3600, negative: 30 } as const;

function rr(name: string, ttl: number, data: DnsRdata): DnsRecord {
  const type = data.kind === 'raw' ? 0 : DnsType[data.kind];
  return { name, type, class: DnsClass.IN, ttl, data };
}

function soa(origin: string, mname: string): DnsRecord {
  // RFC 1912 2.2-style values; the minimum bounds negative caching (RFC 2308 4).
  return rr(origin, LAB_TTL.zone, { kind: 'SOA', mname, rname: `hostmaster.${origin || LAB_TLD}`, serial: 2024010101, refresh: 3600, retry: 600, expire: 604800, minimum: LAB_TTL.negative });
}

const rootName = (h: LabDnsHost) => `${h.letter}.root.${LAB_TLD}`;
const tldName = (h: LabDnsHost) => `${h.letter}.nic.${LAB_TLD}`;

/** The root zone: itself, the delegation of lab. with glue. */
export function rootZone(hosts: readonly LabDnsHost[]): Zone {
  const recs: DnsRecord[] = [soa('', rootName(hosts[0]))];
  for (const h of hosts) recs.push(rr('', LAB_TTL.delegation, { kind: 'NS', target: rootName(h) }));
  for (const h of hosts) recs.push(rr(LAB_TLD, LAB_TTL.delegation, { kind: 'NS', target: tldName(h) }));
  // Glue: the servers' names are below the cut, so the root must hand out their addresses (RFC 1034 4.2.1).
  for (const h of hosts) recs.push(rr(tldName(h), LAB_TTL.delegation, { kind: 'A', address: h.tld }), rr(rootName(h), LAB_TTL.delegation, { kind: 'A', address: h.root }));
  return new Zone('', recs);
}

/** lab.: the TLD, delegating each host's zone. */
export function tldZone(hosts: readonly LabDnsHost[]): Zone {
  const recs: DnsRecord[] = [soa(LAB_TLD, tldName(hosts[0]))];
  for (const h of hosts) recs.push(rr(LAB_TLD, LAB_TTL.delegation, { kind: 'NS', target: tldName(h) }));
  for (const h of hosts) recs.push(rr(tldName(h), LAB_TTL.delegation, { kind: 'A', address: h.tld }), rr(rootName(h), LAB_TTL.delegation, { kind: 'A', address: h.root }));
  for (const h of hosts) {
    const zone = `${h.name}.${LAB_TLD}`;
    recs.push(rr(zone, LAB_TTL.delegation, { kind: 'NS', target: `ns.${zone}` }), rr(`ns.${zone}`, LAB_TTL.delegation, { kind: 'A', address: h.address }));
  }
  recs.push(rr(LAB_TLD, LAB_TTL.zone, txtData('The lab. TLD: it knows who serves each host\'s zone, nothing more.')));
  return new Zone(LAB_TLD, recs);
}

/**
 * <host>.lab: the host's own playground zone.
 *   <host>.lab       SOA, NS ns.<host>.lab, A, TXT (a friendly message)
 *   www.<host>.lab   CNAME <host>.lab (so every lookup of www shows a CNAME chain)
 *   ns.<host>.lab    A
 *   big.<host>.lab   TXT of about 700 bytes: over 512, so the answer comes back truncated (TC) without EDNS
 */
export function hostZone(h: LabDnsHost): Zone {
  const zone = `${h.name}.${LAB_TLD}`;
  const big = Array.from({ length: 10 }, (_, i) => `Line ${i + 1} of a record too big for a 512-byte DNS answer over UDP without EDNS.`);
  return new Zone(zone, [
    soa(zone, `ns.${zone}`),
    rr(zone, LAB_TTL.zone, { kind: 'NS', target: `ns.${zone}` }),
    rr(zone, LAB_TTL.host, { kind: 'A', address: h.address }),
    rr(zone, LAB_TTL.host, txtData(`Hello from ${h.name}! This answer came over our own UDP, from ${zone}'s own name server.`)),
    rr(`www.${zone}`, LAB_TTL.host, { kind: 'CNAME', target: zone }),
    rr(`ns.${zone}`, LAB_TTL.zone, { kind: 'A', address: h.address }),
    rr(`big.${zone}`, LAB_TTL.host, txtData(...big)),
  ]);
}

/** Root hints for a resolver: every root server, the given host's peers first. */
export function rootHints(hosts: readonly LabDnsHost[], self: string): { name: string; address: Ipv4Addr }[] {
  const ordered = [...hosts.filter((h) => h.name !== self), ...hosts.filter((h) => h.name === self)];
  return ordered.map((h) => ({ name: rootName(h), address: h.root }));
}

export interface LabDns {
  server: DnsServer;
  /** The host's own resolver (its "OS" cache): stub mode asks the peer's server; iterative mode starts at the peer's root. */
  resolver: Resolver;
  /** The recursive server's resolver on the primary address, with its own cache. */
  recursor: Resolver;
}

/**
 * Starts a host's DNS: the server on all three of its addresses (the root and
 * lab. on the secondary ones, <host>.lab on the primary, which also recurses),
 * and the host's resolver, pointed at the peer so every lookup crosses the wire.
 * `isLocal` tells the host's own addresses (the resolvers ask those last).
 */
export function startLabDns(host: AppHost, hosts: readonly LabDnsHost[], isLocal: (addr: Ipv4Addr) => boolean): LabDns {
  const self = hosts.find((h) => h.name === host.name);
  if (!self) throw new Error(`${host.name} is not in the lab's DNS plan; add it to worker/host-plan.ts.`);
  const peer = hosts.find((h) => h.name !== host.name) ?? self;
  const roots = rootHints(hosts, host.name);
  const recursor = new Resolver(host, { roots, isLocal });
  const resolver = new Resolver(host, { server: peer.address, roots, isLocal, searchDomain: LAB_TLD });
  const server = new DnsServer(host, {
    views: [
      { address: self.address, label: `${self.name}.${LAB_TLD}`, zones: [hostZone(self)], recursion: recursor },
      { address: self.root, label: 'root', zones: [rootZone(hosts)] },
      { address: self.tld, label: `${LAB_TLD}. TLD`, zones: [tldZone(hosts)] },
    ],
  });
  return { server, resolver, recursor };
}
