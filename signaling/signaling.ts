/**
 * The WebSocket signaling endpoint: pairs two tabs in a room and relays their
 * WebRTC offers, answers and ICE candidates, plus the app's small control
 * messages. It shares the app's HTTP server (one port, one origin) through the
 * `upgrade` event on SIGNAL_PATH; any other upgrade is refused.
 *
 * Per connection: every message is size-checked, rate-limited (token bucket)
 * and schema-validated before rooms.ts sees it. A bad message earns an `error`;
 * too many of them, flooding, or an oversized message earns an `error` and the
 * connection is closed, without disturbing anyone else. A ping every
 * `heartbeatMs` finds dead connections (browsers answer pings by themselves).
 *
 * Logs never contain SDP, ICE or control contents, nor tokens.
 */

import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { jsonLineLogger, type Logger } from './log';
import { MAX_MESSAGE_BYTES, parseClientMessage, SIGNAL_PATH, type ErrorCode, type ServerMessage } from './protocol';
import { DEFAULT_ROOM_LIMITS, Rooms, type Endpoint, type RoomLimits } from './rooms';

export interface SignalingLimits extends RoomLimits {
  /** Largest message accepted, in bytes (at most MAX_MESSAGE_BYTES, which the parser enforces anyway). */
  maxMessageBytes: number;
  /** Token bucket per connection: sustained messages per second ... */
  ratePerSecond: number;
  /** ... and the burst it allows (a WebRTC negotiation sends a few dozen ICE candidates at once). */
  rateBurst: number;
  /** Bad JSON or invalid messages tolerated per connection; the last one closes it. */
  maxStrikes: number;
  /** Most simultaneous signaling connections. */
  maxConnections: number;
}

export const DEFAULT_SIGNALING_LIMITS: Readonly<SignalingLimits> = {
  ...DEFAULT_ROOM_LIMITS,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  ratePerSecond: 50,
  rateBurst: 100,
  maxStrikes: 5,
  maxConnections: 5000,
};

export interface SignalingOptions extends Partial<SignalingLimits> {
  log?: Logger;
  /** Clock for rooms, grace periods and rate limits (milliseconds). Default: performance.now. */
  now?: () => number;
  randomBytes?: (count: number) => Uint8Array;
  /** Ping interval; a connection that has not answered the previous ping is dropped. 0 turns it off. Default 30 s. */
  heartbeatMs?: number;
  /** How often grace periods and idle rooms are checked. 0 turns it off (tests call sweep()). Default 1 s. */
  sweepMs?: number;
}

export interface Signaling {
  /**
   * For the HTTP server's 'upgrade' event. False, touching nothing, if the request is not for
   * SIGNAL_PATH (so another upgrade handler, such as Vite's hot reload, may take it).
   */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Applies grace periods and room expiry now (it also runs every `sweepMs`). */
  sweep(): void;
  stats(): { connections: number; rooms: number; members: number };
  /** Closes every signaling connection and stops the timers. */
  close(): void;
}

/** WebSocket close codes the server uses. */
export const CLOSE_CODES = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  /** Application codes: the client should not reconnect into the same room. */
  replaced: 4000,
  roomExpired: 4001,
} as const;

/** A misbehaving peer that does not finish the closing handshake is cut off after this long. */
const CLOSE_GRACE_MS = 2000;

/**
 * Creates the endpoint and attaches it to `server`: its 'upgrade' event, and its close(), which
 * then closes the signaling connections too. Upgrades to other paths are destroyed, unless
 * another 'upgrade' listener is there to take them.
 */
export function attachSignaling(server: http.Server, options: SignalingOptions = {}): Signaling {
  const signaling = createSignaling(options);
  const log = options.log ?? jsonLineLogger;
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (signaling.handleUpgrade(req, socket, head) || server.listenerCount('upgrade') > 1) return;
    log({ event: 'upgrade-refused', url: req.url, remote: req.socket.remoteAddress });
    socket.destroy();
  });
  // server.close() waits for every connection to end, and upgraded sockets are no longer the HTTP
  // server's to close: end them here, so closing the server is enough to stop everything.
  const closeServer = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    signaling.close();
    return closeServer(callback);
  }) as typeof server.close;
  return signaling;
}

export function createSignaling(options: SignalingOptions = {}): Signaling {
  const limits: SignalingLimits = { ...DEFAULT_SIGNALING_LIMITS, ...definedOnly(options) };
  const log = options.log ?? jsonLineLogger;
  const now = options.now ?? (() => performance.now());
  const randomBytes = options.randomBytes ?? ((count: number) => new Uint8Array(nodeRandomBytes(count)));
  const rooms = new Rooms({ ...limits, now, randomBytes, log });
  // ws closes anything beyond maxPayload by itself (1009, no explanation); below that, our own check
  // sends a `too-big` error first. The margin lets a client that is a little over the limit learn why.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes * 2 + 1024, perMessageDeflate: false });

  interface Connection {
    ws: WebSocket;
    endpoint: Endpoint;
    alive: boolean;
  }
  const connections = new Set<Connection>();
  let nextId = 1;
  let closed = false;

  function onConnection(ws: WebSocket, req: http.IncomingMessage): void {
    const id = nextId++;
    const opened = now();
    const bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst, opened);
    let strikes = 0;
    let closing = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;

    const send = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const end = (code: number, reason: string): void => {
      if (closing) return;
      closing = true;
      ws.close(code, reason);
      killTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      killTimer.unref();
    };
    /** An error, then the door. */
    const kick = (code: ErrorCode, message: string, closeCode: number): void => {
      send({ type: 'error', code, message });
      log({ event: 'signal-kick', conn: id, code });
      end(closeCode, code);
    };
    const strike = (code: ErrorCode, message: string): void => {
      strikes += 1;
      if (strikes >= limits.maxStrikes) kick(code, `${message} That is ${limits.maxStrikes} bad messages, so this connection is closed.`, CLOSE_CODES.policy);
      else send({ type: 'error', code, message });
    };

    const endpoint: Endpoint = {
      id,
      send,
      close: (code) => end(code === 'replaced' ? CLOSE_CODES.replaced : code === 'room-expired' ? CLOSE_CODES.roomExpired : CLOSE_CODES.policy, code),
    };
    const connection: Connection = { ws, endpoint, alive: true };
    connections.add(connection);
    log({ event: 'signal-open', conn: id, remote: req.socket.remoteAddress, connections: connections.size });

    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (closing) return;
      connection.alive = true;
      if (!bucket.take(now())) {
        kick('rate-limited', `Too many messages: at most ${limits.ratePerSecond} a second, in bursts of up to ${limits.rateBurst}. This connection is closed.`, CLOSE_CODES.policy);
        return;
      }
      const bytes = rawBytes(raw);
      if (bytes.length > limits.maxMessageBytes) {
        kick('too-big', `A message of ${bytes.length} bytes is over the limit of ${limits.maxMessageBytes}. This connection is closed.`, CLOSE_CODES.tooBig);
        return;
      }
      if (isBinary) {
        strike('bad-message', 'Messages must be JSON text frames, not binary.');
        return;
      }
      const parsed = parseClientMessage(bytes.toString('utf8'));
      if (!parsed.ok) {
        if (parsed.code === 'too-big') kick('too-big', parsed.message, CLOSE_CODES.tooBig);
        else strike(parsed.code, parsed.message);
        return;
      }
      rooms.handle(endpoint, parsed.value);
    });
    ws.on('error', (error: Error) => {
      // ws reports protocol violations here (oversized frame, invalid UTF-8) and then closes the socket.
      log({ event: 'signal-socket-error', conn: id, message: error.message });
    });
    ws.on('close', (code: number) => {
      if (killTimer !== undefined) clearTimeout(killTimer);
      connections.delete(connection);
      rooms.disconnected(endpoint);
      log({ event: 'signal-close', conn: id, code, seconds: Math.round((now() - opened) / 100) / 10, connections: connections.size });
    });
  }

  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const connection of connections) {
            if (!connection.alive) {
              log({ event: 'signal-dead', conn: connection.endpoint.id });
              connection.ws.terminate();
              continue;
            }
            connection.alive = false;
            connection.ws.ping();
          }
        }, heartbeatMs)
      : undefined;
  heartbeat?.unref();

  const sweepMs = options.sweepMs ?? 1000;
  const sweeper = sweepMs > 0 ? setInterval(() => rooms.sweep(), sweepMs) : undefined;
  sweeper?.unref();

  return {
    handleUpgrade(req, socket, head) {
      if (pathOf(req.url) !== SIGNAL_PATH) return false;
      if (closed || connections.size >= limits.maxConnections) {
        log({ event: 'upgrade-refused', reason: closed ? 'stopping' : 'too-many-connections', remote: req.socket.remoteAddress });
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
      return true;
    },
    sweep() {
      rooms.sweep();
    },
    stats() {
      return { connections: connections.size, rooms: rooms.roomCount, members: rooms.memberCount };
    },
    close() {
      if (closed) return;
      closed = true;
      if (heartbeat !== undefined) clearInterval(heartbeat);
      if (sweeper !== undefined) clearInterval(sweeper);
      for (const { ws } of connections) {
        ws.close(CLOSE_CODES.goingAway, 'server stopping');
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      }
      wss.close();
    },
  };
}

/** Sustained `perSecond` with bursts up to `burst`; time in milliseconds. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function rawBytes(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** Options minus keys explicitly set to undefined, so they do not erase the defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
