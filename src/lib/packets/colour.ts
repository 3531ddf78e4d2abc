/**
 * Colouring rules, first match wins (like Wireshark's): what a learner should
 * notice first comes first. Each rule is a CSS class on the row; the legend
 * lists them in this order.
 */

import { TcpExpertFlag as F } from '../../../worker/trace/events';
import { FATES, fateTone } from '../../panels/conditioner/types';
import { Proto } from './extract';
import type { PacketStore } from './store';

export const COLOUR_RULES = ['lost', 'rst', 'bad', 'dupack', 'window', 'synfin', 'tcp', 'udp', 'icmp', 'arp'] as const;
export type ColourRule = (typeof COLOUR_RULES)[number] | 'event' | 'plain';

let LOST = 0;
FATES.forEach((f, i) => {
  if (fateTone(f) === 'lost') LOST |= 1 << i;
});

export function colourOf(st: PacketStore, s: number): ColourRule {
  if (st.drop[s] !== 0 || (st.fates[s]! & LOST) !== 0) return 'lost';
  const p = st.proto[s]!;
  if (p === Proto.EVENT) return 'event';
  if (p === Proto.TCP) {
    const flags = st.tcpFlags[s]!;
    const x = st.expert[s]!;
    if (flags & 0x04) return 'rst';
    if (x & (F.RETRANSMISSION | F.OUT_OF_ORDER)) return 'bad';
    if (x & F.DUPLICATE_ACK) return 'dupack';
    if (x & (F.ZERO_WINDOW | F.WINDOW_FULL)) return 'window';
    if (flags & 0x03) return 'synfin';
    return 'tcp';
  }
  if (p === Proto.UDP) return 'udp';
  if (p === Proto.ICMP) return 'icmp';
  if (p === Proto.ARP) return 'arp';
  return 'plain';
}
