/**
 * State of the TCP console: the sockets a person opened by hand (connect) and
 * those the hosts accepted on the ports they listen on (23 from the start),
 * each with a transcript; the connect and listen forms.
 *
 * Everything that happens to a socket arrives as a SocketTableEvent batch;
 * its TCP state comes from the trace (the same `tcp` state events the
 * connections table reads). Socket events carry no time of their own, so a
 * transcript line is stamped with the time of the latest trace event seen:
 * both are flushed together, trace first, once per frame.
 *
 * Sending honours backpressure: `send` may accept fewer bytes than given (the
 * send buffer is full); the rest waits here and is offered again shortly.
 * Close and half-close wait for that queue to drain, as a program's buffered
 * output is flushed before it closes; abort throws it away.
 */

import type { MessageKey } from '../../lib/i18n/i18n.svelte';
import { stack } from '../../lib/stack/client';
import type { SocketTableEvent } from '../../../worker/apps/socket-table';
import type { TraceEvent } from '../../../worker/trace/events';
import type { LabState } from '../lab/lab.svelte';
import { errorsFirst } from './socket-events';
import { joinPieces, renderBytes, splitLines, Utf8Reader, type TextPiece } from './text';
import { CHAT_PORT, type TcpState } from './types';

/** Transcript lines kept per socket. */
const MAX_LINES = 500;
/** How long to wait before offering queued bytes again when the send buffer was full (wall ms). */
const RETRY_MS = 100;
/** TCP states remembered for connections the console has not met yet (their socket event comes after the trace). */
const MAX_EARLY_STATES = 256;

export type SystemParams = Readonly<Record<string, string | number>>;

export type TranscriptLine =
  | { key: number; t: number | undefined; kind: 'sent' | 'received'; pieces: TextPiece[]; open: boolean }
  | { key: number; t: number | undefined; kind: 'system'; message: MessageKey; params?: SystemParams; tone?: 'bad' };

export interface Listening {
  host: string;
  port: number;
}

const errorKeys: Readonly<Record<string, MessageKey>> = {
  ECONNREFUSED: 'sockets.sys.refused',
  ECONNRESET: 'sockets.sys.reset',
  ETIMEDOUT: 'sockets.sys.timedOut',
};

let lineKeys = 0;

export class ConsoleSocket {
  readonly key: string;
  readonly host: string;
  readonly id: number;
  readonly origin: 'connect' | 'accept';
  readonly conn: string;
  readonly local: string;
  readonly remote: string;
  lines = $state.raw<TranscriptLine[]>([]);
  tcpState = $state<TcpState | undefined>();
  connected = $state(false);
  peerEnded = $state(false);
  /** We half-closed (shutdown). */
  shut = $state(false);
  /** We closed or aborted. */
  released = $state(false);
  /** The socket is gone (its last event). */
  closed = $state(false);
  sent = $state(0);
  received = $state(0);
  /** Bytes given to Send that the stack has not taken yet. */
  waiting = $state(0);
  unread = $state(0);
  draft = $state('');

  readonly canSend = $derived(this.connected && !this.shut && !this.released && !this.closed);
  readonly canShutdown = $derived(this.connected && !this.shut && !this.released && !this.closed);
  readonly canClose = $derived(!this.released && !this.closed);
  readonly canAbort = $derived(!this.closed);

  /** Queued bytes, oldest first. */
  outbox: Uint8Array[] = [];
  pumping: Promise<void> | undefined;
  private readonly reader = new Utf8Reader();

  constructor(key: string, e: Extract<SocketTableEvent, { kind: 'open' }>) {
    this.key = key;
    this.host = e.host;
    this.id = e.id;
    this.origin = e.origin;
    this.conn = e.conn;
    this.local = e.local;
    this.remote = e.remote;
  }

  system(t: number | undefined, message: MessageKey, params?: SystemParams, tone?: 'bad'): void {
    this.push({ key: ++lineKeys, t, kind: 'system', message, params, tone });
  }

  wrote(t: number | undefined, bytes: Uint8Array): void {
    // The line as typed, without the newline Enter adds.
    const shown = bytes[bytes.length - 1] === 0x0a ? bytes.subarray(0, -1) : bytes;
    this.push({ key: ++lineKeys, t, kind: 'sent', pieces: renderBytes(shown), open: false });
  }

  /** Bytes read from the socket: continues an unfinished received line, then one line per newline. */
  receive(t: number | undefined, bytes: Uint8Array): void {
    this.appendReceived(t, this.reader.read(bytes));
  }

  /** The peer's FIN: a multi-byte character cut short is shown as its bytes. */
  end(t: number | undefined): void {
    this.appendReceived(t, this.reader.end());
  }

  private appendReceived(t: number | undefined, pieces: TextPiece[]): void {
    if (pieces.length === 0) return;
    const { lines, rest } = splitLines(pieces);
    const out = this.lines.slice();
    let first = true;
    const add = (linePieces: TextPiece[], open: boolean) => {
      const last = out[out.length - 1];
      if (first && last?.kind === 'received' && last.open) out[out.length - 1] = { ...last, pieces: joinPieces(last.pieces, linePieces), open };
      else out.push({ key: ++lineKeys, t, kind: 'received', pieces: linePieces, open });
      first = false;
    };
    for (const line of lines) add(line, false);
    if (rest.length > 0) add(rest, true);
    this.lines = out.length > MAX_LINES ? out.slice(out.length - MAX_LINES) : out;
  }

  private push(line: TranscriptLine): void {
    const out = [...this.lines, line];
    this.lines = out.length > MAX_LINES ? out.slice(out.length - MAX_LINES) : out;
  }
}

export class ConsoleState {
  sockets = $state.raw<ConsoleSocket[]>([]);
  selectedKey = $state<string | undefined>();
  readonly selected = $derived(this.sockets.find((s) => s.key === this.selectedKey));
  /** What went wrong with the last command, for people. */
  error = $state.raw<{ message: MessageKey; params?: SystemParams } | undefined>();

  /** Connect form. */
  fromChoice = $state('');
  targetChoice = $state('');
  port = $state(CHAT_PORT);
  connecting = $state(false);

  /** Listen form. */
  listenHostChoice = $state('');
  listenPort = $state(2323);
  /** Ports each host listens on, from the socket events; hosts not heard from listen on the chat port, as every host starts. */
  private heard = $state.raw<Record<string, number[]>>({});

  private serial = 0;
  private lastT: number | undefined;
  /** Live sockets by `${host}:${id}` and by `${host} ${conn}`. */
  private readonly byId = new Map<string, ConsoleSocket>();
  private readonly byConn = new Map<string, ConsoleSocket>();
  private readonly earlyStates = new Map<string, TcpState>();
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly lab: LabState) {
    this.unsubscribe = [lab.subscribe((batch) => this.onTrace(batch)), lab.subscribeSockets((batch) => this.onSockets(batch))];
  }

  dispose(): void {
    this.unsubscribe.forEach((u) => u());
  }

  /** This tab's hosts (both in solo mode, one in a pairing). */
  get localHosts(): string[] {
    return this.lab.hosts.map((h) => h.name);
  }

  get from(): string {
    const hosts = this.localHosts;
    return hosts.includes(this.fromChoice) ? this.fromChoice : (hosts[0] ?? '');
  }

  get targets() {
    return this.lab.targetsOf(this.from);
  }

  get target(): string {
    const targets = this.targets;
    return targets.some((h) => h.ip === this.targetChoice) ? this.targetChoice : (targets[0]?.ip ?? '');
  }

  get listenHost(): string {
    const hosts = this.localHosts;
    return hosts.includes(this.listenHostChoice) ? this.listenHostChoice : (hosts[0] ?? '');
  }

  get listening(): Listening[] {
    return this.localHosts.flatMap((host) => (this.heard[host] ?? [CHAT_PORT]).map((port) => ({ host, port })));
  }

  /** The host's name for an "ip:port" endpoint, if it is one of the lab's. */
  nameOf(endpoint: string): string | undefined {
    const ip = endpoint.split(':')[0];
    return this.lab.everyone.find((h) => h.ip === ip)?.name;
  }

  select(key: string): void {
    this.selectedKey = key;
    const s = this.sockets.find((x) => x.key === key);
    if (s) s.unread = 0;
  }

  async connect(): Promise<void> {
    const port = validPort(this.port);
    if (port === undefined) return void (this.error = { message: 'sockets.badPort' });
    if (this.connecting || !this.from || !this.target) return;
    this.connecting = true;
    this.error = undefined;
    try {
      const id = await stack().connect(this.from, this.target, port);
      // Its 'open' event may come before or after this reply.
      const s = this.byId.get(`${this.from}:${id}`);
      if (s) this.select(s.key);
    } catch (err) {
      this.fail(err);
    } finally {
      this.connecting = false;
    }
  }

  async listen(): Promise<void> {
    const port = validPort(this.listenPort);
    if (port === undefined) return void (this.error = { message: 'sockets.badPort' });
    this.error = undefined;
    await this.guard(() => stack().listen(this.listenHost, port));
  }

  async unlisten(l: Listening): Promise<void> {
    this.error = undefined;
    await this.guard(() => stack().unlisten(l.host, l.port));
  }

  /** Sends the socket's draft and a newline. */
  sendDraft(s: ConsoleSocket): void {
    if (!s.canSend) return;
    const bytes = new TextEncoder().encode(`${s.draft}\n`);
    s.draft = '';
    s.wrote(this.now(), bytes);
    s.outbox.push(bytes);
    s.waiting += bytes.length;
    void this.pump(s);
  }

  async shutdown(s: ConsoleSocket): Promise<void> {
    if (!s.canShutdown) return;
    s.shut = true;
    await s.pumping;
    s.system(this.now(), 'sockets.sys.shutdown');
    await this.guard(() => stack().shutdown(s.host, s.id));
  }

  async close(s: ConsoleSocket): Promise<void> {
    if (!s.canClose) return;
    s.released = true;
    await s.pumping;
    s.system(this.now(), 'sockets.sys.close');
    await this.guard(() => stack().close(s.host, s.id));
  }

  async abort(s: ConsoleSocket): Promise<void> {
    if (!s.canAbort) return;
    s.released = true;
    const dropped = s.waiting;
    s.outbox = [];
    s.waiting = 0;
    s.system(this.now(), 'sockets.sys.abort');
    if (dropped > 0) s.system(this.now(), 'sockets.sys.unsentAbort', { count: dropped }, 'bad');
    await this.guard(() => stack().abort(s.host, s.id));
  }

  /** Forgets sockets that are closed. */
  clearClosed(): void {
    this.sockets = this.sockets.filter((s) => !s.closed);
    if (this.selectedKey && !this.sockets.some((s) => s.key === this.selectedKey)) this.selectedKey = this.sockets[0]?.key;
  }

  /** Offers queued bytes to the stack until all are taken; backs off while the send buffer is full. */
  private pump(s: ConsoleSocket): Promise<void> {
    if (s.pumping) return s.pumping;
    const run = async () => {
      try {
        while (s.outbox.length > 0) {
          const chunk = s.outbox[0]!;
          const n = await stack().send(s.host, s.id, chunk);
          s.sent += n;
          s.waiting -= n;
          if (n < chunk.length) {
            s.outbox[0] = chunk.subarray(n);
            await new Promise((r) => setTimeout(r, RETRY_MS));
          } else {
            s.outbox.shift();
          }
        }
      } catch (err) {
        if (s.waiting > 0) s.system(this.now(), 'sockets.sys.unsent', { count: s.waiting, message: messageOf(err) }, 'bad');
        s.outbox = [];
        s.waiting = 0;
      } finally {
        s.pumping = undefined;
      }
    };
    s.pumping = run();
    return s.pumping;
  }

  private onTrace(batch: readonly TraceEvent[]): void {
    for (const e of batch) {
      if (this.lastT === undefined || e.t > this.lastT) this.lastT = e.t;
      // A crash forgets every listener without a word; the reboot's own "listening" events follow.
      if (e.type === 'host' && e.what === 'down') this.heard = { ...this.heard, [e.host]: [] };
      if (e.type !== 'tcp' || e.what !== 'state') continue;
      const id = `${e.host} ${e.conn}`;
      const s = this.byConn.get(id);
      if (s) {
        s.tcpState = e.to as TcpState;
      } else {
        this.earlyStates.delete(id);
        this.earlyStates.set(id, e.to as TcpState);
        if (this.earlyStates.size > MAX_EARLY_STATES) this.earlyStates.delete(this.earlyStates.keys().next().value!);
      }
    }
  }

  private onSockets(batch: readonly SocketTableEvent[]): void {
    let added: ConsoleSocket[] = [];
    for (const e of errorsFirst(batch)) {
      const t = (e as { t?: number }).t ?? this.stamp();
      if (e.kind === 'listening' || e.kind === 'unlistened') {
        const ports = (this.heard[e.host] ?? []).filter((p) => p !== e.port);
        this.heard = { ...this.heard, [e.host]: e.kind === 'listening' ? [...ports, e.port].sort((a, b) => a - b) : ports };
        continue;
      }
      if (e.kind === 'open') {
        const s = new ConsoleSocket(`s${++this.serial}`, e);
        const connId = `${e.host} ${e.conn}`;
        s.tcpState = this.earlyStates.get(connId);
        this.earlyStates.delete(connId);
        this.byId.set(`${e.host}:${e.id}`, s);
        this.byConn.set(connId, s);
        if (e.origin === 'connect') s.system(t, 'sockets.sys.connecting', { local: e.local, remote: e.remote });
        else s.system(t, 'sockets.sys.accepted', { host: e.host, remote: e.remote, local: e.local });
        added = [...added, s];
        continue;
      }
      const s = this.byId.get(`${e.host}:${e.id}`);
      if (!s) continue;
      switch (e.kind) {
        case 'connected':
          s.connected = true;
          if (s.origin === 'connect') s.system(t, 'sockets.sys.connected');
          break;
        case 'data':
          s.received = e.total;
          s.receive(t, e.bytes);
          if (e.skipped > 0) s.system(t, 'sockets.sys.skipped', { count: e.skipped });
          if (s.key !== this.selectedKey) s.unread++;
          break;
        case 'end':
          s.peerEnded = true;
          s.end(t);
          s.system(t, 'sockets.sys.end');
          break;
        case 'error':
          s.system(t, errorKeys[e.code] ?? 'sockets.sys.error', { code: e.code, message: e.message }, 'bad');
          break;
        case 'closed':
          s.closed = true;
          s.tcpState = 'CLOSED';
          s.system(t, 'sockets.sys.closed');
          // Kept in byId: an event may still come for its number after the close.
          this.byConn.delete(`${e.host} ${s.conn}`);
          break;
      }
    }
    if (added.length === 0) return;
    this.sockets = [...this.sockets, ...added];
    // A connection we opened gets the screen; an accepted one only if nothing else has it (the others show a badge).
    const mine = added.filter((s) => s.origin === 'connect').pop();
    if (mine) this.select(mine.key);
    else if (!this.selected) this.select(added[0]!.key);
  }

  /** Stack time of a socket event: the latest traced event (flushed just before it), else the clock as last read. */
  private stamp(): number | undefined {
    return this.lastT ?? this.lab.now();
  }

  /** Stack time of something the person just did: the later of the latest trace event and the clock as last read. */
  private now(): number | undefined {
    const clock = this.lab.now();
    return clock === undefined ? this.lastT : Math.max(clock, this.lastT ?? 0);
  }

  private async guard(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.error = { message: 'sockets.failed', params: { message: messageOf(err) } };
  }
}

function validPort(port: number): number | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
