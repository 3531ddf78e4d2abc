/** ARP for IPv4 over Ethernet (RFC 826). */

import { formatIpv4, formatMac, readMac } from '../../../worker/wire/addr';
import { u16, u32 } from '../../../worker/wire/bytes';
import { ARP } from '../../../worker/wire/arp';
import { span, type DissectState } from './state';
import { field, hex4, malformed, node, type Field } from './types';

const OPCODES: Record<number, string> = { 1: 'request', 2: 'reply' };

export function arp(s: DissectState, start: number, end: number): { nodes: Field[]; end: number } {
  const { buf: b, tr } = s;
  if (end - start < ARP.LEN) return { nodes: [malformed(tr, 'ARP', tr('dissect.arp.short', { len: end - start }), start, end - start)], end };
  const op = u16(b, start + ARP.OPER);
  const spa = u32(b, start + ARP.SPA);
  const tpa = u32(b, start + ARP.TPA);
  const htype = u16(b, start + ARP.HTYPE);
  const ptype = u16(b, start + ARP.PTYPE);
  const opName = OPCODES[op] ?? `unknown (${op})`;
  const summary = op === 1 && spa === tpa ? 'Announcement' : opName;
  const kids: Field[] = [
    field('arp.hw.type', 'Hardware type', start + ARP.HTYPE, 2, htype, htype === 1 ? 'Ethernet' : tr('dissect.unknown')),
    field('arp.proto.type', 'Protocol type', start + ARP.PTYPE, 2, hex4(ptype), ptype === 0x0800 ? 'IPv4' : tr('dissect.unknown')),
    field('arp.hw.size', 'Hardware size', start + ARP.HLEN, 1, b[start + ARP.HLEN]!),
    field('arp.proto.size', 'Protocol size', start + ARP.PLEN, 1, b[start + ARP.PLEN]!),
    field('arp.opcode', 'Opcode', start + ARP.OPER, 2, op, op === 1 ? tr('dissect.arp.request') : op === 2 ? tr('dissect.arp.reply') : tr('dissect.arp.unknownOp', { op })),
    field('arp.src.hw_mac', 'Sender MAC address', start + ARP.SHA, 6, formatMac(readMac(b, start + ARP.SHA))),
    field('arp.src.proto_ipv4', 'Sender IP address', start + ARP.SPA, 4, formatIpv4(spa)),
    field('arp.dst.hw_mac', 'Target MAC address', start + ARP.THA, 6, formatMac(readMac(b, start + ARP.THA)), op === 1 ? tr('dissect.arp.targetMac') : undefined),
    field('arp.dst.proto_ipv4', 'Target IP address', start + ARP.TPA, 4, formatIpv4(tpa)),
  ];
  span(s, 'ARP', 'arp', start, ARP.LEN, ARP.LEN);
  return { nodes: [node('layer', 'arp', `Address Resolution Protocol (${summary})`, start, ARP.LEN, '', undefined, kids)], end: start + ARP.LEN };
}
