import { describe, expect, it } from 'vitest';
import { DnsClass, DnsType, Rcode, dnsBytes, dnsQuery, formatRecord, parseDns, type DnsMessage } from '../../worker/wire/dns';
import type { DnsEvent } from '../../worker/trace/events';
import { dnsLab, ip } from '../helpers/dns';

/** Sends raw bytes from alice to `dst`:53 and returns what came back (parsed), in order. */
function ask(net: ReturnType<typeof dnsLab>, bytes: Uint8Array, dst = '10.0.0.2') {
  const sock = net.a.udp.bind();
  const got: { from: number; message: DnsMessage }[] = [];
  sock.onMessage = (m) => {
    const p = parseDns(m.data);
    if (p.ok) got.push({ from: m.from.addr, message: p.value });
  };
  sock.sendTo(ip(dst), 53, bytes);
  net.run(100);
  return got;
}

const query = (name: string, type: number = DnsType.A, rd = false) => dnsQuery(0x4242, name, type, rd);
const opt = (size: number, version = 0) => ({ name: '', type: DnsType.OPT, class: size, ttl: (version << 16) >>> 0, data: { kind: 'raw' as const, bytes: new Uint8Array(0) } });

describe('DNS server', () => {
  it('answers FORMERR, with the query\'s ID and no question, to a query it cannot read', () => {
    const net = dnsLab();
    // A header promising one question, then half a name.
    const bad = new Uint8Array([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x03, 0x62, 0x6f]);
    const got = ask(net, bad);
    expect(got).toHaveLength(1);
    expect(got[0].message).toMatchObject({ id: 0xbeef, qr: true, rd: true, rcode: Rcode.FORMERR, questions: [], answers: [] });
    expect(net.b.counters.drops('app', 'truncated')).toBe(1);
    expect(net.dns.bob.server.stats.formerr).toBe(1);
  });

  it('drops without an answer what has no header, and responses sent to its port', () => {
    const net = dnsLab();
    expect(ask(net, new Uint8Array([1, 2, 3]))).toEqual([]);
    expect(ask(net, dnsBytes({ ...query('bob.lab'), qr: true }))).toEqual([]);
    expect(net.dns.bob.server.stats.dropped).toBe(2);
    const drops = net.events.filter((e) => e.type === 'drop' && e.host === 'bob' && e.layer === 'app').map((e) => (e.type === 'drop' ? e.detail : ''));
    expect(drops[0]).toMatch(/^DNS message from 10\.0\.0\.1 dropped: a DNS message of 3 bytes is shorter than its 12-byte header/);
    expect(drops[1]).toBe('a DNS response from 10.0.0.1 arrived at the server port');
  });

  it('FORMERR for no question or two; NOTIMP for another opcode or a zone transfer; REFUSED for another class', () => {
    const net = dnsLab();
    const rcodeOf = (m: DnsMessage) => ask(net, dnsBytes(m))[0]?.message.rcode;
    expect(rcodeOf({ ...query('bob.lab'), questions: [] })).toBe(Rcode.FORMERR);
    expect(rcodeOf({ ...query('bob.lab'), questions: [query('bob.lab').questions[0], query('www.bob.lab').questions[0]] })).toBe(Rcode.FORMERR);
    expect(rcodeOf({ ...query('bob.lab'), opcode: 2 })).toBe(Rcode.NOTIMP);
    expect(rcodeOf(query('bob.lab', DnsType.AXFR))).toBe(Rcode.NOTIMP);
    expect(rcodeOf({ ...query('bob.lab'), questions: [{ name: 'bob.lab', type: DnsType.TXT, class: DnsClass.CH }] })).toBe(Rcode.REFUSED);
  });

  it('is authoritative for its zone: AA set, RD copied, RA because it recurses', () => {
    const net = dnsLab();
    const [r] = ask(net, dnsBytes(query('ns.bob.lab')));
    expect(r.message).toMatchObject({ id: 0x4242, aa: true, rd: false, ra: true, rcode: Rcode.NOERROR, questions: [{ name: 'ns.bob.lab', type: DnsType.A, class: DnsClass.IN }] });
    expect(r.message.answers.map(formatRecord)).toEqual(['ns.bob.lab. 300 IN A 10.0.0.2']);
  });

  it('tells NXDOMAIN from NODATA, each with the SOA (TTL capped by its minimum) in the authority section', () => {
    const net = dnsLab();
    const [nx] = ask(net, dnsBytes(query('nope.bob.lab')));
    expect(nx.message).toMatchObject({ rcode: Rcode.NXDOMAIN, aa: true, answers: [] });
    expect(nx.message.authorities.map(formatRecord)).toEqual(['bob.lab. 30 IN SOA ns.bob.lab. hostmaster.bob.lab. 2024010101 3600 600 604800 30']);
    const [nodata] = ask(net, dnsBytes(query('www.bob.lab', DnsType.TXT)));
    // www is a CNAME: the chain is followed to bob.lab, which has a TXT record.
    expect(nodata.message.answers.map((r) => r.type)).toEqual([DnsType.CNAME, DnsType.TXT]);
    const [none] = ask(net, dnsBytes(query('ns.bob.lab', DnsType.AAAA)));
    expect(none.message).toMatchObject({ rcode: Rcode.NOERROR, aa: true, answers: [] });
    expect(none.message.authorities.map((r) => r.type)).toEqual([DnsType.SOA]);
  });

  it('refuses names outside its zones when not asked to recurse', () => {
    const net = dnsLab();
    const [r] = ask(net, dnsBytes(query('alice.lab')));
    expect(r.message).toMatchObject({ rcode: Rcode.REFUSED, ra: true, answers: [] });
  });

  it('the root and TLD addresses answer with referrals and glue, from the address asked, without RA', () => {
    const net = dnsLab();
    const [root] = ask(net, dnsBytes(query('www.alice.lab', DnsType.A, true)), '10.0.0.12');
    expect(root.from).toBe(ip('10.0.0.12'));
    expect(root.message).toMatchObject({ aa: false, ra: false, rcode: Rcode.NOERROR, answers: [] });
    expect(root.message.authorities.map(formatRecord)).toEqual(['lab. 3600 IN NS a.nic.lab.', 'lab. 3600 IN NS b.nic.lab.']);
    const [tld] = ask(net, dnsBytes(query('www.alice.lab')), '10.0.0.22');
    expect(tld.from).toBe(ip('10.0.0.22'));
    expect(tld.message.authorities.map(formatRecord)).toEqual(['alice.lab. 3600 IN NS ns.alice.lab.']);
    expect(tld.message.additionals.map(formatRecord)).toEqual(['ns.alice.lab. 3600 IN A 10.0.0.1']);
    // The TLD is authoritative for its own data.
    const [own] = ask(net, dnsBytes(query('a.nic.lab')), '10.0.0.22');
    expect(own.message).toMatchObject({ aa: true, answers: [{ name: 'a.nic.lab', data: { kind: 'A', address: ip('10.0.0.21') } }] });
  });

  it('sets TC on an answer over 512 bytes without EDNS, and sends it whole to an EDNS client', () => {
    const net = dnsLab();
    const [small] = ask(net, dnsBytes(query('big.bob.lab', DnsType.TXT)));
    expect(small.message).toMatchObject({ tc: true, rcode: Rcode.NOERROR, answers: [], questions: [{ name: 'big.bob.lab' }] });
    const [edns] = ask(net, dnsBytes({ ...query('big.bob.lab', DnsType.TXT), additionals: [opt(1232)] }));
    expect(edns.message.tc).toBe(false);
    expect(edns.message.answers).toHaveLength(1);
    expect(edns.message.additionals).toMatchObject([{ type: DnsType.OPT, class: 1232 }]);
    // An EDNS size under 512 counts as 512 (RFC 6891 6.2.5).
    const [tiny] = ask(net, dnsBytes({ ...query('big.bob.lab', DnsType.TXT), additionals: [opt(100)] }));
    expect(tiny.message.tc).toBe(true);
    expect(net.dns.bob.server.stats.truncated).toBe(2);
    const trace = net.events.filter((e): e is DnsEvent => e.type === 'dns' && e.role === 'server' && e.host === 'bob').map((e) => e.detail);
    expect(trace[0]).toBe('bob.lab: NOERROR, truncated (TC): over the size limit');
  });

  it('answers BADVERS to an EDNS version it does not speak, and FORMERR to two OPT records', () => {
    const net = dnsLab();
    const [v1] = ask(net, dnsBytes({ ...query('bob.lab'), additionals: [opt(1232, 1)] }));
    expect(v1.message.rcode).toBe(0);
    expect(v1.message.additionals[0]).toMatchObject({ type: DnsType.OPT, ttl: 1 << 24 });
    const [two] = ask(net, dnsBytes({ ...query('bob.lab'), additionals: [opt(1232), opt(1232)] }));
    expect(two.message.rcode).toBe(Rcode.FORMERR);
  });

  it('ignores a query sent to the broadcast address', () => {
    const net = dnsLab();
    expect(ask(net, dnsBytes(query('bob.lab')), '10.0.0.255')).toEqual([]);
    expect(net.dns.bob.server.stats.answered).toBe(0);
  });
});
