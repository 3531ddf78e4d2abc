/** Ethernet II (IEEE 802.3 with an EtherType). Our frames carry no FCS: the data channel checks integrity. */

import { formatMac, MAC_BROADCAST, readMac } from '../../../worker/wire/addr';
import { u16 } from '../../../worker/wire/bytes';
import { ETH, EtherType } from '../../../worker/wire/ethernet';
import { arp } from './arp';
import { ipv4 } from './ipv4';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { bits, field, hex4, malformed, node, type Field } from './types';

export const ETHERTYPE_NAMES: Record<number, string> = { [EtherType.IPV4]: 'IPv4', [EtherType.ARP]: 'ARP', [EtherType.VLAN]: '802.1Q VLAN', 0x86dd: 'IPv6' };

function macNode(s: DissectState, abbrev: 'eth.dst' | 'eth.src', label: string, at: number): Field {
  const tr = s.tr;
  const mac = readMac(s.buf, at);
  const first = s.buf[at]!;
  const name = mac === MAC_BROADCAST ? ' (Broadcast)' : '';
  return field(abbrev, label, at, 6, formatMac(mac) + name, undefined, [
    bits(`${abbrev}.lg`, 'LG bit', at, 1, 6, 1, (first >> 1) & 1, first & 2 ? tr('dissect.eth.lg.local') : tr('dissect.eth.lg.global')),
    bits(`${abbrev}.ig`, 'IG bit', at, 1, 7, 1, first & 1, first & 1 ? tr('dissect.eth.ig.group') : tr('dissect.eth.ig.individual')),
  ]);
}

export function ethernet(s: DissectState): Field[] {
  const { buf, tr } = s;
  const len = buf.length;
  if (len < ETH.HEADER_LEN) return [malformed(tr, 'Ethernet', tr('dissect.eth.short', { len }), 0, len)];
  const type = u16(buf, ETH.ETHERTYPE);
  const typeName = ETHERTYPE_NAMES[type];
  const children: Field[] = [
    macNode(s, 'eth.dst', 'Destination', ETH.DST),
    macNode(s, 'eth.src', 'Source', ETH.SRC),
    field('eth.type', 'Type', ETH.ETHERTYPE, 2, hex4(type), typeName ?? tr('dissect.unknown')),
    node('note', 'eth.fcs', 'Frame check sequence', len, 0, '', tr('dissect.eth.fcs')),
  ];
  const layer = node('layer', 'eth', `Ethernet II, Src: ${formatMac(readMac(buf, ETH.SRC))}, Dst: ${formatMac(readMac(buf, ETH.DST))}`, 0, ETH.HEADER_LEN, '', undefined, children);
  span(s, 'Ethernet', 'eth', 0, ETH.HEADER_LEN, len);
  const out: Field[] = [layer];
  let used = len;
  if (type === EtherType.IPV4) {
    const r = ipv4(s, ETH.HEADER_LEN, len);
    out.push(...r.nodes);
    used = r.end;
  } else if (type === EtherType.ARP) {
    const r = arp(s, ETH.HEADER_LEN, len);
    out.push(...r.nodes);
    used = r.end;
  } else {
    out.push(...payload(s, ETH.HEADER_LEN, len, tr('dissect.eth.unknownType', { type: hex4(type) })));
  }
  if (used < len) {
    // Bytes after the IP datagram: Ethernet's padding to the 60-byte minimum, or junk.
    children.push(field('eth.padding', 'Padding', used, len - used, `${len - used} bytes`, len <= 60 ? tr('dissect.eth.padding') : tr('dissect.eth.trailer')));
    layer.children = children;
  }
  return out;
}
