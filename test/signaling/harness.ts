/**
 * A real signaling server on 127.0.0.1 (port 0) and real `ws` clients that
 * queue what they receive, for the signaling tests. No mocks: the clock is the
 * only thing injected, and only when a test asks for a manual one.
 */

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import type { LogEvent } from '../../signaling/log';
import { parseServerMessage, SIGNAL_PATH, type ServerMessage } from '../../signaling/protocol';
import { attachSignaling, type Signaling, type SignalingOptions } from '../../signaling/signaling';

export interface Harness {
  url: string;
  port: number;
  server: http.Server;
  signaling: Signaling;
  logs: LogEvent[];
  /** Server-side TCP sockets, in the order they connected. */
  sockets: Socket[];
  /** Moves the manual clock (only with `manualClock: true`). */
  advance(ms: number): void;
  connect(options?: ClientOptions, path?: string): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startSignaling(options: SignalingOptions & { manualClock?: boolean } = {}): Promise<Harness> {
  const { manualClock, ...signalingOptions } = options;
  let time = 1_000_000;
  const logs: LogEvent[] = [];
  const sockets: Socket[] = [];
  const clients: TestClient[] = [];
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('connection', (socket) => sockets.push(socket));
  const signaling = attachSignaling(server, {
    log: (record) => logs.push(record),
    ...(manualClock === true ? { now: () => time } : {}),
    ...signalingOptions,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `ws://127.0.0.1:${port}${SIGNAL_PATH}`;
  return {
    url,
    port,
    server,
    signaling,
    logs,
    sockets,
    advance(ms) {
      if (manualClock !== true) throw new Error('advance() needs manualClock: true');
      time += ms;
    },
    async connect(clientOptions, path = SIGNAL_PATH) {
      const client = new TestClient(new WebSocket(`ws://127.0.0.1:${port}${path}`, clientOptions));
      clients.push(client);
      await client.opened;
      return client;
    },
    async stop() {
      for (const client of clients) client.ws.terminate();
      signaling.close();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type MessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export class TestClient {
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Everything received, including what next() has already handed out. */
  readonly received: ServerMessage[] = [];
  private readonly queue: ServerMessage[] = [];
  private waiter: (() => void) | undefined;
  private isClosed = false;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.waiter?.();
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
    ws.on('error', () => {
      // Reported through 'close'.
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary frame');
      const parsed = parseServerMessage((data as Buffer).toString('utf8'));
      if (!parsed.ok) throw new Error(`the server sent an invalid message: ${parsed.message}`);
      this.received.push(parsed.value);
      this.queue.push(parsed.value);
      this.waiter?.();
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  /** The next message, whatever it is. */
  async next(timeoutMs = 3000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.isClosed) throw new Error('the connection closed while waiting for a message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message arrived in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift() as ServerMessage;
  }

  /** The next message, which must be of this type. */
  async expect<T extends ServerMessage['type']>(type: T, timeoutMs?: number): Promise<MessageOf<T>> {
    const message = await this.next(timeoutMs);
    if (message.type !== type) throw new Error(`expected "${type}" but got ${JSON.stringify(message)}`);
    return message as MessageOf<T>;
  }

  /** The next message, which must be an error with this code. */
  async expectError(code: MessageOf<'error'>['code']): Promise<MessageOf<'error'>> {
    const message = await this.expect('error');
    if (message.code !== code) throw new Error(`expected error "${code}" but got ${JSON.stringify(message)}`);
    return message;
  }

  /** Sends a ping and waits for the pong: proves the connection is alive and nothing else was queued. */
  async roundTrip(): Promise<void> {
    this.send({ type: 'ping' });
    await this.expect('pong');
  }

  get pending(): readonly ServerMessage[] {
    return this.queue;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

/** Host 1 creates a room and host 2 joins it; both sides' first messages are consumed. */
export async function pair(harness: Harness): Promise<{ a: TestClient; b: TestClient; room: string; tokenA: string; tokenB: string }> {
  const a = await harness.connect();
  a.send({ type: 'create' });
  const joinedA = await a.expect('joined');
  const b = await harness.connect();
  b.send({ type: 'join', room: joinedA.room });
  const joinedB = await b.expect('joined');
  await a.expect('peer-joined');
  return { a, b, room: joinedA.room, tokenA: joinedA.token, tokenB: joinedB.token };
}
