import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../../worker/wire/addr';
import { DnsType, Rcode, dnsBytes, dnsQuery, formatRecord } from '../../worker/wire/dns';
import type { Resolution } from '../../worker/apps/dns/resolver';
import type { DnsEvent } from '../../worker/trace/events';
import { FilterPort } from '../helpers/lan';
import { dnsFrames, dnsLab, ip } from '../helpers/dns';
import { parseEthernet } from '../../worker/wire/ethernet';
import { parseIpv4 as parseIpv4Packet } from '../../worker/wire/ipv4';
import { parseUdp } from '../../worker/wire/udp';

function lookup(net: ReturnType<typeof dnsLab>, name: string, options: Parameters<typeof net.dns.alice.resolver.lookup>[1] = {}): () => Resolution | undefined {
  let result: Resolution | undefined;
  net.dns.alice.resolver.lookup(name, options, (r) => (result = r));
  return () => result;
}

function ok(r: Resolution | undefined) {
  if (!r?.ok) throw new Error(`expected an answer, got ${r ? r.error.message : 'nothing yet'}`);
  return r;
}

function failed(r: Resolution | undefined) {
  if (!r || r.ok) throw new Error(`expected an error, got ${r ? 'an answer' : 'nothing yet'}`);
  return r;
}

/** Is this frame a DNS query from alice (UDP to port 53)? */
function isQueryFromAlice(frame: Uint8Array): boolean {
  const eth = parseEthernet(frame);
  if (!eth.ok) return false;
  const p = parseIpv4Packet(eth.value.payload);
  if (!p.ok || p.value.protocol !== 17) return false;
  const u = parseUdp(p.value.payload);
  return u.ok && u.value.dstPort === 53;
}

describe('DNS stub resolver: alice asks bob\'s server', () => {
  it('looks up www.bob.lab with one query and one answer on the wire: a CNAME to bob.lab and its address', () => {
    const net = dnsLab();
    const got = lookup(net, 'www.bob.lab');
    net.run(100);
    const r = ok(got());
    expect(r.addresses).toEqual([ip('10.0.0.2')]);
    expect(r.cnames).toEqual([{ from: 'www.bob.lab', to: 'bob.lab' }]);
    expect(r.canonicalName).toBe('bob.lab');
    expect(r.fromCache).toBe(false);
    expect(r.ttl).toBe(60);
    expect(r.records.map(formatRecord)).toEqual(['www.bob.lab. 60 IN CNAME bob.lab.', 'bob.lab. 60 IN A 10.0.0.2']);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ server: ip('10.0.0.2'), question: 'www.bob.lab. A', outcome: 'answer', aa: true, rcode: Rcode.NOERROR, attempts: 1 });
    // On the wire: alice's query (RD, random ephemeral port) and bob's authoritative answer from 10.0.0.2:53.
    const sent = dnsFrames(net.events, 'alice');
    const answered = dnsFrames(net.events, 'bob');
    expect(sent).toHaveLength(1);
    expect(answered).toHaveLength(1);
    expect(sent[0]).toMatchObject({ dst: ip('10.0.0.2'), dstPort: 53, message: { qr: false, rd: true, id: r.steps[0].id } });
    expect(sent[0].srcPort).toBeGreaterThanOrEqual(49152);
    expect(answered[0]).toMatchObject({ src: ip('10.0.0.2'), srcPort: 53, dstPort: sent[0].srcPort, message: { qr: true, aa: true, rd: true, ra: true, id: sent[0].message.id } });
  });

  it('adds the search domain to a bare name, and takes an IPv4 address as it is', () => {
    const net = dnsLab();
    const bare = lookup(net, 'bob');
    const literal = lookup(net, '10.0.0.2');
    net.run(100);
    expect(ok(bare()).name).toBe('bob.lab');
    expect(ok(bare()).addresses).toEqual([ip('10.0.0.2')]);
    expect(ok(literal())).toMatchObject({ literal: true, addresses: [ip('10.0.0.2')], steps: [] });
  });

  it('answers again from its cache, then asks anew once the TTL has run out', () => {
    const net = dnsLab();
    const first = lookup(net, 'www.bob.lab');
    net.run(100);
    expect(ok(first()).ttl).toBe(60);
    net.run(20_000);
    const second = lookup(net, 'www.bob.lab');
    // A cache hit calls back at once, with no query and the TTL it has left.
    expect(ok(second())).toMatchObject({ fromCache: true, steps: [], addresses: [ip('10.0.0.2')], ttl: 40 });
    expect(dnsFrames(net.events, 'alice')).toHaveLength(1);
    expect(net.dns.alice.resolver.cacheSnapshot().map((e) => `${e.kind} ${e.name} ${e.ttl}`)).toEqual(['rrset www.bob.lab 40', 'rrset bob.lab 40']);
    net.run(41_000);
    const third = lookup(net, 'www.bob.lab');
    net.run(100);
    expect(ok(third())).toMatchObject({ fromCache: false, ttl: 60 });
    expect(ok(third()).steps).toHaveLength(1);
    expect(dnsFrames(net.events, 'alice')).toHaveLength(2);
  });

  it('remembers NXDOMAIN for the SOA minimum (RFC 2308), then asks again', () => {
    const net = dnsLab();
    const first = lookup(net, 'nope.bob.lab');
    net.run(100);
    const r = failed(first());
    expect(r.error.code).toBe('NXDOMAIN');
    expect(r.error.message).toMatch(/^nope\.bob\.lab\. does not exist \(NXDOMAIN from 10\.0\.0\.2\)/);
    expect(r.soa && formatRecord(r.soa)).toBe('bob.lab. 30 IN SOA ns.bob.lab. hostmaster.bob.lab. 2024010101 3600 600 604800 30');
    // Any type of a name that does not exist: also from the cache.
    const again = lookup(net, 'nope.bob.lab', { type: DnsType.TXT });
    expect(failed(again())).toMatchObject({ fromCache: true, error: { code: 'NXDOMAIN' } });
    expect(dnsFrames(net.events, 'alice')).toHaveLength(1);
    net.run(30_000);
    const later = lookup(net, 'nope.bob.lab');
    net.run(100);
    expect(failed(later())).toMatchObject({ fromCache: false, error: { code: 'NXDOMAIN' } });
    expect(dnsFrames(net.events, 'alice')).toHaveLength(2);
  });

  it('remembers NODATA for one type only', () => {
    const net = dnsLab();
    const aaaa = lookup(net, 'bob.lab', { type: DnsType.AAAA });
    net.run(100);
    expect(failed(aaaa())).toMatchObject({ fromCache: false, error: { code: 'NODATA', message: 'bob.lab. exists but has no AAAA record (answer from 10.0.0.2).' } });
    expect(failed(lookup(net, 'bob.lab', { type: DnsType.AAAA })())).toMatchObject({ fromCache: true, error: { code: 'NODATA' } });
    const txt = lookup(net, 'bob.lab', { type: DnsType.TXT });
    net.run(100);
    expect(ok(txt()).fromCache).toBe(false);
    expect(ok(txt()).answers.map(formatRecord)[0]).toMatch(/^bob\.lab\. 60 IN TXT "Hello from bob!/);
  });

  it('retries after a timeout with a new ID, and succeeds when a copy gets through', () => {
    const net = dnsLab();
    let queries = 0;
    // The first two queries from alice are lost on the way.
    FilterPort.insert(net.a.nics[0], (f) => isQueryFromAlice(f) && ++queries <= 2);
    const got = lookup(net, 'www.bob.lab');
    net.run(3_000);
    expect(got()).toBeUndefined();
    net.run(2_000);
    const r = ok(got());
    expect(r.steps[0]).toMatchObject({ attempts: 3, outcome: 'answer' });
    expect(r.steps[0].rttMs).toBeLessThan(100);
    const timeouts = net.events.filter((e): e is DnsEvent => e.type === 'dns' && e.what === 'timeout' && e.host === 'alice');
    expect(timeouts.map((e) => e.t)).toEqual([2000, 4000]);
    const ids = net.events.filter((e): e is DnsEvent => e.type === 'dns' && e.what === 'query' && e.host === 'alice').map((e) => e.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('gives up with a sentence after every attempt is lost', () => {
    const net = dnsLab();
    FilterPort.insert(net.a.nics[0], (f) => isQueryFromAlice(f));
    const got = lookup(net, 'www.bob.lab');
    net.run(5_999);
    expect(got()).toBeUndefined();
    net.run(2);
    const r = failed(got());
    expect(r.error.code).toBe('TIMEOUT');
    expect(r.error.message).toBe('No answer from 10.0.0.2 after 3 tries of 2 s each. Is the peer connected, and is the link dropping everything?');
    expect(r.elapsedMs).toBe(6000);
  });

  it('ignores a spoofed response with the wrong ID or question, and takes the real one', () => {
    const net = dnsLab();
    // Bob's port 53 is taken over by a forger that answers first with a wrong ID, then the wrong question, then right.
    net.dns.bob.server.close();
    const forger = net.b.udp.bind(53);
    forger.onMessage = (m) => {
      const id = (m.data[0] << 8) | m.data[1];
      const answer = (qid: number, name: string) => {
        const r = dnsQuery(qid, name, DnsType.A, true);
        return dnsBytes({ ...r, qr: true, answers: [{ name, type: DnsType.A, class: 1, ttl: 60, data: { kind: 'A', address: ip('6.6.6.6') } }] });
      };
      forger.sendTo(m.from.addr, m.from.port, answer(id ^ 0x5555, 'www.bob.lab'));
      forger.sendTo(m.from.addr, m.from.port, answer(id, 'evil.bob.lab'));
      const real = dnsQuery(id, 'www.bob.lab', DnsType.A, true);
      forger.sendTo(m.from.addr, m.from.port, dnsBytes({ ...real, qr: true, answers: [{ name: 'www.bob.lab', type: DnsType.A, class: 1, ttl: 60, data: { kind: 'A', address: ip('10.0.0.2') } }] }));
    };
    const got = lookup(net, 'www.bob.lab');
    net.run(100);
    expect(ok(got()).addresses).toEqual([ip('10.0.0.2')]);
    expect(net.a.counters.drops('app', 'unexpected-response')).toBe(2);
    const ignored = net.events.filter((e): e is DnsEvent => e.type === 'dns' && e.what === 'ignored').map((e) => e.detail);
    expect(ignored[0]).toMatch(/^its ID 0x[0-9a-f]{4} is not the ID we sent/);
    expect(ignored[1]).toBe('it answers evil.bob.lab. A, not the question asked (www.bob.lab. A)');
  });

  it('ignores an answer from the right port of the wrong address', () => {
    const net = dnsLab();
    // Bob answers from his TLD address instead of the one asked.
    net.dns.bob.server.close();
    const wrong = net.b.udp.bind(53);
    wrong.onMessage = (m) => {
      const id = (m.data[0] << 8) | m.data[1];
      wrong.sendTo(m.from.addr, m.from.port, dnsBytes({ ...dnsQuery(id, 'www.bob.lab', DnsType.A, true), qr: true }), ip('10.0.0.22'));
    };
    const got = lookup(net, 'www.bob.lab');
    net.run(7_000);
    expect(failed(got()).error.code).toBe('TIMEOUT');
    const ignored = net.events.filter((e): e is DnsEvent => e.type === 'dns' && e.what === 'ignored').map((e) => e.detail);
    expect(ignored).toHaveLength(3);
    expect(ignored[0]).toBe('it came from 10.0.0.22, not from the server asked (10.0.0.2)');
  });

  it('says so at once when nothing listens on port 53', () => {
    const net = dnsLab();
    net.dns.bob.server.close();
    const got = lookup(net, 'www.bob.lab');
    net.run(100);
    const r = failed(got());
    expect(r.error.code).toBe('UNREACHABLE');
    expect(r.error.message).toMatch(/^10\.0\.0\.2 does not run a DNS server: Destination Port Unreachable/);
  });

  it('refuses a name no one could look up, with a sentence', () => {
    const net = dnsLab();
    expect(failed(lookup(net, 'a..b')())).toMatchObject({ error: { code: 'BAD_NAME', message: expect.stringMatching(/empty label/) } });
  });

  it('each query leaves from a different random port with a random ID', () => {
    const net = dnsLab();
    for (const n of ['bob.lab', 'ns.bob.lab', 'www.bob.lab', 'nope.bob.lab']) lookup(net, n);
    net.run(100);
    const sent = dnsFrames(net.events, 'alice');
    expect(new Set(sent.map((s) => s.srcPort)).size).toBe(4);
    expect(new Set(sent.map((s) => s.message.id)).size).toBe(4);
    expect(sent.map((s) => formatIpv4(s.dst))).toEqual(['10.0.0.2', '10.0.0.2', '10.0.0.2', '10.0.0.2']);
  });
});
