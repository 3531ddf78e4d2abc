/** ICMP (RFC 792): echo, and errors with the header of the datagram they are about. */

import { u16 } from '../../../worker/wire/bytes';
import { verifies } from '../../../worker/wire/checksum';
import { icmpErrorMessage } from '../../../worker/net/icmp';
import { ipv4 } from './ipv4';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { checksumVerdict, expectedChecksum, field, hex4, malformed, node, type Field, type Tr } from './types';

export const ICMP_TYPE_NAMES: Record<number, string> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench',
  5: 'Redirect',
  8: 'Echo (ping) request',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
};

/** The type names above, as the detail explains them (the Info column and the labels keep Wireshark's English). */
const TYPE_KEYS = {
  0: 'dissect.icmp.type.echoReply',
  3: 'dissect.icmp.type.unreachable',
  4: 'dissect.icmp.type.sourceQuench',
  5: 'dissect.icmp.type.redirect',
  8: 'dissect.icmp.type.echoRequest',
  11: 'dissect.icmp.type.timeExceeded',
  12: 'dissect.icmp.type.parameterProblem',
  13: 'dissect.icmp.type.timestampRequest',
  14: 'dissect.icmp.type.timestampReply',
} as const;

/** What a destination unreachable or time exceeded code means (the words of worker/net/icmp.ts icmpErrorMessage, translated). */
function codeMeaning(tr: Tr, type: number, code: number, mtu: number): string | undefined {
  if (type === 11) return code === 1 ? tr('dissect.icmp.code.reassembly') : tr('dissect.icmp.code.ttl');
  if (type !== 3) return undefined;
  switch (code) {
    case 0:
      return tr('dissect.icmp.code.net');
    case 1:
      return tr('dissect.icmp.code.host');
    case 2:
      return tr('dissect.icmp.code.protocol');
    case 3:
      return tr('dissect.icmp.code.port');
    case 4:
      return tr('dissect.icmp.code.fragNeeded', { mtu });
    default:
      return tr('dissect.icmp.code.other', { code });
  }
}

/** `partial`: the first fragment of a larger datagram, whose checksum covers bytes not here. */
export function icmp(s: DissectState, start: number, end: number, partial: boolean): Field[] {
  const { buf: b, tr } = s;
  const len = end - start;
  if (len < 8) return [node('layer', 'icmp', 'Internet Control Message Protocol', start, Math.max(0, len), '', undefined, [malformed(tr, 'ICMP', tr('dissect.malformed.short', { len, min: 8 }), start, len)])];
  const type = b[start]!;
  const code = b[start + 1]!;
  const csum = u16(b, start + 2);
  const typeName = ICMP_TYPE_NAMES[type] ?? 'Unknown type';
  const typeKey = TYPE_KEYS[type as keyof typeof TYPE_KEYS] as (typeof TYPE_KEYS)[keyof typeof TYPE_KEYS] | undefined;
  const isError = type === 3 || type === 11 || type === 12 || type === 5 || type === 4;
  const mtu = type === 3 && code === 4 ? u16(b, start + 6) : 0;
  // The label keeps Wireshark's English words; the meaning says them in the reader's language.
  const codeName = type === 3 || type === 11 ? icmpErrorMessage(type, code, mtu) : undefined;
  const check = s.quoted || partial ? tr('dissect.icmp.checksum.partial') : checksumVerdict(tr, verifies(b, start, len), () => expectedChecksum(b, start, len, 2));
  const kids: Field[] = [
    field('icmp.type', 'Type', start, 1, type, typeKey ? tr(typeKey) : tr('dissect.icmp.type.unknown')),
    field('icmp.code', 'Code', start + 1, 1, code, codeMeaning(tr, type, code, mtu)),
    field('icmp.checksum', 'Checksum', start + 2, 2, hex4(csum), check),
  ];
  let label = `Internet Control Message Protocol (${typeName})`;
  if (type === 0 || type === 8) {
    const id = u16(b, start + 4);
    const seq = u16(b, start + 6);
    kids.push(field('icmp.ident', 'Identifier', start + 4, 2, `${id} (${hex4(id)})`, tr('dissect.icmp.ident')));
    kids.push(field('icmp.seq', 'Sequence Number', start + 6, 2, seq, tr('dissect.icmp.seq')));
    span(s, 'ICMP', 'icmp', start, 8, len);
    const out: Field[] = [node('layer', 'icmp', label, start, 8, '', undefined, kids)];
    if (len > 8) out.push(...payload(s, start + 8, end));
    return out;
  }
  if (isError) {
    if (type === 3 && code === 4) {
      kids.push(field('icmp.unused', 'Unused', start + 4, 2, hex4(u16(b, start + 4))));
      kids.push(field('icmp.mtu', 'MTU of next hop', start + 6, 2, u16(b, start + 6), tr('dissect.icmp.mtu')));
    } else if (type === 5) {
      kids.push(field('icmp.redir_gw', 'Gateway Address', start + 4, 4, Array.from(b.subarray(start + 4, start + 8)).join('.')));
    } else if (type === 12) {
      kids.push(field('icmp.pointer', 'Pointer', start + 4, 1, b[start + 4]!, tr('dissect.icmp.pointer')));
    } else {
      kids.push(field('icmp.unused', 'Unused', start + 4, 4, `0x${Array.from(b.subarray(start + 4, start + 8), (x) => x.toString(16).padStart(2, '0')).join('')}`));
    }
    span(s, 'ICMP', 'icmp', start, 8, len);
    if (len > 8) {
      // The datagram it is about: its IP header and at least 8 bytes of what followed (RFC 792, RFC 1812 4.3.2.3).
      const wasQuoted = s.quoted;
      s.quoted = true;
      const quoted = ipv4(s, start + 8, end).nodes;
      s.quoted = wasQuoted;
      kids.push(node('note', 'icmp.quoted', tr('dissect.icmp.quoted'), start + 8, len - 8, '', undefined, quoted));
    }
    if (codeName) label = `Internet Control Message Protocol (${codeName})`;
    return [node('layer', 'icmp', label, start, len, '', undefined, kids)];
  }
  kids.push(field('icmp.rest', 'Rest of header', start + 4, 4, `0x${Array.from(b.subarray(start + 4, start + 8), (x) => x.toString(16).padStart(2, '0')).join('')}`));
  span(s, 'ICMP', 'icmp', start, 8, len);
  const out: Field[] = [node('layer', 'icmp', label, start, 8, '', undefined, kids)];
  if (len > 8) out.push(...payload(s, start + 8, end));
  return out;
}
