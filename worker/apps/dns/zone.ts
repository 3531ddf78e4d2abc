/**
 * An authoritative zone held in memory, and the lookup a server does in it
 * (RFC 1034 4.3.2): delegations become referrals with glue, CNAMEs are followed
 * inside the zone, a name with no records of the type is NODATA, a name that
 * does not exist is NXDOMAIN, both with the zone's SOA for negative caching
 * (RFC 2308 3).
 */

import { DnsType, isSubdomain, lowerName, nameLabels, normalizeName, sameName, type DnsRecord } from '../../wire/dns';

export type ZoneAnswer =
  /** Records of the type asked (after any CNAMEs in `chain`), or a CNAME chain that leaves the zone. */
  | { kind: 'answer'; chain: DnsRecord[]; records: DnsRecord[] }
  | { kind: 'nodata'; chain: DnsRecord[]; soa: DnsRecord }
  | { kind: 'nxdomain'; chain: DnsRecord[]; soa: DnsRecord }
  /** The name is below a delegation: the child's NS records and the addresses of its servers we hold. */
  | { kind: 'referral'; chain: DnsRecord[]; zone: string; ns: DnsRecord[]; glue: DnsRecord[] };

/** CNAMEs followed inside one zone before giving up (a loop, or a silly chain). */
const MAX_CHAIN = 8;

export class Zone {
  readonly origin: string;
  readonly soa: DnsRecord;
  private readonly byName = new Map<string, DnsRecord[]>();
  /** Names that own no records but have descendants that do ("empty non-terminals"): NODATA, not NXDOMAIN (RFC 8020). */
  private readonly interior = new Set<string>();

  /** Throws a sentence for a zone that cannot be served (our own configuration, not input). */
  constructor(origin: string, records: readonly DnsRecord[]) {
    const o = normalizeName(origin);
    if ('error' in o) throw new Error(`The zone origin is not a name: ${o.error}`);
    this.origin = o.name;
    for (const r of records) {
      if (!isSubdomain(r.name, this.origin)) throw new Error(`${r.name} is not inside the zone ${this.origin || '.'}; a zone holds only its own names.`);
      const key = lowerName(r.name);
      const list = this.byName.get(key);
      if (list) list.push(r);
      else this.byName.set(key, [r]);
    }
    const soas = this.byName.get(lowerName(this.origin))?.filter((r) => r.type === DnsType.SOA) ?? [];
    if (soas.length !== 1) throw new Error(`The zone ${this.origin || '.'} needs exactly one SOA record at its top (RFC 1035 5.2); it has ${soas.length}.`);
    this.soa = soas[0];
    for (const [key, list] of this.byName) {
      if (list.some((r) => r.type === DnsType.CNAME) && list.length > 1) throw new Error(`${key} has a CNAME and other records; a CNAME must stand alone (RFC 1034 3.6.2).`);
      for (let n = key; n !== lowerName(this.origin) && n !== ''; ) {
        n = nameLabels(n).slice(1).join('.');
        if (!this.byName.has(n)) this.interior.add(n);
      }
    }
  }

  contains(name: string): boolean {
    return isSubdomain(name, this.origin);
  }

  /** The SOA as it goes in a negative answer: TTL no longer than its minimum field (RFC 2308 3). */
  negativeSoa(): DnsRecord {
    const d = this.soa.data;
    const minimum = d.kind === 'SOA' ? d.minimum : this.soa.ttl;
    return { ...this.soa, ttl: Math.min(this.soa.ttl, minimum) };
  }

  lookup(qname: string, qtype: number): ZoneAnswer {
    const chain: DnsRecord[] = [];
    let name = qname;
    for (let hop = 0; hop <= MAX_CHAIN; hop++) {
      if (!this.contains(name)) return { kind: 'answer', chain, records: [] };
      const cut = this.delegationAbove(name);
      if (cut) return { kind: 'referral', chain, zone: cut.zone, ns: cut.ns, glue: this.glueFor(cut.ns) };
      const key = lowerName(name);
      const recs = this.byName.get(key);
      if (!recs) return this.interior.has(key) ? { kind: 'nodata', chain, soa: this.negativeSoa() } : { kind: 'nxdomain', chain, soa: this.negativeSoa() };
      const cname = recs.find((r) => r.type === DnsType.CNAME);
      if (cname && qtype !== DnsType.CNAME && qtype !== DnsType.ANY && cname.data.kind === 'CNAME') {
        // RFC 1034 4.3.2 step 3a: put the CNAME in the answer and look again at its target.
        if (chain.some((r) => sameName(r.name, cname.name))) break;
        chain.push(cname);
        name = cname.data.target;
        continue;
      }
      const records = qtype === DnsType.ANY ? recs : recs.filter((r) => r.type === qtype);
      if (records.length === 0) return { kind: 'nodata', chain, soa: this.negativeSoa() };
      return { kind: 'answer', chain, records };
    }
    // A CNAME loop inside the zone: answer with the chain so far, as BIND does.
    return { kind: 'answer', chain, records: [] };
  }

  /** The closest NS set strictly below the apex on the way down to `name` (RFC 1034 4.3.2 step 3b). */
  private delegationAbove(name: string): { zone: string; ns: DnsRecord[] } | undefined {
    const labels = nameLabels(name);
    const depth = nameLabels(this.origin).length;
    for (let i = labels.length - depth - 1; i >= 0; i--) {
      const candidate = labels.slice(i).join('.');
      const ns = this.byName.get(lowerName(candidate))?.filter((r) => r.type === DnsType.NS);
      if (ns && ns.length > 0) return { zone: candidate, ns };
    }
    return undefined;
  }

  /** A and AAAA records we hold for the name servers (glue below the cut, or our own data). */
  private glueFor(ns: DnsRecord[]): DnsRecord[] {
    const glue: DnsRecord[] = [];
    for (const r of ns) {
      if (r.data.kind !== 'NS') continue;
      for (const g of this.byName.get(lowerName(r.data.target)) ?? []) if (g.type === DnsType.A || g.type === DnsType.AAAA) glue.push(g);
    }
    return glue;
  }
}
