/**
 * The display filter's fields, read from the packet store's columns (so a
 * filter over a million rows touches typed arrays only). Names follow
 * Wireshark's; a getter returns NaN when the field is absent from a row.
 */

import { TcpExpertFlag as F } from '../../../worker/trace/events';
import { FATES, fateTone } from '../../panels/conditioner/types';
import { IPF, Proto } from './extract';
import { Dir, type PacketStore } from './store';
import { RETRANSMIT_CAUSES } from './vocab';

export type FieldType = 'bool' | 'uint' | 'ipv4' | 'mac' | 'string' | 'bytes';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Numeric value (bool: 0/1), NaN when absent. */
  get?(st: PacketStore, s: number, abs: number): number;
  /** A second value for fields that name either end (ip.addr, tcp.port). */
  get2?(st: PacketStore, s: number, abs: number): number;
  /** String fields. */
  str?(st: PacketStore, s: number, abs: number): string | undefined;
  /** Byte fields: undefined when the bytes are no longer kept. */
  bytes?(st: PacketStore, s: number, abs: number): Uint8Array | undefined;
}

const NA = NaN;
const isIp = (st: PacketStore, s: number) => (st.ipFlags[s]! & IPF.IPV4) !== 0;
const is = (p: number) => (st: PacketStore, s: number) => st.proto[s] === p;
const bool = (v: boolean) => (v ? 1 : 0);

let LOST_MASK = 0;
FATES.forEach((f, i) => {
  if (fateTone(f) === 'lost') LOST_MASK |= 1 << i;
});

function when(test: (st: PacketStore, s: number) => boolean, get: (st: PacketStore, s: number) => number) {
  return (st: PacketStore, s: number) => (test(st, s) ? get(st, s) : NA);
}

const tcp = is(Proto.TCP);
const udp = is(Proto.UDP);
const icmp = is(Proto.ICMP);
const arp = is(Proto.ARP);
const eth = (st: PacketStore, s: number) => st.dir[s] !== Dir.EVENT;

function presence(name: string, test: (st: PacketStore, s: number) => boolean): FieldDef {
  return { name, type: 'bool', get: (st, s) => bool(test(st, s)) };
}
function num(name: string, test: (st: PacketStore, s: number) => boolean, get: (st: PacketStore, s: number) => number, type: FieldType = 'uint'): FieldDef {
  return { name, type, get: when(test, get) };
}
function tcpFlag(name: string, mask: number): FieldDef {
  return { name, type: 'bool', get: when(tcp, (st, s) => bool((st.tcpFlags[s]! & mask) !== 0)) };
}
function expertBit(name: string, bit: number): FieldDef {
  return { name, type: 'bool', get: when(tcp, (st, s) => bool((st.expert[s]! & bit) !== 0)) };
}
const macSrc = (st: PacketStore, s: number) => st.ethSrcHi[s]! * 2 ** 32 + st.ethSrcLo[s]!;
const macDst = (st: PacketStore, s: number) => st.ethDstHi[s]! * 2 ** 32 + st.ethDstLo[s]!;

export const FIELDS: FieldDef[] = [
  { name: 'frame', type: 'bytes', bytes: (st, _s, abs) => st.frame(abs) },
  num('frame.len', eth, (st, s) => st.len[s]!),
  { name: 'frame.number', type: 'uint', get: (_st, _s, abs) => abs + 1 },
  { name: 'frame.time_relative', type: 'uint', get: (st, s) => st.t[s]! / 1000 },
  { name: 'host', type: 'string', str: (st, s) => st.hosts[st.host[s]!] },
  { name: 'direction', type: 'string', str: (st, s) => (st.dir[s] === Dir.TX ? 'tx' : st.dir[s] === Dir.RX ? 'rx' : 'event') },
  presence('dropped', (st, s) => st.drop[s] !== 0 || (st.fates[s]! & LOST_MASK) !== 0),
  presence('lost', (st, s) => (st.fates[s]! & LOST_MASK) !== 0),
  { name: 'drop.reason', type: 'string', str: (st, s) => (st.drop[s] ? st.dropReasons[st.drop[s]! - 1] : undefined) },
  { name: 'fate', type: 'string', str: (st, s) => FATES.filter((_f, i) => st.fates[s]! & (1 << i)).join(' ') || undefined },
  presence('eth', eth),
  { name: 'eth.addr', type: 'mac', get: when(eth, macSrc), get2: when(eth, macDst) },
  num('eth.src', eth, macSrc, 'mac'),
  num('eth.dst', eth, macDst, 'mac'),
  num('eth.type', eth, (st, s) => (st.proto[s] === Proto.ARP ? 0x0806 : isIp(st, s) ? 0x0800 : NA)),
  presence('arp', arp),
  num('arp.opcode', arp, (st, s) => st.type8[s]!),
  num('arp.src.proto_ipv4', arp, (st, s) => st.ipSrc[s]!, 'ipv4'),
  num('arp.dst.proto_ipv4', arp, (st, s) => st.ipDst[s]!, 'ipv4'),
  presence('ip', isIp),
  { name: 'ip.addr', type: 'ipv4', get: when(isIp, (st, s) => st.ipSrc[s]!), get2: when(isIp, (st, s) => st.ipDst[s]!) },
  num('ip.src', isIp, (st, s) => st.ipSrc[s]!, 'ipv4'),
  num('ip.dst', isIp, (st, s) => st.ipDst[s]!, 'ipv4'),
  num('ip.ttl', isIp, (st, s) => st.ipTtl[s]!),
  num('ip.id', isIp, (st, s) => st.ipId[s]!),
  num('ip.proto', isIp, (st, s) => (st.proto[s] === Proto.TCP ? 6 : st.proto[s] === Proto.UDP ? 17 : st.proto[s] === Proto.ICMP ? 1 : st.type8[s]!)),
  { name: 'ip.flags.df', type: 'bool', get: when(isIp, (st, s) => bool((st.ipFlags[s]! & IPF.DF) !== 0)) },
  { name: 'ip.flags.mf', type: 'bool', get: when(isIp, (st, s) => bool((st.ipFlags[s]! & IPF.MF) !== 0)) },
  presence('ip.fragment', (st, s) => isIp(st, s) && (st.ipFlags[s]! & (IPF.MF | IPF.LATER_FRAGMENT)) !== 0),
  presence('icmp', icmp),
  num('icmp.type', icmp, (st, s) => st.type8[s]!),
  num('icmp.code', icmp, (st, s) => st.code8[s]!),
  num('icmp.ident', (st, s) => icmp(st, s) && (st.type8[s] === 0 || st.type8[s] === 8), (st, s) => st.srcPort[s]!),
  num('icmp.seq', (st, s) => icmp(st, s) && (st.type8[s] === 0 || st.type8[s] === 8), (st, s) => st.dstPort[s]!),
  presence('udp', udp),
  { name: 'udp.port', type: 'uint', get: when(udp, (st, s) => st.srcPort[s]!), get2: when(udp, (st, s) => st.dstPort[s]!) },
  num('udp.srcport', udp, (st, s) => st.srcPort[s]!),
  num('udp.dstport', udp, (st, s) => st.dstPort[s]!),
  num('udp.length', udp, (st, s) => st.payLen[s]! + 8),
  presence('tcp', tcp),
  { name: 'tcp.port', type: 'uint', get: when(tcp, (st, s) => st.srcPort[s]!), get2: when(tcp, (st, s) => st.dstPort[s]!) },
  num('tcp.srcport', tcp, (st, s) => st.srcPort[s]!),
  num('tcp.dstport', tcp, (st, s) => st.dstPort[s]!),
  num('tcp.seq', tcp, (st, s) => st.tcpSeq[s]!),
  num('tcp.ack', tcp, (st, s) => st.tcpAck[s]!),
  num('tcp.len', tcp, (st, s) => st.payLen[s]!),
  num('tcp.flags', tcp, (st, s) => st.tcpFlags[s]!),
  tcpFlag('tcp.flags.fin', 0x01),
  tcpFlag('tcp.flags.syn', 0x02),
  tcpFlag('tcp.flags.rst', 0x04),
  tcpFlag('tcp.flags.reset', 0x04),
  tcpFlag('tcp.flags.psh', 0x08),
  tcpFlag('tcp.flags.push', 0x08),
  tcpFlag('tcp.flags.ack', 0x10),
  tcpFlag('tcp.flags.urg', 0x20),
  num('tcp.window_size_value', tcp, (st, s) => st.tcpWin[s]!),
  num('tcp.window_size', tcp, (st, s) => (st.tcpFlags[s]! & 0x02 || st.wshift[s]! < 0 ? st.tcpWin[s]! : st.tcpWin[s]! * 2 ** st.wshift[s]!)),
  expertBit('tcp.analysis.retransmission', F.RETRANSMISSION),
  expertBit('tcp.analysis.duplicate_ack', F.DUPLICATE_ACK),
  expertBit('tcp.analysis.out_of_order', F.OUT_OF_ORDER),
  expertBit('tcp.analysis.zero_window', F.ZERO_WINDOW),
  expertBit('tcp.analysis.zero_window_probe', F.ZERO_WINDOW_PROBE),
  expertBit('tcp.analysis.window_full', F.WINDOW_FULL),
  expertBit('tcp.analysis.keep_alive', F.KEEP_ALIVE),
  expertBit('tcp.analysis.window_update', F.WINDOW_UPDATE),
  { name: 'tcp.analysis.flags', type: 'bool', get: when(tcp, (st, s) => bool(st.expert[s] !== 0)) },
  { name: 'tcp.analysis.retransmission_cause', type: 'string', str: (st, s) => (st.cause[s] ? RETRANSMIT_CAUSES[st.cause[s]! - 1] : undefined) },
  { name: 'tcp.payload', type: 'bytes', bytes: (st, s, abs) => payloadOf(st, s, abs, Proto.TCP) },
  { name: 'udp.payload', type: 'bytes', bytes: (st, s, abs) => payloadOf(st, s, abs, Proto.UDP) },
  { name: 'data', type: 'bytes', bytes: (st, s, abs) => payloadOf(st, s, abs, st.proto[s]!) },
];

export const FIELD_MAP: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((f) => [f.name, f]));

function payloadOf(st: PacketStore, s: number, abs: number, proto: number): Uint8Array | undefined {
  if (st.proto[s] !== proto || (proto !== Proto.TCP && proto !== Proto.UDP && proto !== Proto.ICMP)) return undefined;
  const f = st.frame(abs);
  if (!f) return undefined;
  const n = st.payLen[s]!;
  const end = 14 + ((f[16]! << 8) | f[17]!);
  return f.subarray(Math.max(0, Math.min(f.length, end) - n), Math.min(f.length, end));
}
