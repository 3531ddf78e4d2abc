/**
 * The packet detail in Simplified Chinese: every sentence that explains
 * something (meanings, notes, expert findings, malformed reasons) comes from
 * the dictionary, while labels, values and protocol vocabulary stay as they
 * are in English (as Wireshark does).
 */

import { describe, expect, it } from 'vitest';
import { dissect, english, type Field, type Tr } from '../../../src/lib/dissect';
import { en } from '../../../src/lib/i18n/en';
import { format } from '../../../src/lib/i18n/format';
import { zhCN } from '../../../src/lib/i18n/zh-CN';
import { TcpExpertFlag } from '../../../worker/trace/events';
import { put16 } from '../../../worker/wire/bytes';
import { checksum } from '../../../worker/wire/checksum';
import { DNS_NOTES, dnsBytes, DnsClass, DnsType, txtData, type DnsMessage } from '../../../worker/wire/dns';
import { golden, ipv4WithOptions } from '../../helpers/golden-frames';

const g = golden();
const zh: Tr = (key, ...params) => format(zhCN[key], params[0]);

function all(tree: Field[]): Field[] {
  return tree.flatMap((f) => [f, ...all(f.children ?? [])]);
}
const find = (tree: Field[], abbrev: string): Field => {
  const f = all(tree).find((x) => x.abbrev === abbrev);
  if (!f) throw new Error(`no ${abbrev}`);
  return f;
};
const HAN = /\p{Script=Han}/u;

/** A DNS response with a record of every kind the codec explains, in the golden query's Ethernet, IPv4 and UDP headers. */
function dnsResponse(): Uint8Array {
  const msg: DnsMessage = {
    id: 0x1234,
    qr: true,
    opcode: 0,
    aa: true,
    tc: false,
    rd: true,
    ra: true,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [{ name: 'www.bob.lab', type: DnsType.A, class: DnsClass.IN }],
    answers: [
      { name: 'www.bob.lab', type: DnsType.CNAME, class: DnsClass.IN, ttl: 300, data: { kind: 'CNAME', target: 'bob.lab' } },
      { name: 'bob.lab', type: DnsType.A, class: DnsClass.IN, ttl: 0x8000_0001, data: { kind: 'A', address: 0x0a000002 } },
    ],
    authorities: [{ name: 'bob.lab', type: DnsType.SOA, class: DnsClass.IN, ttl: 60, data: { kind: 'SOA', mname: 'ns.bob.lab', rname: 'admin.bob.lab', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
    additionals: [
      { name: 'bob.lab', type: DnsType.MX, class: DnsClass.IN, ttl: 60, data: { kind: 'MX', preference: 10, exchange: 'mail.bob.lab' } },
      { name: 'bob.lab', type: DnsType.TXT, class: DnsClass.IN, ttl: 60, data: txtData('hello') },
      { name: 'bob.lab', type: DnsType.AAAA, class: DnsClass.IN, ttl: 60, data: { kind: 'AAAA', address: new Uint8Array(16).fill(1) } },
      { name: 'bob.lab', type: 99, class: DnsClass.IN, ttl: 60, data: { kind: 'raw', bytes: Uint8Array.of(1, 2) } },
      { name: '', type: DnsType.OPT, class: 1232, ttl: 0x8000, data: { kind: 'raw', bytes: new Uint8Array(0) } },
    ],
  };
  const body = dnsBytes(msg);
  const f = new Uint8Array(42 + body.length);
  f.set(g.dns.subarray(0, 42));
  f.set(body, 42);
  put16(f, 14 + 2, 28 + body.length);
  put16(f, 14 + 10, 0);
  put16(f, 14 + 10, checksum(f, 14, 20));
  put16(f, 34 + 4, 8 + body.length);
  put16(f, 34 + 6, 0); // no UDP checksum
  return f;
}

/** Meanings that are only names or numbers, the same in every language (as in Wireshark's Chinese UI). */
const VOCABULARY: RegExp[] = [
  /^[A-Z0-9 ,()=._/-]+$/, // SYN, "PSH, ACK", NOERROR, TYPE 5, CLASS 1, AF11
  /^(IPv4|Ethernet|Default \(CS0\)|Don't fragment|More fragments)$/,
  /^copied=\d, class=\d, number=\d+$/,
];
const isVocabulary = (text: string) => VOCABULARY.some((re) => re.test(text));

/** Note and expert nodes whose label is a sentence (the others are Wireshark's labels: "TCP Segment Len: 0"). */
const SENTENCE_LABELS = new Set(['icmp.quoted', 'http.end_of_head', 'http.continued', 'ip.fragment', 'tcp.analysis.flags', '_ws.malformed']);

describe('the packet detail in Simplified Chinese', () => {
  it('a TCP SYN: Chinese meanings, English labels, values and vocabulary', () => {
    const d = dissect(g.syn, {}, zh);
    const seq = find(d.tree, 'tcp.seq');
    expect(seq.label).toBe('Sequence Number');
    expect(seq.meaning).toBe(zhCN['dissect.tcp.seq.isn']);
    expect(seq.meaning).toContain('ISN');
    expect(find(d.tree, 'tcp.ack').meaning).toBe('无效：ACK 标志为 0');
    const syn = find(d.tree, 'tcp.flags.syn');
    expect(syn.label).toBe('Syn');
    expect(syn.meaning).toBe(`.... .... ..1. ${format(zhCN['dissect.flag.setBecause'], { meaning: zhCN['dissect.tcp.flag.syn'] })}`);
    expect(find(d.tree, 'tcp.flags.fin').meaning).toBe('.... .... ...0 未置 1');
    expect(find(d.tree, 'tcp.flags').meaning).toBe('SYN');
    expect(find(d.tree, 'tcp.checksum').meaning).toBe('正确');
    expect(find(d.tree, 'tcp.urgent_pointer').meaning).toMatch(HAN);
    expect(find(d.tree, 'tcp.options.mss').meaning).toMatch(HAN);
    expect(find(d.tree, 'tcp.options.mss_val').value).toBe('1460');
  });

  it('an ARP request: Chinese meanings of the opcode, the unknown target MAC and the missing FCS', () => {
    const d = dissect(g.arpRequest, {}, zh);
    const op = find(d.tree, 'arp.opcode');
    expect([op.label, op.value, op.meaning]).toEqual(['Opcode', '1', zhCN['dissect.arp.request']]);
    expect(op.meaning).toMatch(HAN);
    expect(find(d.tree, 'arp.dst.hw_mac').meaning).toBe(zhCN['dissect.arp.targetMac']);
    expect(find(d.tree, 'eth.dst.ig').meaning).toBe('组地址（多播或广播）');
    expect(find(d.tree, 'eth.fcs').meaning).toMatch(/^抓包里没有/);
    expect(find(d.tree, 'eth.dst').value).toBe('ff:ff:ff:ff:ff:ff (Broadcast)');
  });

  it('the Expert node explains in Chinese; the Wireshark tags stay English', () => {
    const d = dissect(g.data, { windowShift: 7, expert: { flags: TcpExpertFlag.RETRANSMISSION | TcpExpertFlag.DUPLICATE_ACK, cause: 'rto', dupAck: 2 } }, zh);
    const expert = find(d.tree, 'tcp.analysis.flags');
    expect(expert.label).toBe(zhCN['dissect.expert.title']);
    expect(expert.children!.map((c) => c.label)).toEqual(['TCP Retransmission (rto)', 'TCP Dup ACK']);
    expect(expert.children!.map((c) => c.meaning)).toEqual([zhCN['dissect.expert.retransmission.rto'], format(zhCN['dissect.expert.dupAck.numbered'], { n: 2 })]);
    expect(find(d.tree, 'tcp.window_size_value').meaning).toMatch(/^×128 = \d+ 字节/);
  });

  it('malformed headers say what is wrong in Chinese', () => {
    const [label] = all(dissect(g.syn.slice(0, 30), {}, zh).tree).filter((f) => f.kind === 'malformed').map((f) => f.label);
    expect(label).toBe('IPv4 格式错误：只有 16 字节，不够 20 字节的首部');
  });

  it('no explanation is left in English: every frame kind, field by field', () => {
    const frag = ipv4WithOptions({ fragOffset8: 185, moreFrags: true });
    const badTcp = g.data.slice();
    badTcp[badTcp.length - 1]! ^= 0xff;
    const cases: [string, Uint8Array, Parameters<typeof dissect>[1]][] = [
      ['syn', g.syn, {}],
      ['syn-ack', g.synAck, { windowShift: 7 }],
      ['data (HTTP)', g.data, { windowShift: 7, expert: { flags: 0xff, cause: 'dupack', dupAck: 3 } }],
      ['data, unknown scale', g.data, {}],
      ['bad checksum', badTcp, {}],
      ['fin', g.fin, { expert: { flags: TcpExpertFlag.RETRANSMISSION, cause: 'partial-ack' } }],
      ['arp request', g.arpRequest, {}],
      ['arp reply', g.arpReply, {}],
      ['echo request', g.echoRequest, {}],
      ['echo reply', g.echoReply, {}],
      ['udp', g.udp, {}],
      ['port unreachable', g.portUnreachable, {}],
      ['dns query', g.dns, {}],
      ['dns response', dnsResponse(), {}],
      ['ip options, first fragment', ipv4WithOptions({ moreFrags: true }), {}],
      ['later fragment', frag, {}],
      ['truncated TCP', g.syn.slice(0, 50), {}],
    ];
    const left: string[] = [];
    for (const [name, frame, ctx] of cases) {
      const a = all(dissect(frame, ctx, english).tree);
      const b = all(dissect(frame, ctx, zh).tree);
      expect(b.map((f) => [f.abbrev, f.offset, f.length, f.value])).toEqual(a.map((f) => [f.abbrev, f.offset, f.length, f.value]));
      a.forEach((f, i) => {
        const z = b[i]!;
        if (!SENTENCE_LABELS.has(f.abbrev)) expect(z.label).toBe(f.label);
        else if (z.label === f.label) left.push(`${name}: ${f.abbrev} label ${JSON.stringify(f.label)}`);
        // data.data's "meaning" is a preview of the bytes themselves.
        if (f.meaning !== undefined && f.abbrev !== 'data.data' && z.meaning === f.meaning && !isVocabulary(f.meaning.replace(/^[.01 ]+ (?=\S)/, ''))) {
          left.push(`${name}: ${f.abbrev} ${JSON.stringify(f.meaning)}`);
        }
      });
    }
    expect(left).toEqual([]);
  });

  it('the English dictionary says exactly what the DNS codec says', () => {
    for (const [id, text] of Object.entries(DNS_NOTES)) expect(en[`dissect.dns.${id}` as keyof typeof en]).toBe(text);
    // And the dissector's English meanings are the codec's: a response with every kind of record.
    const d = dissect(dnsResponse());
    expect(all(d.tree).filter((f) => f.kind === 'malformed')).toEqual([]);
    const meanings = all(d.tree).filter((f) => f.abbrev.startsWith('dns.')).map((f) => f.meaning);
    expect(meanings).toContain('seconds this record may be cached (sent as 2147483649, read as 0: RFC 2181 8)');
    expect(meanings).toContain('EDNS version 0, DNSSEC OK');
    expect(meanings).toContain('TYPE99 data, kept as bytes');
  });
});
