/** TCP (RFC 9293) with its options (RFC 7323 window scale and timestamps, RFC 2018 SACK) and the expert findings. */

import { u16, u32 } from '../../../worker/wire/bytes';
import { pseudoHeaderSum, verifies } from '../../../worker/wire/checksum';
import { TcpFlag } from '../../../worker/wire/tcp';
import { apps } from './apps';
import { EXPERT_BITS, expertDetail } from './expert';
import { payload } from './payload';
import { span, type DissectState } from './state';
import { bitPattern, bits, checksumVerdict, expectedChecksum, field, hex4, malformed, node, setOrNot, type Field, type Tr } from './types';

const FLAG_BITS = [
  ['tcp.flags.cwr', 'Congestion Window Reduced', TcpFlag.CWR, 'dissect.tcp.flag.cwr'],
  ['tcp.flags.ece', 'ECN-Echo', TcpFlag.ECE, 'dissect.tcp.flag.ece'],
  ['tcp.flags.urg', 'Urgent', TcpFlag.URG, 'dissect.tcp.flag.urg'],
  ['tcp.flags.ack', 'Acknowledgment', TcpFlag.ACK, 'dissect.tcp.flag.ack'],
  ['tcp.flags.push', 'Push', TcpFlag.PSH, 'dissect.tcp.flag.psh'],
  ['tcp.flags.reset', 'Reset', TcpFlag.RST, 'dissect.tcp.flag.rst'],
  ['tcp.flags.syn', 'Syn', TcpFlag.SYN, 'dissect.tcp.flag.syn'],
  ['tcp.flags.fin', 'Fin', TcpFlag.FIN, 'dissect.tcp.flag.fin'],
] as const;

/** "[SYN, ACK]" as Wireshark writes it. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & TcpFlag.CWR) names.push('CWR');
  if (flags & TcpFlag.ECE) names.push('ECE');
  if (flags & TcpFlag.URG) names.push('URG');
  if (flags & TcpFlag.FIN) names.push('FIN');
  if (flags & TcpFlag.SYN) names.push('SYN');
  if (flags & TcpFlag.RST) names.push('RST');
  if (flags & TcpFlag.PSH) names.push('PSH');
  if (flags & TcpFlag.ACK) names.push('ACK');
  return names.join(', ');
}

function options(tr: Tr, b: Uint8Array, start: number, end: number): { nodes: Field[]; wscale?: number } {
  const out: Field[] = [];
  let wscale: number | undefined;
  let p = start;
  while (p < end) {
    const kind = b[p]!;
    if (kind === 0) {
      out.push(field('tcp.options.eol', 'End of Option List (EOL)', p, end - p, kind, end - p > 1 ? tr('dissect.tcp.opt.eolPadding', { bytes: end - p - 1 }) : undefined));
      break;
    }
    if (kind === 1) {
      out.push(field('tcp.options.nop', 'No-Operation (NOP)', p, 1, kind, tr('dissect.tcp.opt.nop')));
      p++;
      continue;
    }
    if (p + 1 >= end) {
      out.push(malformed(tr, 'TCP option', tr('dissect.malformed.noOptionLength', { kind }), p, end - p));
      break;
    }
    const len = b[p + 1]!;
    if (len < 2 || p + len > end) {
      out.push(malformed(tr, 'TCP option', tr('dissect.malformed.optionOverrun', { kind, len, left: end - p }), p, end - p));
      break;
    }
    const kindLen = [field('tcp.option_kind', 'Kind', p, 1, kind), field('tcp.option_len', 'Length', p + 1, 1, len)];
    const bad = (want: string) => out.push(malformed(tr, 'TCP option', tr('dissect.malformed.optionSize', { kind, want, len }), p, len));
    switch (kind) {
      case 2:
        if (len !== 4) bad('4');
        else out.push(field('tcp.options.mss', 'Maximum segment size', p, len, `${u16(b, p + 2)} bytes`, tr('dissect.tcp.opt.mss'), [...kindLen, field('tcp.options.mss_val', 'MSS Value', p + 2, 2, u16(b, p + 2))]));
        break;
      case 3:
        if (len !== 3) bad('3');
        else {
          const shift = b[p + 2]!;
          wscale = shift;
          out.push(field('tcp.options.wscale', 'Window scale', p, len, `${shift} (multiply by ${2 ** Math.min(shift, 14)})`, tr('dissect.tcp.opt.wscale'), [...kindLen, field('tcp.options.wscale.shift', 'Shift count', p + 2, 1, shift, shift > 14 ? tr('dissect.tcp.opt.wscale.over14') : undefined), field('tcp.options.wscale.multiplier', 'Multiplier', p + 2, 1, 2 ** Math.min(shift, 14))]));
        }
        break;
      case 4:
        if (len !== 2) bad('2');
        else out.push(field('tcp.options.sack_perm', 'SACK permitted', p, len, '', tr('dissect.tcp.opt.sackPerm'), kindLen));
        break;
      case 5: {
        if (len < 10 || (len - 2) % 8 !== 0) {
          bad('2 + 8n');
          break;
        }
        const blocks: Field[] = [];
        for (let q = p + 2; q + 8 <= p + len; q += 8) {
          const le = u32(b, q);
          const re = u32(b, q + 4);
          blocks.push(field('tcp.options.sack_le', 'left edge', q, 4, le), field('tcp.options.sack_re', 'right edge', q + 4, 4, re, tr('dissect.tcp.opt.sackBlock', { bytes: (re - le) >>> 0 })));
        }
        out.push(field('tcp.options.sack', 'SACK', p, len, `${(len - 2) / 8} block${len > 10 ? 's' : ''}`, tr('dissect.tcp.opt.sack'), [...kindLen, ...blocks]));
        break;
      }
      case 8:
        if (len !== 10) bad('10');
        else out.push(field('tcp.options.timestamp', 'Timestamps', p, len, `TSval ${u32(b, p + 2)}, TSecr ${u32(b, p + 6)}`, tr('dissect.tcp.opt.timestamp'), [...kindLen, field('tcp.options.timestamp.tsval', 'Timestamp value', p + 2, 4, u32(b, p + 2)), field('tcp.options.timestamp.tsecr', 'Timestamp echo reply', p + 6, 4, u32(b, p + 6), tr('dissect.tcp.opt.tsecr'))]));
        break;
      default:
        out.push(field('tcp.options.unknown', `Unknown option ${kind}`, p, len, `${len} bytes`, undefined, kindLen));
    }
    p += len;
  }
  return { nodes: out, wscale };
}

export function tcp(s: DissectState, start: number, end: number, partial: boolean): Field[] {
  const { buf: b, tr } = s;
  const avail = end - start;
  const layerName = 'Transmission Control Protocol';
  if (avail < 20) {
    // ICMP errors quote only 8 bytes: ports and sequence number.
    if (s.quoted && avail >= 8) {
      return [node('layer', 'tcp', `${layerName}, Src Port: ${u16(b, start)}, Dst Port: ${u16(b, start + 2)}`, start, avail, '', tr('dissect.tcp.quoted'), [field('tcp.srcport', 'Source Port', start, 2, u16(b, start)), field('tcp.dstport', 'Destination Port', start + 2, 2, u16(b, start + 2)), field('tcp.seq', 'Sequence Number', start + 4, 4, u32(b, start + 4))])];
    }
    return [node('layer', 'tcp', layerName, start, Math.max(0, avail), '', undefined, [malformed(tr, 'TCP', tr('dissect.malformed.short', { len: avail, min: 20 }), start, avail)])];
  }
  const sp = u16(b, start);
  const dp = u16(b, start + 2);
  const seq = u32(b, start + 4);
  const ack = u32(b, start + 8);
  const offByte = b[start + 12]!;
  const hl = (offByte >> 4) * 4;
  const flags = b[start + 13]!;
  const win = u16(b, start + 14);
  const csum = u16(b, start + 16);
  const urg = u16(b, start + 18);
  const flags12 = ((offByte & 0x0f) << 8) | flags;
  const kids: Field[] = [
    field('tcp.srcport', 'Source Port', start, 2, sp),
    field('tcp.dstport', 'Destination Port', start + 2, 2, dp),
    field('tcp.seq', 'Sequence Number', start + 4, 4, seq, flags & TcpFlag.SYN ? tr('dissect.tcp.seq.isn') : tr('dissect.tcp.seq.data')),
    field('tcp.ack', 'Acknowledgment Number', start + 8, 4, ack, flags & TcpFlag.ACK ? tr('dissect.tcp.ack.valid') : tr('dissect.tcp.ack.invalid')),
    bits('tcp.hdr_len', 'Header Length', start + 12, 1, 0, 4, `${hl} bytes (${offByte >> 4})`, tr('dissect.tcp.hdrLen')),
  ];
  if (hl < 20 || hl > avail) {
    kids.push(malformed(tr, 'TCP', hl < 20 ? tr('dissect.malformed.hdrLenShort', { len: hl }) : tr('dissect.malformed.hdrLenLong', { len: hl, avail }), start + 12, 1));
    return [node('layer', 'tcp', `${layerName}, Src Port: ${sp}, Dst Port: ${dp}`, start, avail, '', undefined, kids)];
  }
  const flagKids: Field[] = [bits('tcp.flags.res', 'Reserved', start + 12, 1, 4, 3, (offByte >> 1) & 7, `${bitPattern(flags12, 12, 0, 3)} ${(offByte & 0x0e) === 0 ? tr('dissect.flag.notSet') : tr('dissect.tcp.reserved.set')}`), bits('tcp.flags.ae', 'Accurate ECN', start + 12, 1, 7, 1, offByte & 1, `${bitPattern(flags12, 12, 3, 1)} ${setOrNot(tr, (offByte & 1) !== 0)}`)];
  FLAG_BITS.forEach(([abbrev, label, mask, meaning], i) => {
    const on = (flags & mask) !== 0;
    flagKids.push(bits(abbrev, label, start + 13, 1, i, 1, on ? 1 : 0, `${bitPattern(flags12, 12, 4 + i, 1)} ${on ? tr('dissect.flag.setBecause', { meaning: tr(meaning) }) : tr('dissect.flag.notSet')}`));
  });
  kids.push(field('tcp.flags', 'Flags', start + 12, 2, `0x${flags12.toString(16).padStart(3, '0')}`, flagNames(flags) || tr('dissect.tcp.flags.none'), flagKids));
  const shift = s.ctx.windowShift;
  const isSyn = (flags & TcpFlag.SYN) !== 0;
  kids.push(field('tcp.window_size_value', 'Window', start + 14, 2, win, isSyn ? tr('dissect.tcp.window.syn') : shift !== undefined ? tr('dissect.tcp.window.scaled', { factor: 2 ** shift, bytes: win * 2 ** shift }) : tr('dissect.tcp.window.unknown')));
  if (!isSyn && shift !== undefined) kids.push(field('tcp.window_size', 'Calculated window size', start + 14, 2, win * 2 ** shift, tr('dissect.tcp.window.calculated')));
  const segLen = end - start;
  let check: string;
  if (s.quoted || partial) check = tr('dissect.tcp.checksum.partial');
  else {
    const pseudo = pseudoHeaderSum(s.ipSrc, s.ipDst, 6, segLen);
    check = checksumVerdict(tr, verifies(b, start, segLen, pseudo), () => expectedChecksum(b, start, segLen, 16, pseudo));
  }
  kids.push(field('tcp.checksum', 'Checksum', start + 16, 2, hex4(csum), check));
  kids.push(field('tcp.urgent_pointer', 'Urgent Pointer', start + 18, 2, urg, flags & TcpFlag.URG ? tr('dissect.tcp.urgent.used') : tr('dissect.tcp.urgent.unused')));
  if (hl > 20) {
    const o = options(tr, b, start + 20, start + hl);
    kids.push(field('tcp.options', 'Options', start + 20, hl - 20, `${hl - 20} bytes`, undefined, o.nodes));
  }
  const dataLen = segLen - hl;
  kids.push(node('note', 'tcp.len', `TCP Segment Len: ${dataLen}`, start, 0, String(dataLen)));
  if (!s.quoted) kids.push(node('note', 'tcp.nxtseq', `Next Sequence Number: ${(seq + dataLen + (isSyn ? 1 : 0) + (flags & TcpFlag.FIN ? 1 : 0)) >>> 0}`, start + 4, 0, '', tr('dissect.tcp.nxtseq')));
  const e = s.ctx.expert;
  if (e && e.flags !== 0 && !s.quoted) {
    const findings = EXPERT_BITS.filter((x) => e.flags & x.bit).map((x) => node('expert', x.field, x.note + (x.field === 'tcp.analysis.retransmission' && e.cause ? ` (${e.cause})` : ''), start, 0, '', expertDetail(x.bit, e, tr)));
    kids.push(node('expert', 'tcp.analysis.flags', tr('dissect.expert.title'), start, 0, '', undefined, findings));
  }
  span(s, 'TCP', 'tcp', start, hl, segLen);
  const out: Field[] = [node('layer', 'tcp', `${layerName}, Src Port: ${sp}, Dst Port: ${dp}, Seq: ${seq}${flags & TcpFlag.ACK ? `, Ack: ${ack}` : ''}, Len: ${dataLen}`, start, hl, '', undefined, kids)];
  if (dataLen > 0) out.push(...(apps(s, 'tcp', sp, dp, start + hl, end) ?? payload(s, start + hl, end)));
  return out;
}
