/**
 * The sockets a person opens by hand from the UI's TCP console: connections
 * they make with "connect", and connections accepted on the ports they listen
 * on (every host listens on the chat port, 23, from the start). Each gets a
 * small number, like a file descriptor, and everything that happens to it is an
 * event for the UI: opened, connected, data, end (the peer half-closed),
 * error, closed.
 *
 * Received data is read as it arrives (the console is an eager reader), but at
 * most `maxConsoleBytes` per socket per batch are passed on as bytes; the rest
 * is counted, so a bulk sender cannot flood the page.
 */

import type { AppHost as Host } from './app-host';
import type { Ipv4Addr } from '../wire/addr';
import { formatIpv4 } from '../wire/addr';
import type { TcpSocket } from '../transport/tcp/tcb';
import type { TcpListener } from '../transport/tcp/tcp';
import { SocketError } from '../transport/udp';

export const CHAT_PORT = 23;

export type SocketTableEvent =
  | { kind: 'listening'; host: string; port: number }
  | { kind: 'unlistened'; host: string; port: number }
  | { kind: 'open'; host: string; id: number; origin: 'connect' | 'accept'; conn: string; local: string; remote: string }
  | { kind: 'connected'; host: string; id: number }
  | { kind: 'data'; host: string; id: number; bytes: Uint8Array; total: number; skipped: number }
  | { kind: 'end'; host: string; id: number }
  | { kind: 'error'; host: string; id: number; code: string; message: string }
  | { kind: 'closed'; host: string; id: number };

interface Entry {
  id: number;
  socket: TcpSocket;
  received: number;
}

export class SocketTable {
  private readonly entries = new Map<number, Entry>();
  private readonly listeners = new Map<number, TcpListener>();
  private nextId = 3; // 0-2 are stdin/stdout/stderr, as everyone knows

  constructor(
    private readonly host: Host,
    private readonly emit: (e: SocketTableEvent) => void,
    private readonly maxConsoleBytes = 64 * 1024,
  ) {}

  /** Listens on a port; accepted connections become entries. */
  listen(port: number): void {
    const l = this.host.tcp.listen(port, 16);
    this.listeners.set(port, l);
    l.onConnection = () => {
      for (let s = l.accept(); s; s = l.accept()) {
        const e = this.add(s, 'accept');
        this.emit({ kind: 'connected', host: this.host.name, id: e.id });
      }
    };
    this.emit({ kind: 'listening', host: this.host.name, port });
  }

  unlisten(port: number): void {
    const l = this.listeners.get(port);
    if (!l) return;
    l.close();
    this.listeners.delete(port);
    this.emit({ kind: 'unlistened', host: this.host.name, port });
  }

  get listening(): number[] {
    return [...this.listeners.keys()].sort((a, b) => a - b);
  }

  /** Opens a connection; returns its number (the events tell how it goes). */
  connect(dst: Ipv4Addr, port: number): number {
    const s = this.host.tcp.connect(dst, port);
    const e = this.add(s, 'connect');
    s.onConnect = () => this.emit({ kind: 'connected', host: this.host.name, id: e.id });
    return e.id;
  }

  /** Queues bytes; returns how many fit in the send buffer. */
  send(id: number, bytes: Uint8Array): number {
    return this.need(id).socket.write(bytes);
  }

  shutdown(id: number): void {
    this.need(id).socket.shutdown();
  }

  close(id: number): void {
    this.need(id).socket.close();
  }

  abort(id: number): void {
    this.need(id).socket.abort();
  }

  /** A crash: every socket is gone without a word (the TCP layer was reset). */
  forgetAll(): void {
    for (const e of this.entries.values()) this.emit({ kind: 'closed', host: this.host.name, id: e.id });
    this.entries.clear();
    this.listeners.clear();
  }

  private need(id: number): Entry {
    const e = this.entries.get(id);
    if (!e) throw new SocketError('EBADF', `There is no open socket number ${id} on ${this.host.name}.`);
    return e;
  }

  private add(s: TcpSocket, origin: 'connect' | 'accept'): Entry {
    const e: Entry = { id: this.nextId++, socket: s, received: 0 };
    this.entries.set(e.id, e);
    const host = this.host.name;
    this.emit({
      kind: 'open',
      host,
      id: e.id,
      origin,
      conn: s.name,
      local: `${formatIpv4(s.localAddr)}:${s.localPort}`,
      remote: `${formatIpv4(s.remoteAddr)}:${s.remotePort}`,
    });
    s.onData = () => this.drain(e);
    s.onEnd = () => {
      this.drain(e);
      this.emit({ kind: 'end', host, id: e.id });
    };
    s.onError = (err) => this.emit({ kind: 'error', host, id: e.id, code: err.code, message: err.message });
    s.onClose = () => {
      this.entries.delete(e.id);
      this.emit({ kind: 'closed', host, id: e.id });
    };
    return e;
  }

  private drain(e: Entry): void {
    if (e.socket.readable === 0) return;
    const data = e.socket.read();
    e.received += data.length;
    const shown = data.length > this.maxConsoleBytes ? data.subarray(0, this.maxConsoleBytes) : data;
    this.emit({ kind: 'data', host: this.host.name, id: e.id, bytes: shown, total: e.received, skipped: data.length - shown.length });
  }
}
