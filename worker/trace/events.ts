/**
 * Typed trace events: the one output of the stack that the UI, pcap export and
 * tests all consume. The UI never reaches into the stack's internals; what it
 * shows is what is traced here.
 *
 * Every event carries the stack time `t` (ms) and the `host` name, because solo
 * mode runs two hosts into one trace stream.
 */

import type { WireErrorReason } from '../wire/result';

export type Layer = 'link' | 'ethernet' | 'arp' | 'ipv4' | 'icmp' | 'udp' | 'tcp' | 'app';

export type Direction = 'tx' | 'rx';

/** Why something was dropped. Wire reasons come from the parsers; the rest from the layers. */
export type DropReason =
  | WireErrorReason
  | 'not-for-us' // Ethernet destination is neither our MAC nor broadcast
  | 'nic-queue-full' // egress queue tail-drop (link backpressure)
  | 'link-down' // interface or cable is down
  | 'too-big' // larger than the interface MTU
  | 'arp-failed' // no ARP reply after the retries; queued packets are dropped
  | 'arp-queue-full' // too many packets waiting for one ARP resolution
  | 'no-route' // no route to the destination
  | 'not-forwarding' // a packet for another host while forwarding is off
  | 'ttl-exceeded' // TTL reached zero while forwarding
  | 'frag-needed' // DF set and the datagram is larger than the next hop's MTU
  | 'martian' // impossible source address (ours, broadcast, multicast, zero)
  | 'reassembly-timeout' // fragments never completed
  | 'reassembly-overlap' // overlapping fragments with conflicting data (the datagram is discarded)
  | 'reassembly-limit' // reassembly memory bound reached
  | 'duplicate-fragment' // an exact copy of a fragment already held (harmless; ignored)
  | 'broadcast-echo' // echo request to a broadcast address, ignored like Linux's icmp_echo_ignore_broadcasts
  | 'unknown-protocol' // no handler for the IP protocol number
  | 'port-unreachable' // no socket bound to the destination port
  | 'icmp-rate-limited' // an ICMP error we would have sent was suppressed
  | 'socket-queue-full' // receiving socket's queue is full
  | 'unexpected-response' // a DNS response that matches no query we sent (wrong ID, question, address or port: RFC 5452)
  | 'dns-busy'; // a DNS server already resolving as many queries as it allows

export interface FrameEvent {
  type: 'frame';
  t: number;
  host: string;
  iface: string;
  dir: Direction;
  /** Per-host frame number, also the key in the frame store. */
  id: number;
  /** The frame itself. Shared, never mutated by the stack: do not modify. */
  frame: Uint8Array;
  /** tx: what the sending TCP knew about this segment (retransmission and why, duplicate ACK, ...). */
  expert?: FrameExpert;
}

/**
 * Expert findings about a TCP segment, as bits (Wireshark's tcp.analysis.*),
 * set from the stack's true state rather than inferred from the capture.
 */
export const TcpExpertFlag = {
  /** tx: a resend of sequence space already sent (cause in FrameExpert.cause). */
  RETRANSMISSION: 1,
  /** tx: a pure ACK repeating the last ACK and window (RFC 5681 2); rx: an ACK the sender counted as a duplicate. */
  DUPLICATE_ACK: 2,
  /** tx: a pure ACK that only opens the window (same ACK number, larger window). */
  WINDOW_UPDATE: 4,
  /** tx: the segment advertises a zero receive window. */
  ZERO_WINDOW: 8,
  /** tx: a persist-timer probe of the peer's zero window (RFC 9293 3.8.6.1). */
  ZERO_WINDOW_PROBE: 16,
  /** tx: a keepalive probe, SEG.SEQ = SND.NXT - 1 (RFC 1122 4.2.3.6). */
  KEEP_ALIVE: 32,
  /** tx: the data reaches the right edge of the peer's window; rx: it fills ours. */
  WINDOW_FULL: 64,
  /** rx: data that arrived beyond a gap (above RCV.NXT) and waits for the missing bytes. */
  OUT_OF_ORDER: 128,
} as const;

export type RetransmitCause = 'rto' | 'dupack' | 'partial-ack' | 'sack' | 'syn' | 'probe' | 'keepalive';

export interface FrameExpert {
  /** TcpExpertFlag bits. */
  flags: number;
  /** RETRANSMISSION: what triggered it. */
  cause?: RetransmitCause;
  /** DUPLICATE_ACK (tx): which repeat of the same ACK this is (1 for the first duplicate). */
  dupAck?: number;
}

export interface DropEvent {
  type: 'drop';
  t: number;
  host: string;
  layer: Layer;
  reason: DropReason;
  /** A sentence for people. */
  detail: string;
  /** The frame, when the drop is of a whole received frame. */
  frameId?: number;
  len?: number;
}

export interface ArpEvent {
  type: 'arp';
  t: number;
  host: string;
  what:
    | 'request-sent' // who-has
    | 'reply-sent' // is-at
    | 'learned' // new cache entry
    | 'updated' // entry's MAC changed (peer restarted with a new MAC, or gratuitous ARP)
    | 'refreshed' // entry confirmed, same MAC
    | 'resolved' // a pending resolution completed; queued packets go out
    | 'failed' // no answer after the retries
    | 'expired' // entry aged out
    | 'gratuitous-sent'; // announcement when the interface comes up
  ip: number;
  mac?: number;
  /** Packets released (resolved) or dropped (failed). */
  packets?: number;
}

export interface IpEvent {
  type: 'ip';
  t: number;
  host: string;
  what: 'fragmented' | 'reassembled' | 'forwarded';
  src: number;
  dst: number;
  ident: number;
  protocol: number;
  /** fragmented: number of fragments; reassembled: datagram size; forwarded: new TTL. */
  value: number;
}

export interface IcmpEvent {
  type: 'icmp';
  t: number;
  host: string;
  what: 'echo-request-sent' | 'echo-reply-sent' | 'echo-reply-received' | 'error-sent' | 'error-received';
  peer: number;
  /** ICMP type and code (for errors), or ident/seq for echoes. */
  icmpType: number;
  code: number;
  seq?: number;
}

export interface SocketEvent {
  type: 'socket';
  t: number;
  host: string;
  protocol: 'udp' | 'tcp';
  what: 'bind' | 'close' | 'error';
  localPort: number;
  detail?: string;
}

export interface TimerEvent {
  type: 'timer';
  t: number;
  host: string;
  what: 'start' | 'stop' | 'fire';
  /** e.g. "arp-retry", "reassembly", "rto", "persist", "time-wait". */
  kind: string;
  /** Which thing it belongs to: "10.0.0.2", a connection's 4-tuple. */
  owner: string;
  deadline?: number;
}

export interface HostEvent {
  type: 'host';
  t: number;
  host: string;
  what: 'up' | 'down' | 'config' | 'carrier-up' | 'carrier-down';
  detail: string;
}

/** What the link conditioner decided for a frame (worker/link/conditioner.ts). */
export interface FateEvent {
  type: 'fate';
  t: number;
  host: string;
  /** The conditioner's sequence number for the frame (shared by a frame and its duplicate). */
  id: number;
  /** The sending NIC's frame number: ties the fate to the tx frame in the log. */
  frameId: number | undefined;
  fate:
    | 'lost-random'
    | 'lost-burst'
    | 'corrupted'
    | 'duplicated'
    | 'reordered'
    | 'delayed'
    | 'queued'
    | 'queue-full'
    | 'too-big'
    | 'held'
    | 'released'
    | 'unplugged'
    | 'dropped'
    | 'link-busy';
  len: number;
  /** delayed: the delay added; queued: time waiting for the transmitter. */
  delayMs?: number;
}

/** TCP connection events (worker/transport/tcp). `conn` names the connection: "10.0.0.1:49152>10.0.0.2:80". */
export type TcpEvent =
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'state'; from: string; to: string; cause: string }
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'retransmit'; cause: RetransmitCause; seq: number; len: number }
  /** What the receiving TCP found about a segment it took in: TcpExpertFlag bits, tied to the rx frame (FrameEvent.id). */
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'expert'; frameId: number; flags: number }
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'error'; code: string; detail: string }
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'cwnd'; cwnd: number; ssthresh: number; cause: string }
  /** An RTT measurement (ms): from a timed segment or a timestamp echo, and SRTT, RTTVAR and RTO after it. */
  | { type: 'tcp'; t: number; host: string; conn: string; what: 'rtt'; sample: number; source: 'timed' | 'timestamp'; srtt: number; rttvar: number; rto: number }
  | TcpVarsEvent;

/**
 * The connection's true variables after it processed a segment, sent a burst or
 * was read from (at most one per such step, only while tracing): what the
 * windows panel draws. Sequence numbers are absolute; sizes in bytes; times in ms.
 */
export interface TcpVarsEvent {
  type: 'tcp';
  t: number;
  host: string;
  conn: string;
  what: 'vars';
  state: string;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  /** Highest sequence number sent so far (SND.NXT can fall below it after an RTO). */
  sndMax: number;
  /** SND.WND, scaled: the peer's offered window. */
  sndWnd: number;
  cwnd: number;
  ssthresh: number;
  /** FlightSize (RFC 5681): SND.NXT - SND.UNA. */
  flight: number;
  /** Bytes the application wrote that wait in the send buffer (sent or not). */
  sendQueued: number;
  mss: number;
  srtt: number;
  rttvar: number;
  rto: number;
  rcvNxt: number;
  /** The window we advertise from RCV.NXT. */
  rcvWnd: number;
  /** In-order bytes received that the application has not read yet. */
  unread: number;
  /** Out-of-order blocks held, flattened [left, right, left, right, ...) as sequence numbers. */
  held: number[];
  /** What the peer has SACKed of our data (the sender's scoreboard), flattened the same way. */
  sacked: number[];
}

/**
 * DNS (worker/apps/dns): what the resolver asked and heard, what a server
 * answered. The frames themselves are traced as frames; these say what they meant.
 */
export interface DnsEvent {
  type: 'dns';
  t: number;
  host: string;
  role: 'resolver' | 'server';
  /**
   * resolver: query (sent, also each retry), response (accepted), ignored (did not
   * match the query: RFC 5452), timeout (of one attempt), resolved / failed (the
   * whole lookup); server: answered, refused-to-answer is "answered" with its rcode.
   */
  what: 'query' | 'response' | 'ignored' | 'timeout' | 'resolved' | 'failed' | 'answered';
  /** "www.bob.lab. A" */
  question: string;
  /** The server asked, or the client answered. */
  peer?: number;
  /** Our address in the exchange (a server answers from the address it was asked on). */
  local?: number;
  id?: number;
  /** A sentence: "referral to lab. (a.nic.lab., b.nic.lab.)", "NXDOMAIN from cache". */
  detail: string;
}

/**
 * A phase of something an application did, for the ladder to mark: the steps
 * of loading a web page ("type a URL"), each when it begins.
 */
export interface AppEvent {
  type: 'app';
  t: number;
  host: string;
  phase: 'dns' | 'arp' | 'connect' | 'request' | 'response' | 'render' | 'close';
  /** A short note: the name looked up, the URL requested, the status line. */
  detail: string;
}

export type TraceEvent = FrameEvent | DropEvent | ArpEvent | IpEvent | IcmpEvent | SocketEvent | TimerEvent | HostEvent | FateEvent | TcpEvent | DnsEvent | AppEvent;

export type TraceListener = (event: TraceEvent) => void;

/**
 * Fan-out of trace events. `enabled` is checked by emitters before they build an
 * event object, so with no listeners (benchmarks) tracing costs one branch.
 */
export class Tracer {
  private listeners: TraceListener[] = [];

  get enabled(): boolean {
    return this.listeners.length > 0;
  }

  subscribe(listener: TraceListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: TraceEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](event);
  }
}
