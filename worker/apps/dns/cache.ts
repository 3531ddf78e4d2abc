/**
 * A resolver's cache on the injected clock: record sets until their TTL runs
 * out (RFC 1035 7.4), "no such name" / "no such record" until the SOA's
 * minimum (RFC 2308 5), and delegations (who serves a zone) for iterative
 * resolution. Bounded: the oldest entries go first, so a hostile server cannot
 * grow it without limit.
 */

import { DnsType, formatRecord, lowerName, type DnsRecord } from '../../wire/dns';
import type { Ipv4Addr } from '../../wire/addr';

export interface NameServer {
  name: string;
  address?: Ipv4Addr;
}

type Entry =
  | { kind: 'rrset'; name: string; type: number; records: DnsRecord[]; expiresAt: number; storedAt: number }
  | { kind: 'nxdomain' | 'nodata'; name: string; type: number; soa: DnsRecord; expiresAt: number; storedAt: number }
  | { kind: 'delegation'; name: string; type: number; servers: NameServer[]; expiresAt: number; storedAt: number };

export type CacheHit =
  | { kind: 'rrset'; records: DnsRecord[] }
  | { kind: 'nxdomain' | 'nodata'; soa: DnsRecord };

/** What the UI's cache table shows. */
export interface CacheEntrySnapshot {
  kind: Entry['kind'];
  name: string;
  /** Record type, or 0 for "any type" (NXDOMAIN) and for delegations. */
  type: number;
  /** Seconds left. */
  ttl: number;
  /** Records (rrset), the SOA (negative), or the servers (delegation), one line each. */
  detail: string[];
}

export interface CacheOptions {
  maxEntries: number;
  /** Longest TTL honoured, seconds (BIND's max-cache-ttl is a week; a day is plenty here). */
  maxTtl: number;
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = { maxEntries: 1000, maxTtl: 86_400 };

const ANY_TYPE = 0;

export class DnsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: { readonly now: number },
    readonly options: CacheOptions = DEFAULT_CACHE_OPTIONS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** An rrset, or a negative entry that covers (name, type). Expired entries are removed on the way. */
  get(name: string, type: number): CacheHit | undefined {
    const nx = this.live(key(name, ANY_TYPE, 'n'));
    if (nx && nx.kind === 'nxdomain') return { kind: 'nxdomain', soa: this.aged(nx.soa, nx) };
    const e = this.live(key(name, type, 'r'));
    if (!e) return undefined;
    if (e.kind === 'rrset') return { kind: 'rrset', records: e.records.map((r) => this.aged(r, e)) };
    if (e.kind === 'nodata') return { kind: 'nodata', soa: this.aged(e.soa, e) };
    return undefined;
  }

  /** Stores an rrset with the smallest TTL of its records (RFC 2181 5.2: one TTL per set). TTL 0: not cached. */
  putRRset(records: DnsRecord[]): void {
    if (records.length === 0) return;
    const ttl = Math.min(...records.map((r) => r.ttl), this.options.maxTtl);
    if (ttl <= 0) return;
    const { name, type } = records[0];
    this.put(key(name, type, 'r'), { kind: 'rrset', name, type, records, expiresAt: this.clock.now + ttl * 1000, storedAt: this.clock.now });
  }

  /** RFC 2308 5: a negative answer lives as long as min(SOA TTL, SOA minimum); without an SOA it is not cached. */
  putNegative(kind: 'nxdomain' | 'nodata', name: string, type: number, soa: DnsRecord | undefined): void {
    if (!soa || soa.data.kind !== 'SOA') return;
    const ttl = Math.min(soa.ttl, soa.data.minimum, this.options.maxTtl);
    if (ttl <= 0) return;
    const k = kind === 'nxdomain' ? key(name, ANY_TYPE, 'n') : key(name, type, 'r');
    this.put(k, { kind, name, type: kind === 'nxdomain' ? ANY_TYPE : type, soa: { ...soa, ttl }, expiresAt: this.clock.now + ttl * 1000, storedAt: this.clock.now });
  }

  putDelegation(zone: string, servers: NameServer[], ttl: number): void {
    ttl = Math.min(ttl, this.options.maxTtl);
    if (ttl <= 0 || servers.length === 0) return;
    this.put(key(zone, DnsType.NS, 'd'), { kind: 'delegation', name: zone, type: 0, servers, expiresAt: this.clock.now + ttl * 1000, storedAt: this.clock.now });
  }

  delegation(zone: string): NameServer[] | undefined {
    const e = this.live(key(zone, DnsType.NS, 'd'));
    return e && e.kind === 'delegation' ? e.servers : undefined;
  }

  flush(): void {
    this.entries.clear();
  }

  snapshot(): CacheEntrySnapshot[] {
    const now = this.clock.now;
    const out: CacheEntrySnapshot[] = [];
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(k);
        continue;
      }
      const detail = e.kind === 'rrset' ? e.records.map((r) => formatRecord(this.aged(r, e))) : e.kind === 'delegation' ? e.servers.map((s) => s.name) : [formatRecord(this.aged(e.soa, e))];
      out.push({ kind: e.kind, name: e.name, type: e.type, ttl: Math.ceil((e.expiresAt - now) / 1000), detail });
    }
    return out;
  }

  private live(k: string): Entry | undefined {
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now) {
      this.entries.delete(k);
      return undefined;
    }
    return e;
  }

  /** The record with the TTL it has left, as a cache hands it out (decremented, RFC 1035 7.4). */
  private aged(r: DnsRecord, e: Entry): DnsRecord {
    const left = Math.max(0, Math.ceil((e.expiresAt - this.clock.now) / 1000));
    return { ...r, ttl: Math.min(r.ttl, left) };
  }

  private put(k: string, e: Entry): void {
    this.entries.delete(k);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(k, e);
  }
}

function key(name: string, type: number, space: 'r' | 'n' | 'd'): string {
  return `${space}|${lowerName(name)}|${type}`;
}
