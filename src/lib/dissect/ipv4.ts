/** IPv4 (RFC 791): header, flags, fragments, options; then the protocol inside. */

import { formatIpv4 } from '../../../worker/wire/addr';
import { u16, u32 } from '../../../worker/wire/bytes';
import { verifies } from '../../../worker/wire/checksum';
import { IPV4 } from '../../../worker/wire/ipv4';
import { icmp } from './icmp';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { tcp } from './tcp';
import { udp } from './udp';
import { bitPattern, bits, checksumVerdict, expectedChecksum, field, hex2, hex4, malformed, node, setOrNot, type Field, type Tr } from './types';

export const IP_PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 89: 'OSPF', 132: 'SCTP' };

const OPTION_NAMES: Record<number, string> = { 0: 'End of Option List (EOL)', 1: 'No-Operation (NOP)', 7: 'Record Route', 68: 'Time Stamp', 130: 'Security', 131: 'Loose Source Route', 136: 'Stream ID', 137: 'Strict Source Route', 148: 'Router Alert' };

const DSCP_NAMES: Record<number, string> = { 0: 'Default (CS0)', 8: 'CS1', 10: 'AF11', 16: 'CS2', 18: 'AF21', 24: 'CS3', 26: 'AF31', 32: 'CS4', 34: 'AF41', 40: 'CS5', 46: 'Expedited Forwarding (EF)', 48: 'CS6', 56: 'CS7' };
const ECN_KEYS = ['dissect.ip.ecn.notEct', 'dissect.ip.ecn.ect1', 'dissect.ip.ecn.ect0', 'dissect.ip.ecn.ce'] as const;

function options(tr: Tr, b: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let p = start;
  while (p < end) {
    const kind = b[p]!;
    const name = OPTION_NAMES[kind & 0xff] ?? `Unknown option ${kind}`;
    if (kind === 0) {
      out.push(field('ip.opt.type', name, p, end - p, kind, end - p > 1 ? tr('dissect.ip.opt.eolPadding', { bytes: end - p - 1 }) : tr('dissect.ip.opt.eol')));
      break;
    }
    if (kind === 1) {
      out.push(field('ip.opt.type', name, p, 1, kind, tr('dissect.ip.opt.nop')));
      p++;
      continue;
    }
    if (p + 1 >= end) {
      out.push(malformed(tr, 'IPv4 option', tr('dissect.malformed.noOptionLength', { kind }), p, end - p));
      break;
    }
    const len = b[p + 1]!;
    if (len < 2 || p + len > end) {
      out.push(malformed(tr, 'IPv4 option', tr('dissect.malformed.optionOverrun', { kind, len, left: end - p }), p, end - p));
      break;
    }
    out.push(
      field('ip.opt.type', name, p, len, kind, `copied=${kind >> 7}, class=${(kind >> 5) & 3}, number=${kind & 31}`, [
        field('ip.opt.len', 'Length', p + 1, 1, len),
        ...(len > 2 ? [field('ip.opt.data', 'Data', p + 2, len - 2, `${len - 2} bytes`)] : []),
      ]),
    );
    p += len;
  }
  return out;
}

export function ipv4(s: DissectState, start: number, end: number): { nodes: Field[]; end: number } {
  const { buf: b, tr } = s;
  const avail = end - start;
  if (avail < IPV4.MIN_HEADER_LEN) return { nodes: [malformed(tr, 'IPv4', tr('dissect.malformed.short', { len: avail, min: IPV4.MIN_HEADER_LEN }), start, avail)], end };
  const vihl = b[start]!;
  const version = vihl >> 4;
  const hl = (vihl & 0xf) * 4;
  const vKids: Field[] = [
    bits('ip.version', 'Version', start, 1, 0, 4, version, version === 4 ? undefined : tr('dissect.ip.version.not4')),
    bits('ip.hdr_len', 'Header Length', start, 1, 4, 4, `${hl} bytes (${vihl & 0xf})`, tr('dissect.ip.hdrLen')),
  ];
  if (version !== 4 || hl < 20 || hl > avail) {
    const why = version !== 4 ? tr('dissect.malformed.version', { version }) : hl < 20 ? tr('dissect.malformed.hdrLenShort', { len: hl }) : tr('dissect.malformed.hdrLenLong', { len: hl, avail });
    return { nodes: [node('layer', 'ip', 'Internet Protocol Version 4', start, Math.min(avail, Math.max(hl, 20)), '', undefined, [...vKids, malformed(tr, 'IPv4', why, start, avail)])], end };
  }
  const tos = b[start + 1]!;
  const totalLen = u16(b, start + 2);
  const ident = u16(b, start + 4);
  const ff = u16(b, start + 6);
  const df = (ff & 0x4000) !== 0;
  const mf = (ff & 0x2000) !== 0;
  const fragOff = (ff & 0x1fff) * 8;
  const ttl = b[start + 8]!;
  const proto = b[start + 9]!;
  const csum = u16(b, start + 10);
  const src = u32(b, start + 12);
  const dst = u32(b, start + 16);
  const protoName = IP_PROTOCOL_NAMES[proto] ?? tr('dissect.unknown');
  const problems: Field[] = [];
  let dataEnd = start + totalLen;
  if (totalLen < hl) {
    problems.push(malformed(tr, 'IPv4', tr('dissect.ip.len.short', { total: totalLen, hl }), start + 2, 2));
    dataEnd = end;
  } else if (dataEnd > end) {
    if (!s.quoted) problems.push(malformed(tr, 'IPv4', tr('dissect.ip.len.long', { total: totalLen, avail }), start + 2, 2));
    dataEnd = end;
  }
  const good = verifies(b, start, hl);
  const kids: Field[] = [
    ...vKids,
    field('ip.dsfield', 'Differentiated Services Field', start + 1, 1, hex2(tos), undefined, [
      { ...bits('ip.dsfield.dscp', 'Differentiated Services Codepoint', start + 1, 1, 0, 6, tos >> 2, DSCP_NAMES[tos >> 2] ?? tr('dissect.ip.dscp.unassigned')) },
      bits('ip.dsfield.ecn', 'Explicit Congestion Notification', start + 1, 1, 6, 2, tos & 3, tr(ECN_KEYS[tos & 3]!)),
    ]),
    field('ip.len', 'Total Length', start + 2, 2, totalLen, tr('dissect.headerAndData')),
    field('ip.id', 'Identification', start + 4, 2, `${hex4(ident)} (${ident})`, tr('dissect.ip.id')),
    field('ip.flags', 'Flags', start + 6, 1, hex2(ff >> 8), df ? "Don't fragment" : mf ? 'More fragments' : undefined, [
      { ...bits('ip.flags.rb', 'Reserved bit', start + 6, 1, 0, 1, ff >> 15, `${bitPattern(ff >> 8, 8, 0, 1)} ${setOrNot(tr, (ff & 0x8000) !== 0)}`) },
      bits('ip.flags.df', "Don't fragment", start + 6, 1, 1, 1, df ? 1 : 0, `${bitPattern(ff >> 8, 8, 1, 1)} ${df ? tr('dissect.ip.df.set') : tr('dissect.ip.df.clear')}`),
      bits('ip.flags.mf', 'More fragments', start + 6, 1, 2, 1, mf ? 1 : 0, `${bitPattern(ff >> 8, 8, 2, 1)} ${mf ? tr('dissect.ip.mf.set') : tr('dissect.ip.mf.clear')}`),
    ]),
    bits('ip.frag_offset', 'Fragment Offset', start + 6, 2, 3, 13, fragOff, tr('dissect.ip.fragOffset', { units: ff & 0x1fff })),
    field('ip.ttl', 'Time to Live', start + 8, 1, ttl, tr('dissect.ip.ttl')),
    field('ip.proto', 'Protocol', start + 9, 1, proto, protoName),
    field('ip.checksum', 'Header Checksum', start + 10, 2, hex4(csum), s.quoted ? tr('dissect.checksum.quoted') : checksumVerdict(tr, good, () => expectedChecksum(b, start, hl, 10))),
    field('ip.src', 'Source Address', start + 12, 4, formatIpv4(src)),
    field('ip.dst', 'Destination Address', start + 16, 4, formatIpv4(dst)),
  ];
  if (hl > 20) kids.push(field('ip.options', 'Options', start + 20, hl - 20, `${hl - 20} bytes`, undefined, options(tr, b, start + 20, start + hl)));
  kids.push(...problems);
  const isFragment = mf || fragOff > 0;
  const layer = node('layer', 'ip', `Internet Protocol Version 4, Src: ${formatIpv4(src)}, Dst: ${formatIpv4(dst)}`, start, hl, '', undefined, kids);
  span(s, 'IPv4', 'ip', start, hl, dataEnd - start);
  const out: Field[] = [layer];
  if (isFragment) {
    kids.push(node('note', 'ip.fragment', mf ? tr('dissect.ip.fragment.more', { offset: fragOff }) : tr('dissect.ip.fragment.last', { offset: fragOff }), start + 6, 2, '', tr('dissect.ip.fragment')));
  }
  const saved = [s.ipSrc, s.ipDst];
  s.ipSrc = src;
  s.ipDst = dst;
  if (fragOff > 0) out.push(...payload(s, start + hl, dataEnd, tr('dissect.ip.fragmentData', { proto: protoName, offset: fragOff })));
  else if (proto === 1) out.push(...icmp(s, start + hl, dataEnd, mf));
  else if (proto === 6) out.push(...tcp(s, start + hl, dataEnd, mf));
  else if (proto === 17) out.push(...udp(s, start + hl, dataEnd, mf));
  else out.push(...payload(s, start + hl, dataEnd, tr('dissect.ip.notDissected', { proto: protoName, number: proto })));
  [s.ipSrc, s.ipDst] = saved as [number, number];
  return { nodes: out, end: dataEnd };
}

