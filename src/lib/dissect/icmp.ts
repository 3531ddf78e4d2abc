/** ICMP (RFC 792): echo, and errors with the header of the datagram they are about. */

import { u16 } from '../../../worker/wire/bytes';
import { verifies } from '../../../worker/wire/checksum';
import { icmpErrorMessage } from '../../../worker/net/icmp';
import { ipv4 } from './ipv4';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { expectedChecksum, field, hex4, malformed, node, type Field } from './types';

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

/** `partial`: the first fragment of a larger datagram, whose checksum covers bytes not here. */
export function icmp(s: DissectState, start: number, end: number, partial: boolean): Field[] {
  const b = s.buf;
  const len = end - start;
  if (len < 8) return [node('layer', 'icmp', 'Internet Control Message Protocol', start, Math.max(0, len), '', undefined, [malformed('ICMP', `${len} bytes, shorter than the 8-byte header`, start, len)])];
  const type = b[start]!;
  const code = b[start + 1]!;
  const csum = u16(b, start + 2);
  const typeName = ICMP_TYPE_NAMES[type] ?? 'Unknown type';
  const isError = type === 3 || type === 11 || type === 12 || type === 5 || type === 4;
  const codeMeaning = type === 3 || type === 11 ? icmpErrorMessage(type, code, type === 3 && code === 4 ? u16(b, start + 6) : 0) : undefined;
  const check = s.quoted || partial ? 'Unverified (only part of the message is here)' : verifies(b, start, len) ? 'Correct' : `Incorrect, should be ${hex4(expectedChecksum(b, start, len, 2))}`;
  const kids: Field[] = [
    field('icmp.type', 'Type', start, 1, type, typeName),
    field('icmp.code', 'Code', start + 1, 1, code, codeMeaning),
    field('icmp.checksum', 'Checksum', start + 2, 2, hex4(csum), check),
  ];
  let label = `Internet Control Message Protocol (${typeName})`;
  if (type === 0 || type === 8) {
    const id = u16(b, start + 4);
    const seq = u16(b, start + 6);
    kids.push(field('icmp.ident', 'Identifier', start + 4, 2, `${id} (${hex4(id)})`, 'Picks the ping session the reply belongs to'));
    kids.push(field('icmp.seq', 'Sequence Number', start + 6, 2, seq, 'Counts the requests of one session: a gap is a lost request or reply'));
    span(s, 'ICMP', 'icmp', start, 8, len);
    const out: Field[] = [node('layer', 'icmp', label, start, 8, '', undefined, kids)];
    if (len > 8) out.push(...payload(s, start + 8, end));
    return out;
  }
  if (isError) {
    if (type === 3 && code === 4) {
      kids.push(field('icmp.unused', 'Unused', start + 4, 2, hex4(u16(b, start + 4))));
      kids.push(field('icmp.mtu', 'MTU of next hop', start + 6, 2, u16(b, start + 6), 'The largest datagram the next link takes: send smaller ones (path MTU discovery)'));
    } else if (type === 5) {
      kids.push(field('icmp.redir_gw', 'Gateway Address', start + 4, 4, Array.from(b.subarray(start + 4, start + 8)).join('.')));
    } else if (type === 12) {
      kids.push(field('icmp.pointer', 'Pointer', start + 4, 1, b[start + 4]!, 'Which byte of the quoted header is wrong'));
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
      kids.push(node('note', 'icmp.quoted', 'The datagram this error is about (as much as was quoted)', start + 8, len - 8, '', undefined, quoted));
    }
    if (codeMeaning) label = `Internet Control Message Protocol (${codeMeaning})`;
    return [node('layer', 'icmp', label, start, len, '', undefined, kids)];
  }
  kids.push(field('icmp.rest', 'Rest of header', start + 4, 4, `0x${Array.from(b.subarray(start + 4, start + 8), (x) => x.toString(16).padStart(2, '0')).join('')}`));
  span(s, 'ICMP', 'icmp', start, 8, len);
  const out: Field[] = [node('layer', 'icmp', label, start, 8, '', undefined, kids)];
  if (len > 8) out.push(...payload(s, start + 8, end));
  return out;
}
