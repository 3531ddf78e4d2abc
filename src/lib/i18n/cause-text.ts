/**
 * Why a TCP connection changed state, in the reader's language. The stack
 * traces its causes in English, in the words of RFC 9293's figure ("rcv FIN /
 * snd ACK"; worker/transport/tcp/causes.ts): they are trace data, and stay so.
 * The panels show them through `causeText` (as `tCause` in i18n.svelte.ts),
 * which also labels the state diagram's edges.
 *
 * A known cause maps to its `cause.*` key; a cause with an error code
 * ("rcv RST (ECONNRESET)") is its cause translated, the code kept; anything
 * else (a peer tab running another version) is shown as the stack wrote it.
 * Plain TypeScript, no runes.
 */

import type { StateCause } from '../../../worker/transport/tcp/causes';
import type { EdgeLabel } from '../../panels/fsm/fsm-model';
import type { MessageKey } from './en';
import { format } from './format';

/** Every cause the stack traces and every label of the diagram, to its key. */
const KEYS = {
  'connect: snd SYN': 'cause.connect',
  'rcv SYN / snd SYN,ACK': 'cause.rcvSyn',
  'rcv SYN,ACK / snd ACK': 'cause.rcvSynAck',
  'rcv ACK of SYN': 'cause.rcvAckOfSyn',
  'rcv ACK with a valid SYN cookie': 'cause.synCookie',
  'rcv SYN / snd SYN,ACK (simultaneous open)': 'cause.simultaneousOpenSyn',
  'rcv SYN,ACK (simultaneous open)': 'cause.simultaneousOpenSynAck',
  'close / snd FIN': 'cause.closeSndFin',
  'shutdown / snd FIN': 'cause.shutdownSndFin',
  'rcv FIN / snd ACK': 'cause.rcvFin',
  'rcv FIN / snd ACK (simultaneous close)': 'cause.simultaneousClose',
  'rcv ACK of FIN': 'cause.rcvAckOfFin',
  '2 MSL timeout': 'cause.twoMslTimeout',
  'TIME_WAIT disabled': 'cause.timeWaitDisabled',
  'FIN_WAIT_2 timeout': 'cause.finWait2Timeout',
  close: 'cause.close',
  'close (before the handshake completed)': 'cause.closeBeforeHandshake',
  'close with unread data: RST': 'cause.closeUnread',
  'abort: RST': 'cause.abort',
  'data after close: RST': 'cause.dataAfterClose',
  'rcv RST': 'cause.rcvRst',
  'rcv RST,ACK': 'cause.rcvRstAck',
  'rcv RST (back to LISTEN)': 'cause.rstToListen',
  'rcv ICMP unreachable': 'cause.icmpUnreachable',
  'SYN retries exhausted': 'cause.synRetries',
  'SYN,ACK retries exhausted: half-open connection freed': 'cause.synAckRetries',
  'retransmissions exhausted': 'cause.retransmissions',
  'keepalive probes unanswered / snd RST': 'cause.keepalive',
  // The diagram's own labels (the RFC's user calls OPEN, SEND, CLOSE).
  'passive OPEN': 'cause.edge.passiveOpen',
  'active OPEN / snd SYN': 'cause.edge.activeOpen',
  'SEND / snd SYN': 'cause.edge.send',
  CLOSE: 'cause.edge.close',
  'CLOSE / snd FIN': 'cause.edge.closeSndFin',
  'rcv FIN,ACK / snd ACK': 'cause.edge.rcvFinAck',
  'timeout = 2 MSL': 'cause.edge.timeWait',
} as const satisfies Record<StateCause | EdgeLabel, MessageKey>;

export type CauseKey = (typeof KEYS)[keyof typeof KEYS];

/** The key for a cause or an edge label, or undefined for one the stack does not trace. */
export function causeKey(cause: string): CauseKey | undefined {
  return Object.hasOwn(KEYS, cause) ? KEYS[cause as keyof typeof KEYS] : undefined;
}

/** "rcv RST (ECONNRESET)": a cause and the error the connection failed with. */
const FAILED = /^(.+) \((E[A-Z]+)\)$/;

/**
 * A cause (or edge label) in the language of `lookup`, which gives a key's
 * text. The error code of a failed connection is kept as it is (it is what
 * the socket reports); an unknown cause comes back unchanged.
 */
export function causeText(cause: string, lookup: (key: CauseKey | 'cause.failed') => string): string {
  const key = causeKey(cause);
  if (key) return lookup(key);
  const failed = FAILED.exec(cause);
  const head = failed ? causeKey(failed[1]!) : undefined;
  if (!failed || !head) return cause;
  return format(lookup('cause.failed'), { cause: lookup(head), code: failed[2]! });
}
