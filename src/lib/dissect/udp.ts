/** UDP (RFC 768). */

import { u16 } from '../../../worker/wire/bytes';
import { pseudoHeaderSum, verifies } from '../../../worker/wire/checksum';
import { apps } from './apps';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { checksumVerdict, expectedChecksum, field, hex4, malformed, node, type Field } from './types';

export function udp(s: DissectState, start: number, end: number, partial: boolean): Field[] {
  const { buf: b, tr } = s;
  const avail = end - start;
  if (avail < 8) return [node('layer', 'udp', 'User Datagram Protocol', start, Math.max(0, avail), '', undefined, [malformed(tr, 'UDP', tr('dissect.malformed.short', { len: avail, min: 8 }), start, avail)])];
  const sp = u16(b, start);
  const dp = u16(b, start + 2);
  const length = u16(b, start + 4);
  const csum = u16(b, start + 6);
  const problems: Field[] = [];
  let dataEnd = start + length;
  if (length < 8) {
    problems.push(malformed(tr, 'UDP', tr('dissect.udp.len.short', { len: length }), start + 4, 2));
    dataEnd = end;
  } else if (dataEnd > end) {
    if (!s.quoted && !partial) problems.push(malformed(tr, 'UDP', tr('dissect.udp.len.long', { len: length, avail }), start + 4, 2));
    dataEnd = end;
  }
  let check: string;
  if (csum === 0) check = tr('dissect.udp.checksum.none');
  else if (s.quoted || partial || dataEnd - start !== length) check = tr('dissect.udp.checksum.partial');
  else {
    const pseudo = pseudoHeaderSum(s.ipSrc, s.ipDst, 17, length);
    check = checksumVerdict(tr, verifies(b, start, length, pseudo), () => expectedChecksum(b, start, length, 6, pseudo));
  }
  const kids: Field[] = [
    field('udp.srcport', 'Source Port', start, 2, sp),
    field('udp.dstport', 'Destination Port', start + 2, 2, dp),
    field('udp.length', 'Length', start + 4, 2, length, tr('dissect.headerAndData')),
    field('udp.checksum', 'Checksum', start + 6, 2, hex4(csum), check),
    ...problems,
  ];
  span(s, 'UDP', 'udp', start, 8, dataEnd - start);
  const out: Field[] = [node('layer', 'udp', `User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`, start, 8, '', undefined, kids)];
  if (dataEnd > start + 8) out.push(...(apps(s, 'udp', sp, dp, start + 8, dataEnd) ?? payload(s, start + 8, dataEnd)));
  return out;
}
