/**
 * The TCP state diagram's model: the eleven states placed as in RFC 9293's
 * figure 5, its edges, and the mapping from a traced state change (from, to,
 * cause) to the edge it took. Connections' histories and per-edge counts are
 * kept, bounded, from the trace.
 *
 * CLOSED appears twice, as in the RFC's figure: at the top, where a
 * connection starts, and at the bottom, where TIME_WAIT and LAST_ACK end. A
 * connection that ends any other way (RST, abort, timeouts) takes an "abort"
 * edge to the bottom CLOSED, drawn only once it has been taken.
 */

import type { TraceEvent } from '../../../worker/trace/events';
import type { TcpState } from '../../../worker/transport/tcp/config';
import { connKey } from '../ladder/ladder-model';

export type NodeId = TcpState | 'CLOSED_END';

export interface NodePlace {
  id: NodeId;
  state: TcpState;
  x: number;
  y: number;
}

/** Centres in a 900 × 640 drawing, following the RFC's figure. */
export const NODES: readonly NodePlace[] = [
  { id: 'CLOSED', state: 'CLOSED', x: 450, y: 40 },
  { id: 'LISTEN', state: 'LISTEN', x: 450, y: 140 },
  { id: 'SYN_RCVD', state: 'SYN_RCVD', x: 150, y: 235 },
  { id: 'SYN_SENT', state: 'SYN_SENT', x: 750, y: 235 },
  { id: 'ESTABLISHED', state: 'ESTABLISHED', x: 450, y: 330 },
  { id: 'FIN_WAIT_1', state: 'FIN_WAIT_1', x: 150, y: 425 },
  { id: 'CLOSE_WAIT', state: 'CLOSE_WAIT', x: 750, y: 425 },
  { id: 'FIN_WAIT_2', state: 'FIN_WAIT_2', x: 150, y: 520 },
  { id: 'CLOSING', state: 'CLOSING', x: 450, y: 520 },
  { id: 'LAST_ACK', state: 'LAST_ACK', x: 750, y: 520 },
  { id: 'TIME_WAIT', state: 'TIME_WAIT', x: 450, y: 605 },
  { id: 'CLOSED_END', state: 'CLOSED', x: 750, y: 605 },
];

export const NODE_W = 140;
export const NODE_H = 34;

/** The RFC figure's labels (event / action); shown translated (src/lib/i18n/cause-text.ts). */
export type EdgeLabel =
  | 'passive OPEN'
  | 'CLOSE'
  | 'active OPEN / snd SYN'
  | 'rcv SYN / snd SYN,ACK'
  | 'SEND / snd SYN'
  | 'rcv RST'
  | 'rcv ACK of SYN'
  | 'rcv SYN,ACK / snd ACK'
  | 'CLOSE / snd FIN'
  | 'rcv FIN / snd ACK'
  | 'rcv ACK of FIN'
  | 'rcv FIN,ACK / snd ACK'
  | 'timeout = 2 MSL';

export interface EdgeSpec {
  id: string;
  from: NodeId;
  to: NodeId;
  /** The RFC figure's label: event / action ('' for abort edges, drawn without one). */
  label: EdgeLabel | '';
  /** Bend of the drawn curve, px (sign picks the side). */
  bend: number;
  abort?: boolean;
}

const e = (from: NodeId, to: NodeId, label: EdgeLabel, bend = 0): EdgeSpec => ({ id: `${from}>${to}`, from, to, label, bend });

export const EDGES: readonly EdgeSpec[] = [
  e('CLOSED', 'LISTEN', 'passive OPEN', -30),
  e('LISTEN', 'CLOSED', 'CLOSE', -30),
  e('CLOSED', 'SYN_SENT', 'active OPEN / snd SYN', 20),
  e('LISTEN', 'SYN_RCVD', 'rcv SYN / snd SYN,ACK', -20),
  e('LISTEN', 'SYN_SENT', 'SEND / snd SYN', 20),
  e('SYN_SENT', 'SYN_RCVD', 'rcv SYN / snd SYN,ACK', 0),
  e('SYN_RCVD', 'LISTEN', 'rcv RST', -20),
  e('SYN_SENT', 'CLOSED', 'CLOSE', 70),
  e('SYN_RCVD', 'ESTABLISHED', 'rcv ACK of SYN', -20),
  e('SYN_SENT', 'ESTABLISHED', 'rcv SYN,ACK / snd ACK', 20),
  e('SYN_RCVD', 'FIN_WAIT_1', 'CLOSE / snd FIN', 0),
  e('ESTABLISHED', 'FIN_WAIT_1', 'CLOSE / snd FIN', 20),
  e('ESTABLISHED', 'CLOSE_WAIT', 'rcv FIN / snd ACK', -20),
  e('FIN_WAIT_1', 'FIN_WAIT_2', 'rcv ACK of FIN', 0),
  e('FIN_WAIT_1', 'CLOSING', 'rcv FIN / snd ACK', 0),
  e('FIN_WAIT_1', 'TIME_WAIT', 'rcv FIN,ACK / snd ACK', 0),
  e('FIN_WAIT_2', 'TIME_WAIT', 'rcv FIN / snd ACK', 0),
  e('CLOSING', 'TIME_WAIT', 'rcv ACK of FIN', 0),
  e('CLOSE_WAIT', 'LAST_ACK', 'CLOSE / snd FIN', 0),
  e('LAST_ACK', 'CLOSED_END', 'rcv ACK of FIN', 0),
  e('TIME_WAIT', 'CLOSED_END', 'timeout = 2 MSL', 0),
];

const BY_ID = new Map(EDGES.map((x) => [x.id, x]));

export function nodeOf(id: NodeId): NodePlace {
  return NODES.find((n) => n.id === id)!;
}

/** The abort edge from a state to the bottom CLOSED (RST, abort, timeouts). */
export function abortEdge(from: TcpState): EdgeSpec {
  return { id: `${from}>CLOSED_END!`, from: from === 'CLOSED' ? 'CLOSED' : from, to: 'CLOSED_END', label: '', bend: from === 'ESTABLISHED' ? 60 : 30, abort: true };
}

/**
 * The edge a traced transition took. Normal paths map to the figure's edges;
 * every other way into CLOSED is an abort edge. Transitions the figure does not
 * have at all (none in this stack) map to undefined.
 */
export function edgeFor(from: string, to: string, cause: string): EdgeSpec | undefined {
  if (to === 'CLOSED') {
    if (from === 'TIME_WAIT' && /2 ?MSL/.test(cause)) return BY_ID.get('TIME_WAIT>CLOSED_END');
    if (from === 'LAST_ACK' && cause === 'rcv ACK of FIN') return BY_ID.get('LAST_ACK>CLOSED_END');
    if (from === 'SYN_SENT' && cause.startsWith('close')) return BY_ID.get('SYN_SENT>CLOSED');
    if (from === 'LISTEN' && cause.startsWith('close')) return BY_ID.get('LISTEN>CLOSED');
    if (!isState(from)) return undefined;
    return abortEdge(from);
  }
  return BY_ID.get(`${from}>${to}`);
}

const STATES = new Set<string>(NODES.map((n) => n.state));
function isState(s: string): s is TcpState {
  return STATES.has(s);
}

/** Where a connection is drawn: its state's node (the bottom CLOSED once it has ended). */
export function nodeFor(state: TcpState, ended: boolean): NodeId {
  return state === 'CLOSED' && ended ? 'CLOSED_END' : state;
}

export interface Transition {
  t: number;
  from: TcpState;
  to: TcpState;
  cause: string;
  edge: EdgeSpec | undefined;
}

export interface ConnHistory {
  host: string;
  /** The connection as its host names it ("local>remote"). */
  conn: string;
  key: string;
  state: TcpState;
  transitions: Transition[];
}

const KEEP_CONNS = 200;
const KEEP_TRANSITIONS = 64;

/** Every connection's states from the trace, and how often each edge was taken. */
export class FsmModel {
  private readonly conns = new Map<string, ConnHistory>();
  /** Edge id → times taken, over every connection seen. */
  readonly totals = new Map<string, number>();
  /** The connection (host's own name for it) whose state changed last. */
  latest: string | undefined;

  apply(batch: readonly TraceEvent[]): boolean {
    let changed = false;
    for (const ev of batch) {
      if (ev.type !== 'tcp' || ev.what !== 'state' || !isState(ev.to) || !isState(ev.from)) continue;
      let h = this.conns.get(ev.conn);
      // A new connection on the same ports: a fresh history.
      if (!h || (h.state === 'CLOSED' && (ev.from === 'CLOSED' || ev.from === 'LISTEN'))) {
        if (h) this.conns.delete(ev.conn);
        h = { host: ev.host, conn: ev.conn, key: connKey(ev.conn), state: ev.from, transitions: [] };
        this.conns.set(ev.conn, h);
        if (this.conns.size > KEEP_CONNS) this.conns.delete(this.conns.keys().next().value!);
      }
      const edge = edgeFor(ev.from, ev.to, ev.cause);
      h.transitions.push({ t: ev.t, from: ev.from, to: ev.to, cause: ev.cause, edge });
      if (h.transitions.length > KEEP_TRANSITIONS) h.transitions.shift();
      h.state = ev.to;
      h.host = ev.host;
      if (edge) this.totals.set(edge.id, (this.totals.get(edge.id) ?? 0) + 1);
      this.latest = ev.conn;
      changed = true;
    }
    return changed;
  }

  get(conn: string): ConnHistory | undefined {
    return this.conns.get(conn);
  }

  /** Times each edge was taken by one connection. */
  countsOf(conn: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const tr of this.conns.get(conn)?.transitions ?? []) if (tr.edge) out.set(tr.edge.id, (out.get(tr.edge.id) ?? 0) + 1);
    return out;
  }

  list(): ConnHistory[] {
    return [...this.conns.values()];
  }
}
