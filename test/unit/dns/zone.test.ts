import { describe, expect, it } from 'vitest';
import { Zone } from '../../../worker/apps/dns/zone';
import { hostZone, rootZone, tldZone } from '../../../worker/apps/dns/lab-zones';
import { DnsClass, DnsType, formatRecord, type DnsRdata, type DnsRecord } from '../../../worker/wire/dns';
import { LAB_DNS_HOSTS } from '../../helpers/dns';

const rr = (name: string, data: DnsRdata, ttl = 60): DnsRecord => ({ name, type: data.kind === 'raw' ? 99 : DnsType[data.kind], class: DnsClass.IN, ttl, data });
const soa = (origin: string) => rr(origin, { kind: 'SOA', mname: `ns.${origin}`, rname: `h.${origin}`, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 10 }, 300);

describe('Zone lookup (RFC 1034 4.3.2)', () => {
  const zone = new Zone('example.lab', [
    soa('example.lab'),
    rr('a.b.c.example.lab', { kind: 'A', address: 1 }),
    rr('loop1.example.lab', { kind: 'CNAME', target: 'loop2.example.lab' }),
    rr('loop2.example.lab', { kind: 'CNAME', target: 'loop1.example.lab' }),
    rr('out.example.lab', { kind: 'CNAME', target: 'www.elsewhere.lab' }),
    rr('sub.example.lab', { kind: 'NS', target: 'ns.sub.example.lab' }),
    rr('ns.sub.example.lab', { kind: 'A', address: 7 }),
  ]);

  it('an empty non-terminal is NODATA, not NXDOMAIN (RFC 8020)', () => {
    expect(zone.lookup('b.c.example.lab', DnsType.A).kind).toBe('nodata');
    expect(zone.lookup('x.b.c.example.lab', DnsType.A).kind).toBe('nxdomain');
  });

  it('the SOA of a negative answer has its TTL capped by the minimum (RFC 2308 3)', () => {
    const a = zone.lookup('nope.example.lab', DnsType.A);
    expect(a.kind === 'nxdomain' && a.soa.ttl).toBe(10);
  });

  it('stops a CNAME loop and answers with the chain so far', () => {
    const a = zone.lookup('loop1.example.lab', DnsType.A);
    expect(a.kind === 'answer' && a.chain.map((r) => r.name)).toEqual(['loop1.example.lab', 'loop2.example.lab']);
  });

  it('a CNAME that leaves the zone is answered alone', () => {
    const a = zone.lookup('out.example.lab', DnsType.A);
    expect(a).toMatchObject({ kind: 'answer', records: [] });
    expect(a.chain.map(formatRecord)).toEqual(['out.example.lab. 60 IN CNAME www.elsewhere.lab.']);
  });

  it('below a delegation there is only a referral, with glue, even for the glue name itself', () => {
    const a = zone.lookup('ns.sub.example.lab', DnsType.A);
    expect(a.kind).toBe('referral');
    if (a.kind === 'referral') {
      expect(a.zone).toBe('sub.example.lab');
      expect(a.glue.map(formatRecord)).toEqual(['ns.sub.example.lab. 60 IN A 0.0.0.7']);
    }
  });

  it('refuses to serve a broken zone, with a sentence', () => {
    expect(() => new Zone('x.lab', [])).toThrow(/needs exactly one SOA record/);
    expect(() => new Zone('x.lab', [soa('x.lab'), rr('y.lab', { kind: 'A', address: 1 })])).toThrow(/y\.lab is not inside the zone x\.lab/);
    expect(() => new Zone('x.lab', [soa('x.lab'), rr('w.x.lab', { kind: 'CNAME', target: 'x.lab' }), rr('w.x.lab', { kind: 'A', address: 1 })])).toThrow(/CNAME must stand alone/);
  });

  it('the lab zones build', () => {
    expect(rootZone(LAB_DNS_HOSTS).lookup('bob.lab', DnsType.A).kind).toBe('referral');
    expect(tldZone(LAB_DNS_HOSTS).lookup('www.bob.lab', DnsType.A).kind).toBe('referral');
    expect(hostZone(LAB_DNS_HOSTS[1]).lookup('www.bob.lab', DnsType.A).kind).toBe('answer');
  });
});
