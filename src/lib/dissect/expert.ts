/**
 * Expert findings as words: Wireshark's bracketed Info notes ("[TCP
 * Retransmission (RTO)]") and the filter fields (tcp.analysis.*) they answer to.
 */

import { TcpExpertFlag as F, type FrameExpert, type RetransmitCause } from '../../../worker/trace/events';

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

/** A sentence per finding for the detail's Expert node. */
export function expertDetail(bit: number, e: FrameExpert): string {
  switch (bit) {
    case F.RETRANSMISSION:
      return e.cause === 'rto'
        ? 'Resent because the retransmission timer expired with no acknowledgement'
        : e.cause === 'dupack'
          ? 'Resent at once after three duplicate ACKs (fast retransmit)'
          : e.cause === 'partial-ack'
            ? 'Resent during fast recovery: an ACK covered only part of what was outstanding'
            : e.cause === 'sack'
              ? 'Resent during SACK-based recovery: the receiver reported the bytes around it'
              : e.cause === 'syn'
                ? 'The SYN went unanswered and its timer expired'
                : 'Resent';
    case F.DUPLICATE_ACK:
      return `The same acknowledgement number and window again${e.dupAck ? ` (duplicate #${e.dupAck})` : ''}: the receiver got data beyond a gap`;
    case F.WINDOW_UPDATE:
      return 'Nothing new acknowledged: the receiver only tells the sender its window opened';
    case F.ZERO_WINDOW:
      return 'The receiver has no buffer space left: the sender must stop';
    case F.ZERO_WINDOW_PROBE:
      return 'The persist timer fired: one byte sent to see whether the zero window opened';
    case F.KEEP_ALIVE:
      return 'The connection was idle: a probe to check the peer is still there';
    case F.WINDOW_FULL:
      return 'This segment fills the receiver’s advertised window: the sender must wait for an ACK';
    case F.OUT_OF_ORDER:
      return 'Arrived beyond a gap: held until the missing bytes arrive';
    default:
      return '';
  }
}
