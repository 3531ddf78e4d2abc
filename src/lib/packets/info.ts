/**
 * The list's text for a row, rebuilt from its columns (only for the rows on
 * screen): protocol, source, destination and Info in packet analysers' words.
 * The same text whether or not the frame's bytes are still kept.
 */

import { formatIpv4, formatMac } from '../../../worker/wire/addr';
import { icmpErrorMessage } from '../../../worker/net/icmp';
import { expertInfo } from '../dissect/expert';
import { flagNames } from '../dissect/tcp';
import { ICMP_TYPE_NAMES } from '../dissect/icmp';
import { IP_PROTOCOL_NAMES } from '../dissect/ipv4';
import { summarizeFrame } from '../frame-summary';
import { Dir, type PacketStore } from './store';
import { IPF, Proto } from './extract';

export interface RowText {
  protocol: string;
  source: string;
  destination: string;
  info: string;
}

const mac = (hi: number, lo: number) => hi * 2 ** 32 + lo;
const hex4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

export function protocolName(st: PacketStore, s: number): string {
  switch (st.proto[s]) {
    case Proto.ARP:
      return 'ARP';
    case Proto.ICMP:
      return 'ICMP';
    case Proto.UDP:
      return 'UDP';
    case Proto.TCP:
      return 'TCP';
    case Proto.IPV4:
      return 'IPv4';
    case Proto.MALFORMED:
      return 'Malformed';
    case Proto.EVENT:
      return '';
    default:
      return 'Ethernet';
  }
}

export function rowText(st: PacketStore, abs: number): RowText {
  const s = st.slot(abs);
  const p = st.proto[s]!;
  if (p === Proto.EVENT || st.dir[s] === Dir.EVENT) return { protocol: '', source: st.hosts[st.host[s]!] ?? '', destination: '', info: st.detail(abs) ?? '' };
  const protocol = protocolName(st, s);
  if (p === Proto.ARP || p === Proto.OTHER || p === Proto.MALFORMED) {
    const dst = mac(st.ethDstHi[s]!, st.ethDstLo[s]!);
    const src = formatMac(mac(st.ethSrcHi[s]!, st.ethSrcLo[s]!));
    const destination = dst === 0xffff_ffff_ffff ? 'Broadcast' : formatMac(dst);
    if (p === Proto.ARP) {
      const spa = st.ipSrc[s]!;
      const tpa = st.ipDst[s]!;
      const info = st.type8[s] === 1 ? (spa === tpa ? `ARP Announcement for ${formatIpv4(spa)}` : `Who has ${formatIpv4(tpa)}? Tell ${formatIpv4(spa)}`) : st.type8[s] === 2 ? `${formatIpv4(spa)} is at ${src}` : `ARP opcode ${st.type8[s]}`;
      return { protocol, source: src, destination, info };
    }
    // Rare rows: ask the summariser for the exact reason while the bytes are here.
    const bytes = st.frame(abs);
    const info = bytes ? summarizeFrame(bytes).info : p === Proto.MALFORMED ? 'Malformed frame' : 'EtherType not spoken here';
    return { protocol, source: src, destination, info };
  }
  const source = formatIpv4(st.ipSrc[s]!);
  const destination = formatIpv4(st.ipDst[s]!);
  const ttl = st.ipTtl[s]!;
  if (st.ipFlags[s]! & IPF.LATER_FRAGMENT) {
    const name = IP_PROTOCOL_NAMES[st.type8[s]!] ?? `IP proto ${st.type8[s]}`;
    return { protocol, source, destination, info: `Fragment of ${name} datagram id ${hex4(st.ipId[s]!)}, offset ${st.srcPort[s]! * 8}, ${st.payLen[s]} bytes${st.ipFlags[s]! & IPF.MF ? ', more follow' : ', last'}` };
  }
  const firstFrag = st.ipFlags[s]! & IPF.MF ? ` [first fragment, id ${hex4(st.ipId[s]!)}]` : '';
  switch (p) {
    case Proto.ICMP: {
      const type = st.type8[s]!;
      const code = st.code8[s]!;
      let info: string;
      if (type === 0 || type === 8) info = `Echo (ping) ${type === 8 ? 'request' : 'reply'}  id=${hex4(st.srcPort[s]!)}, seq=${st.dstPort[s]}, ttl=${ttl}`;
      else if (type === 3 || type === 11) info = icmpErrorMessage(type, code, type === 3 && code === 4 ? st.dstPort[s]! : 0);
      else info = `${ICMP_TYPE_NAMES[type] ?? 'Type ' + type}, code ${code}`;
      return { protocol, source, destination, info: info + firstFrag };
    }
    case Proto.UDP:
      return { protocol, source, destination, info: `${st.srcPort[s]} → ${st.dstPort[s]} Len=${st.payLen[s]}${firstFrag}` };
    case Proto.TCP: {
      const flags = st.tcpFlags[s]!;
      const shift = st.wshift[s]!;
      const win = flags & 0x02 || shift < 0 ? st.tcpWin[s]! : st.tcpWin[s]! * 2 ** shift;
      const expert = expertInfo(st.expert[s] ? { flags: st.expert[s]!, cause: st.causeOf(s), dupAck: st.dupAck[s] || undefined } : undefined);
      return {
        protocol,
        source,
        destination,
        info: `${expert}${st.srcPort[s]} → ${st.dstPort[s]} [${flagNames(flags) || '<none>'}] Seq=${st.tcpSeq[s]}${flags & 0x10 ? ` Ack=${st.tcpAck[s]}` : ''} Win=${win} Len=${st.payLen[s]}`,
      };
    }
    default:
      return { protocol, source, destination, info: `${IP_PROTOCOL_NAMES[st.type8[s]!] ?? 'IP protocol ' + st.type8[s]}, ${st.payLen[s]} bytes` };
  }
}
