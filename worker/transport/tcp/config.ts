/**
 * TCP settings: host defaults, overridable per socket. Where Linux and the RFCs
 * differ, the comment says which one is the default and why.
 */

export type CongestionControlName = 'newreno' | 'cubic';

export interface TcpConfig {
  /** MSS we advertise; default: interface MTU - 40 (RFC 9293 3.7.1). */
  mss: number | undefined;
  /** Send buffer, bytes (what write() can queue beyond what is acknowledged). */
  sendBuffer: number;
  /** Receive buffer, bytes (the largest window we advertise). */
  receiveBuffer: number;
  /** Nagle's algorithm (RFC 9293 3.7.4); off = TCP_NODELAY. */
  nagle: boolean;
  /** Delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2). */
  delayedAck: boolean;
  /** Delayed-ACK timeout. RFC 1122 allows up to 500 ms; Linux uses 40..200 ms. Default 200 ms: the classic value, easy to see. */
  delayedAckMs: number;
  keepalive: boolean;
  /** RFC 1122 4.2.3.6 / Linux tcp_keepalive_time: 2 hours. */
  keepIdleMs: number;
  /** Linux tcp_keepalive_intvl: 75 s. */
  keepIntervalMs: number;
  /** Linux tcp_keepalive_probes: 9 (the RFC gives no number; BSD uses 8, some texts 10). */
  keepCount: number;
  /** Maximum segment lifetime; TIME_WAIT lasts 2 MSL. RFC 793 says 2 minutes; Linux's TIME_WAIT is 60 s (MSL 30 s), our default. */
  mslMs: number;
  /** TIME_WAIT on (safe). Off is the unsafe mode of the lesson about old duplicates. */
  timeWait: boolean;
  /** How long an orphaned FIN_WAIT_2 waits for the peer's FIN (Linux tcp_fin_timeout 60 s). */
  finWait2TimeoutMs: number;
  /** SYN retransmissions before connect() fails (Linux tcp_syn_retries 6: gives up after 127 s, where RFC 1122 4.2.3.5 asks for at least 3 minutes). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is freed (Linux tcp_synack_retries 5). */
  synAckRetries: number;
  /** Data retransmissions before the connection times out (Linux tcp_retries2 15). */
  maxRetries: number;
  /** RFC 6298 2.1: 1 s. */
  initialRtoMs: number;
  /** RFC 6298 2.4 says 1 s; Linux uses 200 ms, our default, so loss on low-RTT lab links recovers at a watchable pace. */
  minRtoMs: number;
  maxRtoMs: number;
  /** Initial window in segments: RFC 6928 / Linux: 10. */
  initialWindow: number;
  /**
   * How cwnd grows and shrinks (congestion.ts): 'newreno' (RFC 5681, the
   * default: the textbook algorithm, easiest to follow in a lesson) or 'cubic'
   * (RFC 9438, Linux's default).
   */
  congestionControl: CongestionControlName;
  /** RFC 2018 selective acknowledgements; with both ends agreeing, loss recovery is RFC 6675's (else NewReno, RFC 6582). */
  sack: boolean;
  /**
   * Keep the SACK scoreboard across a retransmission timeout. RFC 2018 8 (and
   * RFC 6675 5.1, which does not change it) says a sender SHOULD forget SACK
   * information on an RTO, since the receiver may have reneged: that is the
   * default, false. Linux keeps it (tcp_enter_loss clears it only when it saw
   * reneging), which saves resending SACKed data after a timeout; we detect
   * reneging either way (SND.UNA landing inside a SACKed range).
   */
  rtoKeepsSack: boolean;
  /** RFC 7323 timestamps (RTTM and PAWS). */
  timestamps: boolean;
  /** RFC 7323 window scaling. */
  windowScaling: boolean;
  /**
   * SYN cookies (RFC 4987 3.6, syncookie.ts) when a listener's SYN backlog is
   * full. Default off, so a SYN flood visibly fills the backlog and drops SYNs
   * in a lesson; Linux's default (net.ipv4.tcp_syncookies = 1) is on.
   */
  synCookies: boolean;
  /** RFC 5961 7: challenge ACKs per second (Linux tcp_challenge_ack_limit 1000). */
  challengeAckLimit: number;
  /** Out-of-order blocks the receiver keeps. */
  maxOutOfOrderBlocks: number;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  mss: undefined,
  sendBuffer: 256 * 1024,
  receiveBuffer: 256 * 1024,
  nagle: true,
  delayedAck: true,
  delayedAckMs: 200,
  keepalive: false,
  keepIdleMs: 7_200_000,
  keepIntervalMs: 75_000,
  keepCount: 9,
  mslMs: 30_000,
  timeWait: true,
  finWait2TimeoutMs: 60_000,
  synRetries: 6,
  synAckRetries: 5,
  maxRetries: 15,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 120_000,
  initialWindow: 10,
  congestionControl: 'newreno',
  sack: true,
  rtoKeepsSack: false,
  timestamps: true,
  windowScaling: true,
  synCookies: false,
  challengeAckLimit: 1000,
  maxOutOfOrderBlocks: 32,
};

/** RFC 9293 3.3.2: the eleven states. */
export type TcpState = 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RCVD' | 'ESTABLISHED' | 'FIN_WAIT_1' | 'FIN_WAIT_2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK';

/** Window scale shift so that `buffer` fits a 16-bit window field (RFC 7323 2.3: at most 14). */
export function windowScaleFor(buffer: number): number {
  let shift = 0;
  while (shift < 14 && buffer >>> shift > 0xffff) shift++;
  return shift;
}
