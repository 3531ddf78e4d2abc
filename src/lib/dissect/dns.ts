/** DNS over UDP (RFC 1035), from the stack's own codec: every field with its byte range (worker/wire/dns.ts dnsFields). */

import { dnsFields, type DnsField, type DnsNoteId } from '../../../worker/wire/dns';
import type { MessageKey } from '../i18n/en';
import type { AppDissector } from './apps';
import { span, type DissectState } from './state';
import { bits, field, malformed, node, trLoose, type Field, type Tr } from './types';

/** Every note of the codec has its dictionary key (a compile error otherwise). */
const noteKey = (id: DnsNoteId): `dissect.dns.${DnsNoteId}` & MessageKey => `dissect.dns.${id}`;

/** The field's meaning in the reader's language; names such as NOERROR stay as they are. */
function meaningOf(tr: Tr, f: DnsField): string {
  return f.note ? trLoose(tr, noteKey(f.note.id), f.note.params) : f.meaning;
}

const ABBREVS: Record<string, string> = {
  'Transaction ID': 'dns.id',
  QR: 'dns.flags.response',
  Opcode: 'dns.flags.opcode',
  AA: 'dns.flags.authoritative',
  TC: 'dns.flags.truncated',
  RD: 'dns.flags.recdesired',
  RA: 'dns.flags.recavail',
  Z: 'dns.flags.z',
  AD: 'dns.flags.authenticated',
  CD: 'dns.flags.checkdisable',
  RCODE: 'dns.flags.rcode',
};

function dissectDns(s: DissectState, start: number, end: number): Field[] | undefined {
  if (end - start < 12) return undefined;
  const { fields, error } = dnsFields(s.buf, start, end);
  const sections = new Map<string, Field[]>();
  for (const f of fields) {
    const at = start + f.offset;
    let n: Field;
    const abbrev = ABBREVS[f.name] ?? `dns.${f.section.split(' ')[0]!.toLowerCase()}.${f.name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
    if (f.mask !== undefined) {
      // A bit field of the 16-bit flags word: first set bit and width of the mask.
      const width = f.mask.toString(2).replace(/0+$/, '').length - (f.mask.toString(2).replace(/0+$/, '').indexOf('1'));
      const first = 16 - f.mask.toString(2).length;
      n = bits(abbrev, f.name, at, f.length, first, width, f.value, meaningOf(s.tr, f));
    } else n = field(abbrev, f.name, at, f.length, f.value, meaningOf(s.tr, f));
    const list = sections.get(f.section) ?? [];
    list.push(n);
    sections.set(f.section, list);
  }
  const kids: Field[] = [];
  for (const [section, list] of sections) {
    const from = Math.min(...list.filter((f) => f.length > 0).map((f) => f.offset));
    const to = Math.max(...list.map((f) => f.offset + f.length));
    kids.push(node('field', `dns.section`, section, Number.isFinite(from) ? from : start, Number.isFinite(from) ? to - from : 0, '', undefined, list));
  }
  // The codec's error sentence is English (it also serves the resolver's messages).
  if (error) kids.push(malformed(s.tr, 'DNS', error, start, end - start));
  span(s, 'DNS', 'dns', start, end - start, end - start);
  const flags = s.buf[start + 2]!;
  return [node('layer', 'dns', `Domain Name System (${flags & 0x80 ? 'response' : 'query'})`, start, end - start, '', undefined, kids)];
}

export const dnsDissector: AppDissector = { name: 'DNS', transport: 'udp', ports: [53], dissect: dissectDns };
