/**
 * The connections table's memory: every TCP connection of this tab's hosts,
 * built from two sources that complement each other.
 *
 * - Trace events (`tcp` state changes, retransmissions, errors) say *when*
 *   each state was entered and why, so a state that lasts a microsecond
 *   (SYN_RCVD on a fast link, FIN_WAIT_1) still shows in the trail.
 * - Polled snapshots (`connections(host)`) give the numbers: cwnd, SRTT, the
 *   running timer, bytes queued. They also reveal connections that were open
 *   before the panel started listening.
 *
 * A closed connection moves to a short history (newest first) so a learner can
 * still read how it ended. Plain TypeScript, no runes: the panel's state class
 * publishes `rows()` after each change.
 *
 * Ordering: the trace and the poll replies arrive on different channels, and
 * the trace is batched (once per frame) while a poll is answered at once. So a
 * poll reply can list a connection whose first trace events are still on their
 * way (the row starts from the poll, and the trace rewrites its trail when it
 * comes), or describe the world just before a trace batch already applied.
 * Each poll is stamped with `mark()` when issued; a reply never revives a
 * connection that closed after that mark, and a live connection missing from
 * replies is only declared gone if it was quiet since before the poll.
 */

import type { ConnectionSnapshot } from '../../../worker/lab';
import type { TcpInfo } from '../../../worker/transport/tcp/tcb';
import type { TraceEvent } from '../../../worker/trace/events';
import type { TcpState } from './types';

export interface TrailStep {
  state: TcpState;
  /** Stack time the state was entered (ms); undefined when it was already so before we looked. */
  t: number | undefined;
  /** Why, in the stack's words ("rcv SYN,ACK / snd ACK"); CRASHED / VANISHED for the book's own reasons. */
  cause: string;
}

/** Causes the book writes itself (the stack never reports these). */
export const CRASHED = 'host crashed';
export const VANISHED = 'vanished';

/** The numbers of a snapshot, without the fields the row has already. */
export type ConnectionNumbers = Omit<TcpInfo, 'state' | 'local' | 'remote'>;

export interface ConnectionRow {
  /** Unique for the table's lifetime: a port pair can be used again by a later connection. */
  key: string;
  host: string;
  conn: string;
  local: string;
  remote: string;
  state: TcpState;
  trail: TrailStep[];
  /** Retransmissions seen in the trace (the snapshot's count wins while there is one). */
  retransmits: number;
  /** The last error the stack reported (ECONNRESET, ECONNREFUSED, ETIMEDOUT). */
  error: string | undefined;
  numbers: ConnectionNumbers | undefined;
  closed: boolean;
}

interface Entry extends ConnectionRow {
  /** mark() value when the trace last touched it. */
  touched: number;
  /** Whether any trace event has described it yet (else it is known only from a poll). */
  traced: boolean;
  /** Polls in a row (issued after `touched`) that did not list it. */
  missing: number;
}

/** How many polls must miss a connection before it is declared gone. */
const MISSES_TO_VANISH = 2;

const idOf = (host: string, conn: string) => `${host} ${conn}`;

/** "10.0.0.1:49152>10.0.0.2:23" -> ["10.0.0.1:49152", "10.0.0.2:23"] */
export function endpointsOf(conn: string): [string, string] {
  const i = conn.indexOf('>');
  return i < 0 ? [conn, ''] : [conn.slice(0, i), conn.slice(i + 1)];
}

/** The states a trail went through, as text: "SYN_SENT → ESTABLISHED → FIN_WAIT_1". */
export function trailText(trail: readonly TrailStep[]): string {
  return trail.map((s) => s.state).join(' → ');
}

export class ConnectionBook {
  private readonly live = new Map<string, Entry>();
  private closed: Entry[] = [];
  private serial = 0;
  private clock = 0;

  constructor(private readonly keepClosed = 20) {}

  /** A stamp for a poll about to be issued. */
  mark(): number {
    return ++this.clock;
  }

  /** Applies a trace batch; true if anything the table shows changed. */
  applyAll(batch: readonly TraceEvent[]): boolean {
    let changed = false;
    for (const e of batch) if (this.apply(e)) changed = true;
    return changed;
  }

  apply(e: TraceEvent): boolean {
    if (e.type === 'host' && e.what === 'down') return this.crash(e.host, e.t);
    if (e.type !== 'tcp') return false;
    const id = idOf(e.host, e.conn);
    switch (e.what) {
      case 'state': {
        let entry = this.live.get(id);
        if (!entry) entry = this.open(e.host, e.conn, e.to);
        if (!entry.traced) {
          // The trace is flushed once per frame, so a poll can meet a connection first: from its first event on, the trace tells the story.
          entry.traced = true;
          entry.trail = [];
          // A passive open starts from LISTEN (the listener's child); an active one from CLOSED, which goes without saying.
          if (e.from !== 'CLOSED') entry.trail.push({ state: e.from as TcpState, t: undefined, cause: '' });
        }
        entry.trail.push({ state: e.to as TcpState, t: e.t, cause: e.cause });
        entry.state = e.to as TcpState;
        entry.touched = this.clock;
        entry.missing = 0;
        if (entry.state === 'CLOSED') this.retire(id, entry);
        return true;
      }
      case 'retransmit': {
        const entry = this.live.get(id);
        if (!entry) return false;
        entry.retransmits++;
        entry.touched = this.clock;
        return true;
      }
      case 'error': {
        const entry = this.live.get(id) ?? this.closed.find((c) => c.host === e.host && c.conn === e.conn);
        // A challenge ACK is a defence, not a failure of the connection.
        if (!entry || e.code === 'challenge-ack') return false;
        entry.error = e.code;
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Merges one host's snapshots from a poll issued at `issued` (a `mark()`):
   * numbers for known connections, rows for connections opened before we
   * listened, and "gone" for live rows the host no longer has.
   */
  merge(host: string, snapshots: readonly ConnectionSnapshot[], issued: number): void {
    const listed = new Set<string>();
    for (const s of snapshots) {
      const id = idOf(host, s.conn);
      listed.add(id);
      let entry = this.live.get(id);
      if (!entry) {
        // Closed after the poll was issued: this snapshot is from before, not a new connection.
        if (this.closed.some((c) => c.host === host && c.conn === s.conn && c.touched >= issued)) continue;
        entry = this.open(host, s.conn, s.state);
        entry.trail.push({ state: s.state, t: undefined, cause: '' });
        entry.touched = issued;
      }
      const { state: _state, local: _local, remote: _remote, host: _host, conn: _conn, ...numbers } = s;
      entry.numbers = numbers;
    }
    for (const [id, entry] of this.live) {
      if (entry.host !== host || listed.has(id) || entry.touched >= issued) continue;
      if (++entry.missing >= MISSES_TO_VANISH) {
        entry.trail.push({ state: 'CLOSED', t: undefined, cause: VANISHED });
        entry.state = 'CLOSED';
        this.retire(id, entry);
      }
    }
  }

  /** Live connections in the order they appeared, then the recently closed, newest first. Fresh objects each time. */
  rows(): ConnectionRow[] {
    const copy = (e: Entry): ConnectionRow => ({
      key: e.key,
      host: e.host,
      conn: e.conn,
      local: e.local,
      remote: e.remote,
      state: e.state,
      trail: e.trail.slice(),
      retransmits: Math.max(e.retransmits, e.numbers?.retransmits ?? 0),
      error: e.error,
      numbers: e.numbers,
      closed: e.closed,
    });
    return [...[...this.live.values()].map(copy), ...this.closed.map(copy)];
  }

  get liveCount(): number {
    return this.live.size;
  }

  get closedCount(): number {
    return this.closed.length;
  }

  clearClosed(): void {
    this.closed = [];
  }

  private open(host: string, conn: string, state: TcpState | string): Entry {
    const [local, remote] = endpointsOf(conn);
    const entry: Entry = {
      key: `c${++this.serial}`,
      host,
      conn,
      local,
      remote,
      state: state as TcpState,
      trail: [],
      retransmits: 0,
      error: undefined,
      numbers: undefined,
      closed: false,
      touched: this.clock,
      traced: false,
      missing: 0,
    };
    this.live.set(idOf(host, conn), entry);
    return entry;
  }

  private retire(id: string, entry: Entry): void {
    this.live.delete(id);
    entry.closed = true;
    // The numbers of a closed connection would be frozen mid-flight: keep only the counts.
    if (entry.numbers) entry.numbers = { ...entry.numbers, timer: undefined };
    this.closed = [entry, ...this.closed].slice(0, this.keepClosed);
  }

  /** A host crashed: its connections are gone without a word on the wire. */
  private crash(host: string, t: number): boolean {
    let changed = false;
    for (const [id, entry] of this.live) {
      if (entry.host !== host) continue;
      entry.trail.push({ state: 'CLOSED', t, cause: CRASHED });
      entry.state = 'CLOSED';
      entry.touched = this.clock;
      this.retire(id, entry);
      changed = true;
    }
    return changed;
  }
}
