import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../../worker/wire/addr';
import { DnsType, dnsBytes, formatRecord, parseDns, type DnsMessage, type DnsRecord } from '../../worker/wire/dns';
import type { Resolution } from '../../worker/apps/dns/resolver';
import { dnsFrames, dnsLab, ip } from '../helpers/dns';

function lookupFrom(net: ReturnType<typeof dnsLab>, host: 'alice' | 'bob', name: string, options: Parameters<typeof net.dns.alice.resolver.lookup>[1] = {}): () => Resolution | undefined {
  let result: Resolution | undefined;
  net.dns[host].resolver.lookup(name, options, (r) => (result = r));
  return () => result;
}

function ok(r: Resolution | undefined) {
  if (!r?.ok) throw new Error(`expected an answer, got ${r ? r.error.message : 'nothing yet'}`);
  return r;
}

describe('DNS iterative resolution: root -> lab. -> the zone, served by the peer from three addresses', () => {
  it('alice resolves www.bob.lab through bob\'s root, bob\'s TLD and ns.bob.lab', () => {
    const net = dnsLab();
    const got = lookupFrom(net, 'alice', 'www.bob.lab', { mode: 'iterative' });
    net.run(200);
    const r = ok(got());
    expect(r.addresses).toEqual([ip('10.0.0.2')]);
    expect(r.cnames).toEqual([{ from: 'www.bob.lab', to: 'bob.lab' }]);
    expect(r.steps.map((s) => [formatIpv4(s.server), s.serverName, s.zone, s.outcome])).toEqual([
      ['10.0.0.12', 'b.root.lab', '', 'referral'],
      ['10.0.0.22', 'b.nic.lab', 'lab', 'referral'],
      ['10.0.0.2', 'ns.bob.lab', 'bob.lab', 'answer'],
    ]);
    expect(r.steps[0].summary).toBe('referral to lab. (a.nic.lab. 10.0.0.21, b.nic.lab. 10.0.0.22)');
    expect(r.steps[1].summary).toBe('referral to bob.lab. (ns.bob.lab. 10.0.0.2)');
    expect(r.steps[2].summary).toBe('authoritative answer: www.bob.lab. 60 IN CNAME bob.lab., bob.lab. 60 IN A 10.0.0.2');
    for (const s of r.steps) expect(s.rttMs).toBeGreaterThan(0);
    // On the wire: three queries without RD from alice to three different addresses, each answered from the address asked.
    const queries = dnsFrames(net.events, 'alice');
    expect(queries.map((q) => [formatIpv4(q.dst), q.message.rd, q.message.questions[0].name])).toEqual([
      ['10.0.0.12', false, 'www.bob.lab'],
      ['10.0.0.22', false, 'www.bob.lab'],
      ['10.0.0.2', false, 'www.bob.lab'],
    ]);
    const answers = dnsFrames(net.events, 'bob');
    expect(answers.map((a) => [formatIpv4(a.src), a.message.aa, a.message.ra])).toEqual([
      ['10.0.0.12', false, false],
      ['10.0.0.22', false, false],
      ['10.0.0.2', true, true],
    ]);
    // The root's referral carries glue for both TLD servers (RFC 1034 4.2.1).
    expect(answers[0].message.additionals.map(formatRecord).sort()).toEqual(['a.nic.lab. 3600 IN A 10.0.0.21', 'b.nic.lab. 3600 IN A 10.0.0.22']);
  });

  it('a second lookup in the same zone starts at the cached delegation, skipping the root and the TLD', () => {
    const net = dnsLab();
    lookupFrom(net, 'alice', 'www.bob.lab', { mode: 'iterative' });
    net.run(200);
    const got = lookupFrom(net, 'alice', 'bob.lab', { mode: 'iterative', type: DnsType.TXT });
    net.run(200);
    const r = ok(got());
    expect(r.steps.map((s) => formatIpv4(s.server))).toEqual(['10.0.0.2']);
    // Without the cache the demo walks the whole way again.
    const fresh = lookupFrom(net, 'alice', 'www.bob.lab', { mode: 'iterative', useCache: false });
    net.run(200);
    expect(ok(fresh()).steps.map((s) => formatIpv4(s.server))).toEqual(['10.0.0.12', '10.0.0.22', '10.0.0.2']);
  });

  it('NXDOMAIN comes from the zone\'s own server, with its SOA', () => {
    const net = dnsLab();
    const got = lookupFrom(net, 'alice', 'nope.bob.lab', { mode: 'iterative' });
    net.run(200);
    const r = got();
    expect(r?.ok).toBe(false);
    if (r && !r.ok) {
      expect(r.error.code).toBe('NXDOMAIN');
      expect(r.steps.map((s) => s.outcome)).toEqual(['referral', 'referral', 'nxdomain']);
      expect(r.soa?.name).toBe('bob.lab');
    }
    // A name under no zone at all: the root itself says NXDOMAIN.
    const com = lookupFrom(net, 'alice', 'example.com', { mode: 'iterative' });
    net.run(200);
    const c = com();
    expect(c && !c.ok && [c.error.code, c.steps.length, formatIpv4(c.steps[0].server)]).toEqual(['NXDOMAIN', 1, '10.0.0.12']);
  });

  it('falls back to the next root server when the preferred one does not answer', () => {
    const net = dnsLab();
    // Bob's root address is gone: ARP gets no answer, alice's stack reports the host unreachable, and her own root answers instead.
    net.b.iface().removeAlias(ip('10.0.0.12'));
    const got = lookupFrom(net, 'alice', 'bob.lab', { mode: 'iterative' });
    net.run(15_000);
    const r = ok(got());
    expect(r.steps.map((s) => [formatIpv4(s.server), s.outcome])).toEqual([
      ['10.0.0.12', 'unreachable'],
      ['10.0.0.11', 'referral'],
      ['10.0.0.22', 'referral'],
      ['10.0.0.2', 'answer'],
    ]);
  });

  it('bob\'s server recurses for alice\'s stub: one exchange for alice, three queries from bob across the wire', () => {
    const net = dnsLab();
    const got = lookupFrom(net, 'alice', 'www.alice.lab');
    net.run(300);
    const r = ok(got());
    expect(r.addresses).toEqual([ip('10.0.0.1')]);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ server: ip('10.0.0.2'), aa: false, outcome: 'answer' });
    const fromAlice = dnsFrames(net.events, 'alice').filter((m) => !m.message.qr);
    expect(fromAlice.map((m) => formatIpv4(m.dst))).toEqual(['10.0.0.2']);
    const fromBob = dnsFrames(net.events, 'bob').filter((m) => !m.message.qr);
    expect(fromBob.map((m) => [formatIpv4(m.src), formatIpv4(m.dst), m.message.rd])).toEqual([
      ['10.0.0.2', '10.0.0.11', false],
      ['10.0.0.2', '10.0.0.21', false],
      ['10.0.0.2', '10.0.0.1', false],
    ]);
    const answer = dnsFrames(net.events, 'bob').find((m) => m.message.qr && m.dst === ip('10.0.0.1') && m.dstPort !== 53)!;
    expect(answer.message).toMatchObject({ aa: false, ra: true, rd: true });
    expect(answer.message.answers.map(formatRecord)).toEqual(['www.alice.lab. 60 IN CNAME alice.lab.', 'alice.lab. 60 IN A 10.0.0.1']);
    // Bob's recursive cache now holds it: a second stub lookup (alice's cache flushed) costs bob no queries.
    net.dns.alice.resolver.flush();
    const again = lookupFrom(net, 'alice', 'www.alice.lab');
    net.run(100);
    expect(ok(again()).records.map((x) => x.ttl)).toEqual([60, 60]);
    expect(dnsFrames(net.events, 'bob').filter((m) => !m.message.qr)).toHaveLength(3);
  });

  it('gets through a link that loses 30% of frames both ways, retrying as it goes', () => {
    const results: Resolution[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const net = dnsLab({ seed });
      net.a.condition({ loss: { model: 'random', percent: 30, correlation: 0 } });
      net.b.condition({ loss: { model: 'random', percent: 30, correlation: 0 } });
      const got = lookupFrom(net, 'alice', 'www.bob.lab', { mode: 'iterative' });
      net.run(60_000);
      const r = got();
      expect(r, `seed ${seed}`).toBeDefined();
      results.push(r!);
    }
    const answered = results.filter((r) => r.ok);
    expect(answered.length).toBeGreaterThanOrEqual(4);
    for (const r of answered) expect(r.ok && r.addresses).toEqual([ip('10.0.0.2')]);
    // Somewhere a query was lost and sent again.
    expect(results.some((r) => r.steps.some((s) => s.attempts > 1))).toBe(true);
    // Every failure is a timeout, said in a sentence.
    for (const r of results) if (!r.ok) expect(r.error.code).toBe('TIMEOUT');
  });

  it('believes only what a server may say for its zone (bailiwick): a forged record for another zone is not taken', () => {
    const net = dnsLab();
    // Bob's port 53 is replaced by a forger who plays root, TLD and ns.bob.lab, and slips in an address for alice.lab.
    net.dns.bob.server.close();
    const forger = net.b.udp.bind(53);
    const A = (name: string, a: string): DnsRecord => ({ name, type: DnsType.A, class: 1, ttl: 3600, data: { kind: 'A', address: ip(a) } });
    const NS = (name: string, target: string): DnsRecord => ({ name, type: DnsType.NS, class: 1, ttl: 3600, data: { kind: 'NS', target } });
    forger.onMessage = (m) => {
      const q = parseDns(m.data);
      if (!q.ok) return;
      const r: DnsMessage = { ...q.value, qr: true };
      if (m.to === ip('10.0.0.12')) Object.assign(r, { authorities: [NS('lab', 'b.nic.lab')], additionals: [A('b.nic.lab', '10.0.0.22')] });
      else if (m.to === ip('10.0.0.22')) {
        const zone = q.value.questions[0].name.endsWith('alice.lab') ? 'alice' : 'bob';
        Object.assign(r, { authorities: [NS(`${zone}.lab`, `ns.${zone}.lab`)], additionals: [A(`ns.${zone}.lab`, zone === 'alice' ? '10.0.0.1' : '10.0.0.2')] });
      }
      else Object.assign(r, { aa: true, answers: [{ name: 'www.bob.lab', type: DnsType.CNAME, class: 1, ttl: 60, data: { kind: 'CNAME', target: 'alice.lab' } }, A('alice.lab', '6.6.6.6')] });
      forger.sendTo(m.from.addr, m.from.port, dnsBytes(r), m.to);
    };
    const got = lookupFrom(net, 'alice', 'www.bob.lab', { mode: 'iterative' });
    net.run(500);
    const r = ok(got());
    // The CNAME is bob.lab's to give; alice.lab's address is not, so it was looked up from alice.lab's own server.
    expect(r.addresses).toEqual([ip('10.0.0.1')]);
    expect(r.steps.map((s) => formatIpv4(s.server))).toEqual(['10.0.0.12', '10.0.0.22', '10.0.0.2', '10.0.0.22', '10.0.0.1']);
  });
});
