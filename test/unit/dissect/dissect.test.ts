import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dissect, pathAt, type Field } from '../../../src/lib/dissect';
import { TcpExpertFlag } from '../../../worker/trace/events';
import { u16 } from '../../../worker/wire/bytes';
import { golden, ipv4WithOptions } from '../../helpers/golden-frames';

const g = golden();

function all(tree: Field[]): Field[] {
  return tree.flatMap((f) => [f, ...all(f.children ?? [])]);
}
function find(tree: Field[], abbrev: string): Field {
  const f = all(tree).find((x) => x.abbrev === abbrev);
  if (!f) throw new Error(`no ${abbrev} in ${all(tree).map((x) => x.abbrev).join(' ')}`);
  return f;
}
const layers = (tree: Field[]) => tree.filter((f) => f.kind === 'layer').map((f) => f.abbrev);
const malformedOf = (tree: Field[]) => all(tree).filter((f) => f.kind === 'malformed').map((f) => f.label);

describe('dissector', () => {
  it('a SYN: layers, every option with its bytes, flag bits at their bit offsets, correct checksums', () => {
    const d = dissect(g.syn);
    expect(layers(d.tree)).toEqual(['eth', 'ip', 'tcp']);
    expect(malformedOf(d.tree)).toEqual([]);
    const sport = find(d.tree, 'tcp.srcport');
    expect([sport.offset, sport.length, sport.value]).toEqual([34, 2, String(u16(g.syn, 34))]);
    expect(find(d.tree, 'tcp.dstport').value).toBe('80');
    const syn = find(d.tree, 'tcp.flags.syn');
    expect([syn.offset, syn.bitOffset, syn.bitWidth, syn.value]).toEqual([47, 6, 1, '1']);
    expect(syn.meaning).toMatch(/^\.\.\.\. \.\.\.\. \.\.1\. Set/);
    expect(find(d.tree, 'tcp.flags.ack').value).toBe('0');
    expect(find(d.tree, 'tcp.flags').meaning).toBe('SYN');
    // Linux's order: MSS, SACK_PERM, TS, NOP, WS
    const opts = find(d.tree, 'tcp.options').children!.map((f) => f.abbrev);
    expect(opts).toEqual(['tcp.options.mss', 'tcp.options.sack_perm', 'tcp.options.timestamp', 'tcp.options.nop', 'tcp.options.wscale']);
    expect(find(d.tree, 'tcp.options.mss_val').value).toBe('1460');
    expect(find(d.tree, 'tcp.checksum').meaning).toBe('Correct');
    expect(find(d.tree, 'ip.checksum').meaning).toBe('Correct');
    expect(find(d.tree, 'ip.flags.df').value).toBe('1');
    expect(find(d.tree, 'tcp.window_size_value').meaning).toMatch(/Never scaled/);
    // Nothing is put where the bytes are not: every field lies inside the frame.
    for (const f of all(d.tree)) expect(f.offset + f.length).toBeLessThanOrEqual(g.syn.length);
  });

  it('the encapsulation spans add up: 14 + 20 + 32 + 18 of HTTP', () => {
    const d = dissect(g.data);
    expect(d.spans.map((s) => [s.abbrev, s.headerLen])).toEqual([
      ['eth', 14],
      ['ip', 20],
      ['tcp', 32],
      ['http', 18],
    ]);
    expect(d.spans[0]!.totalLen).toBe(g.data.length);
  });

  it('HTTP on port 80: the request line and its parts', () => {
    const d = dissect(g.data);
    expect(layers(d.tree)).toEqual(['eth', 'ip', 'tcp', 'http']);
    expect(find(d.tree, 'http.request.method').value).toBe('GET');
    expect(find(d.tree, 'http.request.uri').value).toBe('/');
    const v = find(d.tree, 'http.request.version');
    expect(new TextDecoder().decode(g.data.subarray(v.offset, v.offset + v.length))).toBe('HTTP/1.1');
    expect(find(d.tree, 'http.end_of_head').offset).toBe(g.data.length - 2);
  });

  it('DNS on port 53: header flags as bits, the question', () => {
    const d = dissect(g.dns);
    expect(malformedOf(d.tree)).toEqual([]);
    expect(layers(d.tree)).toEqual(['eth', 'ip', 'udp', 'dns']);
    expect(find(d.tree, 'dns.id').value).toBe('0x1234');
    const rd = find(d.tree, 'dns.flags.recdesired');
    expect([rd.offset, rd.bitOffset, rd.bitWidth, rd.value]).toEqual([42 + 2, 7, 1, '1']);
    const opcode = find(d.tree, 'dns.flags.opcode');
    expect([opcode.bitOffset, opcode.bitWidth]).toEqual([1, 4]);
    expect(all(d.tree).some((f) => f.value.includes('www.bob.lab'))).toBe(true);
  });

  it('a window with the scale from the SYN, and the expert findings with their cause', () => {
    const d = dissect(g.data, { windowShift: 7, expert: { flags: TcpExpertFlag.RETRANSMISSION | TcpExpertFlag.WINDOW_FULL, cause: 'rto' } });
    const raw = Number(find(d.tree, 'tcp.window_size_value').value);
    expect(find(d.tree, 'tcp.window_size_value').meaning).toBe(`×128 = ${raw * 128} bytes, scale from SYN`);
    expect(find(d.tree, 'tcp.window_size').value).toBe(String(raw * 128));
    const expert = find(d.tree, 'tcp.analysis.flags');
    expect(expert.children!.map((c) => c.abbrev)).toEqual(['tcp.analysis.retransmission', 'tcp.analysis.window_full']);
    expect(expert.children![0]!.meaning).toMatch(/retransmission timer expired/);
  });

  it('ARP request and reply', () => {
    const d = dissect(g.arpRequest);
    expect(layers(d.tree)).toEqual(['eth', 'arp']);
    expect(find(d.tree, 'arp.opcode').value).toBe('1');
    expect(find(d.tree, 'arp.dst.proto_ipv4').value).toBe('10.0.0.2');
    expect(find(d.tree, 'eth.dst').value).toBe('ff:ff:ff:ff:ff:ff (Broadcast)');
    expect(find(d.tree, 'eth.dst.ig').value).toBe('1');
    expect(find(dissect(g.arpReply).tree, 'arp.opcode').meaning).toMatch(/^reply/);
    // Our frames carry no FCS, and the detail says so.
    expect(find(d.tree, 'eth.fcs').meaning).toMatch(/Not present/);
  });

  it('ICMP echo, and a port unreachable error with the quoted IPv4 and UDP headers', () => {
    const e = dissect(g.echoRequest);
    expect(find(e.tree, 'icmp.type').meaning).toBe('Echo (ping) request');
    expect(find(e.tree, 'icmp.seq').value).toBe('1');
    expect(find(e.tree, 'icmp.checksum').meaning).toBe('Correct');
    const d = dissect(g.portUnreachable);
    expect(malformedOf(d.tree)).toEqual([]);
    expect(find(d.tree, 'icmp.code').meaning).toBe('Destination Port Unreachable');
    const quoted = find(d.tree, 'icmp.quoted');
    const inner = all(quoted.children!);
    expect(inner.find((f) => f.abbrev === 'udp.dstport')!.value).toBe('5353');
    expect(inner.find((f) => f.abbrev === 'ip.dst')!.value).toBe('10.0.0.2');
    // The quoted headers are not encapsulation layers of this frame.
    expect(d.spans.map((s) => s.abbrev)).toEqual(['eth', 'ip', 'icmp']);
  });

  it('UDP with a correct checksum', () => {
    const d = dissect(g.udp);
    expect(find(d.tree, 'udp.checksum').meaning).toBe('Correct');
    expect(find(d.tree, 'udp.length').value).toBe('13');
  });

  it('IPv4 options and fragments', () => {
    const d = dissect(ipv4WithOptions());
    expect(malformedOf(d.tree)).toEqual([]);
    expect(find(d.tree, 'ip.hdr_len').value).toBe('32 bytes (8)');
    expect(find(d.tree, 'ip.options').children!.map((c) => c.label)).toEqual(['No-Operation (NOP)', 'Record Route', 'End of Option List (EOL)']);
    const frag = dissect(ipv4WithOptions({ fragOffset8: 185, moreFrags: true }));
    expect(find(frag.tree, 'ip.frag_offset').value).toBe('1480');
    expect(find(frag.tree, 'ip.flags.mf').value).toBe('1');
    expect(layers(frag.tree)).toEqual(['eth', 'ip', 'data']);
    expect(find(frag.tree, 'data').meaning).toMatch(/Fragment data of a UDP datagram/);
  });

  it('a corrupted byte: the checksum is wrong and says what it should be', () => {
    const bad = g.data.slice();
    bad[bad.length - 1] ^= 0xff;
    const d = dissect(bad);
    expect(find(d.tree, 'tcp.checksum').meaning).toMatch(/^Incorrect, should be 0x[0-9a-f]{4}$/);
    const fixed = bad.slice();
    const want = parseInt(find(d.tree, 'tcp.checksum').meaning!.slice(-4), 16);
    fixed[50] = want >> 8;
    fixed[51] = want & 0xff;
    expect(find(dissect(fixed).tree, 'tcp.checksum').meaning).toBe('Correct');
  });

  it('malformed headers become malformed nodes', () => {
    expect(malformedOf(dissect(new Uint8Array(5)).tree)[0]).toMatch(/shorter than the 14-byte header/);
    const shortIp = g.syn.slice(0, 30);
    expect(malformedOf(dissect(shortIp).tree)[0]).toMatch(/shorter than the 20-byte header/);
    const badOpt = g.syn.slice();
    badOpt[54 + 1] = 40; // MSS option claims 40 bytes
    expect(malformedOf(dissect(badOpt).tree).join()).toMatch(/option 2 claims 40 bytes/);
  });

  it('a hovered byte finds its innermost field', () => {
    const d = dissect(g.syn);
    expect(pathAt(d.tree, 34).map((f) => f.abbrev)).toEqual(['tcp', 'tcp.srcport']);
    expect(pathAt(d.tree, 26).map((f) => f.abbrev)).toEqual(['ip', 'ip.src']);
    // Bytes shared by bit fields belong to their parent field.
    expect(pathAt(d.tree, 0).map((f) => f.abbrev)).toEqual(['eth', 'eth.dst']);
    expect(pathAt(d.tree, 47).map((f) => f.abbrev)).toEqual(['tcp', 'tcp.flags']);
    expect(pathAt(d.tree, 56).map((f) => f.abbrev)).toEqual(['tcp', 'tcp.options', 'tcp.options.mss', 'tcp.options.mss_val']);
  });

  it('never throws and never fails inside on random or mutated bytes', () => {
    const frames = [g.syn, g.data, g.arpRequest, g.echoRequest, g.portUnreachable, g.udp, g.dns, ipv4WithOptions()];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.constantFrom(...frames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat()).map(([f, muts, cut]) => {
        const m = f.slice(0, Math.max(0, f.length - (cut % 20)));
        for (const [i, v] of muts) if (m.length) m[i % m.length] = v;
        return m;
      })), (frame) => {
        const d = dissect(frame, { windowShift: 7, expert: { flags: 255 } });
        expect(all(d.tree).filter((f) => f.label.includes('dissector error'))).toEqual([]);
        for (const f of all(d.tree)) expect(f.offset + f.length).toBeLessThanOrEqual(frame.length + 0);
      }),
      { numRuns: 2000 },
    );
  });
});
