/**
 * Why a connection changed state, in the words of RFC 9293's figure 5 ("rcv
 * SYN,ACK / snd ACK"): every cause the TCB traces with a state change (the
 * `cause` of TcpEvent 'state'). The TCB takes its causes only from this list
 * (the compiler checks), so the UI can translate every one of them
 * (src/lib/i18n/cause-text.ts, tested in test/unit/fsm/cause-text.test.ts).
 *
 * A connection that fails with an error has the error's code added in
 * parentheses: "rcv RST (ECONNRESET)" (`FailedCause`).
 */

export const STATE_CAUSES = [
  // Opening.
  'connect: snd SYN',
  'rcv SYN / snd SYN,ACK',
  'rcv SYN,ACK / snd ACK',
  'rcv ACK of SYN',
  'rcv ACK with a valid SYN cookie',
  'rcv SYN / snd SYN,ACK (simultaneous open)',
  'rcv SYN,ACK (simultaneous open)',
  // Closing in order.
  'close / snd FIN',
  'shutdown / snd FIN',
  'rcv FIN / snd ACK',
  'rcv FIN / snd ACK (simultaneous close)',
  'rcv ACK of FIN',
  '2 MSL timeout',
  'TIME_WAIT disabled',
  'FIN_WAIT_2 timeout',
  // Closing early, resets and giving up.
  'close',
  'close (before the handshake completed)',
  'close with unread data: RST',
  'abort: RST',
  'data after close: RST',
  'rcv RST',
  'rcv RST,ACK',
  'rcv RST (back to LISTEN)',
  'rcv ICMP unreachable',
  'SYN retries exhausted',
  'SYN,ACK retries exhausted: half-open connection freed',
  'retransmissions exhausted',
  'keepalive probes unanswered / snd RST',
] as const;

export type StateCause = (typeof STATE_CAUSES)[number];

/** The errors a connection fails with (the codes its socket's onError reports). */
export type FailCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT';

/** A cause with the error the connection failed with: "rcv RST (ECONNRESET)". */
export type FailedCause = `${StateCause} (${FailCode})`;
