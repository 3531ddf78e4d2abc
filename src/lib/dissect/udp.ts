/** UDP (RFC 768). */

import { u16 } from '../../../worker/wire/bytes';
import { pseudoHeaderSum, verifies } from '../../../worker/wire/checksum';
import { apps } from './apps';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { expectedChecksum, field, hex4, malformed, node, type Field } from './types';

export function udp(s: DissectState, start: number, end: number, partial: boolean): Field[] {
  const b = s.buf;
  const avail = end - start;
  if (avail < 8) return [node('layer', 'udp', 'User Datagram Protocol', start, Math.max(0, avail), '', undefined, [malformed('UDP', `${avail} bytes, shorter than the 8-byte header`, start, avail)])];
  const sp = u16(b, start);
  const dp = u16(b, start + 2);
  const length = u16(b, start + 4);
  const csum = u16(b, start + 6);
  const problems: Field[] = [];
  let dataEnd = start + length;
  if (length < 8) {
    problems.push(malformed('UDP', `length ${length} is under the 8-byte header`, start + 4, 2));
    dataEnd = end;
  } else if (dataEnd > end) {
    if (!s.quoted && !partial) problems.push(malformed('UDP', `length ${length} is more than the ${avail} bytes present`, start + 4, 2));
    dataEnd = end;
  }
  let check: string;
  if (csum === 0) check = 'None: the sender did not compute one (allowed over IPv4)';
  else if (s.quoted || partial || dataEnd - start !== length) check = 'Unverified (only part of the datagram is here)';
  else {
    const pseudo = pseudoHeaderSum(s.ipSrc, s.ipDst, 17, length);
    check = verifies(b, start, length, pseudo) ? 'Correct' : `Incorrect, should be ${hex4(expectedChecksum(b, start, length, 6, pseudo))}`;
  }
  const kids: Field[] = [
    field('udp.srcport', 'Source Port', start, 2, sp),
    field('udp.dstport', 'Destination Port', start + 2, 2, dp),
    field('udp.length', 'Length', start + 4, 2, length, 'Header and data, in bytes'),
    field('udp.checksum', 'Checksum', start + 6, 2, hex4(csum), check),
    ...problems,
  ];
  span(s, 'UDP', 'udp', start, 8, dataEnd - start);
  const out: Field[] = [node('layer', 'udp', `User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`, start, 8, '', undefined, kids)];
  if (dataEnd > start + 8) out.push(...(apps(s, 'udp', sp, dp, start + 8, dataEnd) ?? payload(s, start + 8, dataEnd)));
  return out;
}
