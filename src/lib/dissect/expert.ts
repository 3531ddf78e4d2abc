/**
 * Expert findings as words: Wireshark's bracketed Info notes ("[TCP
 * Retransmission (RTO)]") and the filter fields (tcp.analysis.*) they answer to.
 */

import { TcpExpertFlag as F, type FrameExpert, type RetransmitCause } from '../../../worker/trace/events';
import { english, type Tr } from './types';

export const CAUSE_TEXT: Record<RetransmitCause, string> = {
  rto: 'RTO',
  dupack: 'fast retransmit',
  'partial-ack': 'partial ACK',
  sack: 'SACK recovery',
  syn: 'SYN timeout',
  probe: 'probe',
  keepalive: 'keep-alive',
};

/** In the order Wireshark lists them; `field` is the display-filter name. */
export const EXPERT_BITS: { bit: number; field: string; note: string; severity: 'note' | 'warn' }[] = [
  { bit: F.RETRANSMISSION, field: 'tcp.analysis.retransmission', note: 'TCP Retransmission', severity: 'note' },
  { bit: F.OUT_OF_ORDER, field: 'tcp.analysis.out_of_order', note: 'TCP Out-Of-Order', severity: 'warn' },
  { bit: F.DUPLICATE_ACK, field: 'tcp.analysis.duplicate_ack', note: 'TCP Dup ACK', severity: 'note' },
  { bit: F.ZERO_WINDOW_PROBE, field: 'tcp.analysis.zero_window_probe', note: 'TCP ZeroWindowProbe', severity: 'note' },
  { bit: F.ZERO_WINDOW, field: 'tcp.analysis.zero_window', note: 'TCP ZeroWindow', severity: 'warn' },
  { bit: F.WINDOW_FULL, field: 'tcp.analysis.window_full', note: 'TCP Window Full', severity: 'warn' },
  { bit: F.KEEP_ALIVE, field: 'tcp.analysis.keep_alive', note: 'TCP Keep-Alive', severity: 'note' },
  { bit: F.WINDOW_UPDATE, field: 'tcp.analysis.window_update', note: 'TCP Window Update', severity: 'note' },
];

/** "[TCP Retransmission (RTO)] [TCP Window Full] " or "" (with a trailing space when not empty). */
export function expertInfo(e: FrameExpert | undefined): string {
  if (!e || e.flags === 0) return '';
  let out = '';
  for (const x of EXPERT_BITS) {
    if ((e.flags & x.bit) === 0) continue;
    if (x.bit === F.RETRANSMISSION && e.cause) out += `[${x.note} (${CAUSE_TEXT[e.cause]})] `;
    else if (x.bit === F.DUPLICATE_ACK && e.dupAck) out += `[${x.note} #${e.dupAck}] `;
    else out += `[${x.note}] `;
  }
  return out;
}

/** A sentence per finding for the detail's Expert node (the bracketed notes above mirror Wireshark and stay English). */
export function expertDetail(bit: number, e: FrameExpert, tr: Tr = english): string {
  switch (bit) {
    case F.RETRANSMISSION:
      return e.cause === 'rto'
        ? tr('dissect.expert.retransmission.rto')
        : e.cause === 'dupack'
          ? tr('dissect.expert.retransmission.dupack')
          : e.cause === 'partial-ack'
            ? tr('dissect.expert.retransmission.partialAck')
            : e.cause === 'sack'
              ? tr('dissect.expert.retransmission.sack')
              : e.cause === 'syn'
                ? tr('dissect.expert.retransmission.syn')
                : tr('dissect.expert.retransmission');
    case F.DUPLICATE_ACK:
      return e.dupAck ? tr('dissect.expert.dupAck.numbered', { n: e.dupAck }) : tr('dissect.expert.dupAck');
    case F.WINDOW_UPDATE:
      return tr('dissect.expert.windowUpdate');
    case F.ZERO_WINDOW:
      return tr('dissect.expert.zeroWindow');
    case F.ZERO_WINDOW_PROBE:
      return tr('dissect.expert.zeroWindowProbe');
    case F.KEEP_ALIVE:
      return tr('dissect.expert.keepAlive');
    case F.WINDOW_FULL:
      return tr('dissect.expert.windowFull');
    case F.OUT_OF_ORDER:
      return tr('dissect.expert.outOfOrder');
    default:
      return '';
  }
}
