/**
 * Vocabulary of the socket panels: the TCP states in the order a connection
 * lives through them and how each is coloured, the timers a connection can be
 * waiting on, and the bulk test's sizes. Labels and explanations live in the
 * dictionaries under keys built from these names.
 */

import type { TcpState } from '../../../worker/transport/tcp/config';

export type { TcpState };

/** The eleven states, opening first, then open, then the closing paths, as the state diagram reads. */
export const TCP_STATES: readonly TcpState[] = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RCVD',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSING',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
];

/** How a state is coloured: handshaking, open, closing, waiting out 2 MSL, gone. */
export type StateTone = 'opening' | 'open' | 'closing' | 'waiting' | 'closed';

export function stateTone(state: TcpState): StateTone {
  switch (state) {
    case 'LISTEN':
    case 'SYN_SENT':
    case 'SYN_RCVD':
      return 'opening';
    case 'ESTABLISHED':
      return 'open';
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSING':
    case 'CLOSE_WAIT':
    case 'LAST_ACK':
      return 'closing';
    case 'TIME_WAIT':
      return 'waiting';
    case 'CLOSED':
      return 'closed';
  }
}

/** Timer kinds a connection snapshot can report (worker/transport/tcp/tcb.ts `info()`). */
export const TIMER_KINDS = ['rto', 'syn', 'synack', 'persist', 'time-wait', 'fin-wait-2', 'delayed-ack', 'keepalive'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export function isTimerKind(kind: string): kind is TimerKind {
  return (TIMER_KINDS as readonly string[]).includes(kind);
}

/** Sizes the bulk test offers (KB = 1024 bytes). */
export const BULK_SIZES = [
  { label: '64 KB', bytes: 64 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
  { label: '10 MB', bytes: 10 * 1024 * 1024 },
  // Long enough to drag the loss and delay knobs while it runs (and for bench/ui.ts).
  { label: '100 MB', bytes: 100 * 1024 * 1024 },
] as const;

/** Ports of the services every host runs: echo 7, discard 9, and the chat port 23 the console listens on. */
export { ECHO_PORT, DISCARD_PORT } from '../../../worker/apps/services';
export { CHAT_PORT } from '../../../worker/apps/socket-table';
