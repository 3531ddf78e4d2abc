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
import { bitPattern, bits, expectedChecksum, field, hex2, hex4, malformed, node, setOrNot, type Field } from './types';

export const IP_PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 89: 'OSPF', 132: 'SCTP' };

const OPTION_NAMES: Record<number, string> = { 0: 'End of Option List (EOL)', 1: 'No-Operation (NOP)', 7: 'Record Route', 68: 'Time Stamp', 130: 'Security', 131: 'Loose Source Route', 136: 'Stream ID', 137: 'Strict Source Route', 148: 'Router Alert' };

const DSCP_NAMES: Record<number, string> = { 0: 'Default (CS0)', 8: 'CS1', 10: 'AF11', 16: 'CS2', 18: 'AF21', 24: 'CS3', 26: 'AF31', 32: 'CS4', 34: 'AF41', 40: 'CS5', 46: 'Expedited Forwarding (EF)', 48: 'CS6', 56: 'CS7' };
const ECN_NAMES = ['Not ECN-Capable Transport', 'ECN-Capable Transport (1)', 'ECN-Capable Transport (0)', 'Congestion Experienced'];

function options(b: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let p = start;
  while (p < end) {
    const kind = b[p]!;
    const name = OPTION_NAMES[kind & 0xff] ?? `Unknown option ${kind}`;
    if (kind === 0) {
      out.push(field('ip.opt.type', name, p, end - p, kind, end - p > 1 ? `End of options; ${end - p - 1} bytes of padding follow` : 'End of options'));
      break;
    }
    if (kind === 1) {
      out.push(field('ip.opt.type', name, p, 1, kind, 'Padding to a 32-bit boundary'));
      p++;
      continue;
    }
    if (p + 1 >= end) {
      out.push(malformed('IPv4 option', `option ${kind} has no length byte`, p, end - p));
      break;
    }
    const len = b[p + 1]!;
    if (len < 2 || p + len > end) {
      out.push(malformed('IPv4 option', `option ${kind} claims ${len} bytes, ${end - p} left`, p, end - p));
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
  const b = s.buf;
  const avail = end - start;
  if (avail < IPV4.MIN_HEADER_LEN) return { nodes: [malformed('IPv4', `${avail} bytes, shorter than the 20-byte header`, start, avail)], end };
  const vihl = b[start]!;
  const version = vihl >> 4;
  const hl = (vihl & 0xf) * 4;
  const vKids: Field[] = [
    bits('ip.version', 'Version', start, 1, 0, 4, version, version === 4 ? undefined : 'Not 4: this is not an IPv4 header'),
    bits('ip.hdr_len', 'Header Length', start, 1, 4, 4, `${hl} bytes (${vihl & 0xf})`, 'In 32-bit words: 5 means 20 bytes, the most is 15 (60 bytes)'),
  ];
  if (version !== 4 || hl < 20 || hl > avail) {
    const why = version !== 4 ? `version ${version}, not 4` : hl < 20 ? `header length ${hl} is under 20 bytes` : `header length ${hl} is more than the ${avail} bytes present`;
    return { nodes: [node('layer', 'ip', 'Internet Protocol Version 4', start, Math.min(avail, Math.max(hl, 20)), '', undefined, [...vKids, malformed('IPv4', why, start, avail)])], end };
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
  const protoName = IP_PROTOCOL_NAMES[proto] ?? 'Unknown';
  const problems: Field[] = [];
  let dataEnd = start + totalLen;
  if (totalLen < hl) {
    problems.push(malformed('IPv4', `total length ${totalLen} is less than the header length ${hl}`, start + 2, 2));
    dataEnd = end;
  } else if (dataEnd > end) {
    if (!s.quoted) problems.push(malformed('IPv4', `total length ${totalLen} is more than the ${avail} bytes present`, start + 2, 2));
    dataEnd = end;
  }
  const good = verifies(b, start, hl);
  const kids: Field[] = [
    ...vKids,
    field('ip.dsfield', 'Differentiated Services Field', start + 1, 1, hex2(tos), undefined, [
      { ...bits('ip.dsfield.dscp', 'Differentiated Services Codepoint', start + 1, 1, 0, 6, tos >> 2, DSCP_NAMES[tos >> 2] ?? 'Unassigned') },
      bits('ip.dsfield.ecn', 'Explicit Congestion Notification', start + 1, 1, 6, 2, tos & 3, ECN_NAMES[tos & 3]),
    ]),
    field('ip.len', 'Total Length', start + 2, 2, totalLen, 'Header and data, in bytes'),
    field('ip.id', 'Identification', start + 4, 2, `${hex4(ident)} (${ident})`, 'Ties the fragments of one datagram together'),
    field('ip.flags', 'Flags', start + 6, 1, hex2(ff >> 8), df ? "Don't fragment" : mf ? 'More fragments' : undefined, [
      { ...bits('ip.flags.rb', 'Reserved bit', start + 6, 1, 0, 1, ff >> 15, `${bitPattern(ff >> 8, 8, 0, 1)} ${setOrNot((ff & 0x8000) !== 0)}`) },
      bits('ip.flags.df', "Don't fragment", start + 6, 1, 1, 1, df ? 1 : 0, `${bitPattern(ff >> 8, 8, 1, 1)} ${df ? 'Set: routers must drop it rather than split it (and say so with ICMP)' : 'Not set: may be fragmented'}`),
      bits('ip.flags.mf', 'More fragments', start + 6, 1, 2, 1, mf ? 1 : 0, `${bitPattern(ff >> 8, 8, 2, 1)} ${mf ? 'Set: more fragments follow' : 'Not set: last (or only) fragment'}`),
    ]),
    bits('ip.frag_offset', 'Fragment Offset', start + 6, 2, 3, 13, fragOff, `${ff & 0x1fff} × 8 bytes: where this fragment's data sits in the datagram`),
    field('ip.ttl', 'Time to Live', start + 8, 1, ttl, 'Hops left: each router subtracts one and drops the packet at zero'),
    field('ip.proto', 'Protocol', start + 9, 1, proto, protoName),
    field('ip.checksum', 'Header Checksum', start + 10, 2, hex4(csum), s.quoted ? 'Unverified (quoted)' : good ? 'Correct' : `Incorrect, should be ${hex4(expectedChecksum(b, start, hl, 10))}`),
    field('ip.src', 'Source Address', start + 12, 4, formatIpv4(src)),
    field('ip.dst', 'Destination Address', start + 16, 4, formatIpv4(dst)),
  ];
  if (hl > 20) kids.push(field('ip.options', 'Options', start + 20, hl - 20, `${hl - 20} bytes`, undefined, options(b, start + 20, start + hl)));
  kids.push(...problems);
  const isFragment = mf || fragOff > 0;
  const layer = node('layer', 'ip', `Internet Protocol Version 4, Src: ${formatIpv4(src)}, Dst: ${formatIpv4(dst)}`, start, hl, '', undefined, kids);
  span(s, 'IPv4', 'ip', start, hl, dataEnd - start);
  const out: Field[] = [layer];
  if (isFragment) {
    kids.push(node('note', 'ip.fragment', mf ? `Fragment at offset ${fragOff}, more follow` : `Last fragment, at offset ${fragOff}`, start + 6, 2, '', 'The receiver reassembles the datagram from all fragments with this Identification'));
  }
  const saved = [s.ipSrc, s.ipDst];
  s.ipSrc = src;
  s.ipDst = dst;
  if (fragOff > 0) out.push(...payload(s, start + hl, dataEnd, `Fragment data of a ${protoName} datagram (offset ${fragOff}): its header is in the first fragment`));
  else if (proto === 1) out.push(...icmp(s, start + hl, dataEnd, mf));
  else if (proto === 6) out.push(...tcp(s, start + hl, dataEnd, mf));
  else if (proto === 17) out.push(...udp(s, start + hl, dataEnd, mf));
  else out.push(...payload(s, start + hl, dataEnd, `${protoName} (protocol ${proto}) is not dissected`));
  [s.ipSrc, s.ipDst] = saved as [number, number];
  return { nodes: out, end: dataEnd };
}

