/**
 * The browser side of signaling: one WebSocket to the server's /signal endpoint,
 * the room this tab is in, and automatic reconnection.
 *
 * - `create()` makes a room (this tab becomes host 1); `join(code)` joins one.
 *   The server's answer arrives as `onJoined`.
 * - The rejoin token from `joined` is kept per room in `storage` (sessionStorage
 *   by default, which survives a reload of this tab and nothing else), so a
 *   reloaded page that joins the same room again gets its host number back.
 * - If the socket drops (server restart, network change, Wi-Fi hiccup), the
 *   client reconnects with exponential backoff and rejoins the same room with
 *   its token. The other peer sees `peer-left` ('disconnected') and then
 *   `peer-joined`; this tab gets a fresh `joined` (with `initiator: true` if the
 *   other peer is there: see signaling/protocol.ts for the initiator rule).
 * - A keepalive ping every `keepaliveMs` keeps the room from expiring and
 *   notices a connection that died silently (a laptop waking from sleep).
 *
 * Nothing here touches the DOM except the WebSocket constructor and the
 * storage, both injectable, so it runs in Node tests against the real server.
 */

import {
  normaliseRoomCode,
  parseServerMessage,
  SIGNAL_PATH,
  type ErrorCode,
  type HostNumber,
  type JoinedMessage,
  type JsonObject,
  type PeerLeftReason,
} from '../../../signaling/protocol';

export type SignalingStatus = 'connecting' | 'open' | 'closed';

/** The part of the WebSocket API used here; the browser's WebSocket and the `ws` package's both fit. */
export interface SignalingSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: object) => void): void;
  removeEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: object) => void): void;
}
export type SignalingSocketConstructor = new (url: string) => SignalingSocket;

/** The part of the Storage API used here (sessionStorage fits). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SignalingClientOptions {
  /** ws:// or wss:// URL of the endpoint; see signalingUrl(). */
  url: string;
  /** WebSocket constructor. Default: the browser's. */
  WebSocket?: SignalingSocketConstructor;
  /** Where rejoin tokens are kept. Default: sessionStorage when available; null keeps them in memory only. */
  storage?: TokenStorage | null;
  /** First reconnect delay; it doubles up to `reconnectMaxMs`, with ±25 % jitter. Default 500 ms. */
  reconnectInitialMs?: number;
  /** Default 10 s. */
  reconnectMaxMs?: number;
  /** Keepalive ping interval, and how long to wait for an answer before reconnecting. 0 turns it off. Default 25 s. */
  keepaliveMs?: number;
  /** For the jitter; default Math.random. */
  random?: () => number;
}

export interface SignalingError {
  code: ErrorCode;
  message: string;
}

/** The signaling endpoint on the same origin as `page` (normally `location`). */
export function signalingUrl(page: { protocol: string; host: string }): string {
  return `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}${SIGNAL_PATH}`;
}

const TOKEN_KEY_PREFIX = 'wiretab.signal.token.';
/** WebSocket.OPEN, spelled out so nothing depends on a global. */
const OPEN = 1;
const NORMAL_CLOSURE = 1000;

/** Errors after which retrying the same room cannot help. */
const GIVE_UP_ON_ROOM: ReadonlySet<ErrorCode> = new Set(['replaced', 'room-expired', 'no-such-room', 'room-full', 'too-many-rooms', 'server-busy']);

type Intent = { kind: 'create' } | { kind: 'join'; room: string };

export class SignalingClient {
  onJoined: ((message: JoinedMessage) => void) | undefined;
  onPeerJoined: ((host: HostNumber, session: number) => void) | undefined;
  onPeerLeft: ((host: HostNumber, reason: PeerLeftReason) => void) | undefined;
  onSignal: ((data: JsonObject) => void) | undefined;
  onControl: ((data: JsonObject) => void) | undefined;
  onError: ((error: SignalingError) => void) | undefined;
  onStatus: ((status: SignalingStatus) => void) | undefined;

  private readonly url: string;
  private readonly WebSocketImpl: SignalingSocketConstructor;
  private readonly storage: TokenStorage | undefined;
  private readonly memoryTokens = new Map<string, string>();
  private readonly reconnectInitialMs: number;
  private readonly reconnectMaxMs: number;
  private readonly keepaliveMs: number;
  private readonly random: () => number;

  private socket: SignalingSocket | undefined;
  private detachSocket: (() => void) | undefined;
  private currentStatus: SignalingStatus = 'closed';
  /** What to (re)establish whenever a socket opens; undefined: stay away. */
  private intent: Intent | undefined;
  private joined: JoinedMessage | undefined;
  private currentSession = 0;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private answerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SignalingClientOptions) {
    this.url = options.url;
    const WebSocketImpl = options.WebSocket ?? (typeof WebSocket === 'undefined' ? undefined : WebSocket);
    if (WebSocketImpl === undefined) throw new Error('SignalingClient needs a WebSocket implementation: pass options.WebSocket.');
    this.WebSocketImpl = WebSocketImpl;
    this.storage = options.storage === undefined ? defaultStorage() : (options.storage ?? undefined);
    this.reconnectInitialMs = options.reconnectInitialMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
    this.keepaliveMs = options.keepaliveMs ?? 25_000;
    this.random = options.random ?? Math.random;
  }

  get status(): SignalingStatus {
    return this.currentStatus;
  }

  /** The room this tab is in (canonical code), once joined. */
  get room(): string | undefined {
    return this.joined?.room;
  }

  get host(): HostNumber | undefined {
    return this.joined?.host;
  }

  /** The current pairing's number (see protocol.ts); signals are stamped with it. */
  get session(): number {
    return this.currentSession;
  }

  /** Makes a new room; this tab becomes host 1. */
  create(): void {
    this.intent = { kind: 'create' };
    this.joined = undefined;
    this.establish();
  }

  /**
   * Joins the room with this code (any case, dashes and spaces allowed), with the
   * stored token if this tab was in it before. False if the code cannot be a room code.
   */
  join(code: string): boolean {
    const room = normaliseRoomCode(code);
    if (room === undefined) return false;
    this.intent = { kind: 'join', room };
    if (this.joined?.room !== room) this.joined = undefined;
    this.establish();
    return true;
  }

  /** Sends a simple-peer signal to the other peer. False if not connected to a room right now (it is dropped). */
  signal(data: JsonObject): boolean {
    return this.sendInRoom({ type: 'signal', data, session: this.currentSession });
  }

  /** Sends a control message to the other peer. False if not connected to a room right now (resend after onPeerJoined). */
  control(data: JsonObject): boolean {
    return this.sendInRoom({ type: 'control', data });
  }

  /** Leaves the room for good (its slot is freed, the token forgotten) and closes the connection. */
  leave(): void {
    const room = this.joined?.room ?? (this.intent?.kind === 'join' ? this.intent.room : undefined);
    this.sendInRoom({ type: 'leave' });
    if (room !== undefined) this.forgetToken(room);
    this.shutdown();
  }

  /** Closes the connection without leaving, as a page unload does: the token is kept for a later rejoin. */
  close(): void {
    this.shutdown();
  }

  private shutdown(): void {
    this.intent = undefined;
    this.joined = undefined;
    this.clearReconnect();
    this.dropSocket(NORMAL_CLOSURE);
    this.setStatus('closed');
  }

  /** Opens a socket if there is none; if one is open, sends the intent now. */
  private establish(): void {
    this.clearReconnect();
    if (this.socket === undefined) this.connect();
    else if (this.socket.readyState === OPEN) this.sendIntent();
    // Otherwise it is connecting, and the intent goes out when it opens.
  }

  private connect(): void {
    this.setStatus('connecting');
    let socket: SignalingSocket;
    try {
      socket = new this.WebSocketImpl(this.url);
    } catch {
      this.onSocketClosed();
      return;
    }
    const onOpen = (): void => {
      this.setStatus('open');
      this.startKeepalive();
      this.sendIntent();
    };
    const onMessage = (event: object): void => {
      const data = 'data' in event ? event.data : undefined;
      if (typeof data === 'string') this.receive(data);
    };
    const onClose = (): void => {
      if (this.socket === socket) this.onSocketClosed();
    };
    const onError = (): void => {
      // A 'close' always follows; that is where reconnection happens.
    };
    socket.addEventListener('open', onOpen);
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    socket.addEventListener('error', onError);
    this.socket = socket;
    this.detachSocket = () => {
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      socket.removeEventListener('error', onError);
    };
  }

  private onSocketClosed(): void {
    this.dropSocket();
    this.setStatus('closed');
    if (this.intent === undefined) return;
    const base = Math.min(this.reconnectMaxMs, this.reconnectInitialMs * 2 ** this.attempt);
    const delay = base * (0.75 + this.random() / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.intent !== undefined && this.socket === undefined) this.connect();
    }, delay);
  }

  /** Forgets the socket (closing it if still open) without triggering a reconnect. */
  private dropSocket(code?: number): void {
    this.stopKeepalive();
    const socket = this.socket;
    this.socket = undefined;
    this.detachSocket?.();
    this.detachSocket = undefined;
    if (socket !== undefined) {
      // Keep swallowing errors from a socket we are done with.
      socket.addEventListener('error', () => {});
      try {
        socket.close(code);
      } catch {
        // Already closing or never opened.
      }
    }
  }

  private sendIntent(): void {
    const intent = this.intent;
    if (intent === undefined) return;
    if (intent.kind === 'create') {
      this.sendRaw({ type: 'create' });
      return;
    }
    const token = this.readToken(intent.room);
    this.sendRaw(token === undefined ? { type: 'join', room: intent.room } : { type: 'join', room: intent.room, token });
  }

  private receive(text: string): void {
    this.clearAnswerTimer();
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.onError?.({ code: 'bad-message', message: `The signaling server sent something this page does not understand (${parsed.message}) Reload the page; if it persists, the server is a different version.` });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'joined':
        this.joined = message;
        this.currentSession = message.session;
        this.intent = { kind: 'join', room: message.room };
        this.attempt = 0;
        this.storeToken(message.room, message.token);
        this.onJoined?.(message);
        return;
      case 'peer-joined':
        this.currentSession = message.session;
        this.onPeerJoined?.(message.host, message.session);
        return;
      case 'peer-left':
        this.onPeerLeft?.(message.host, message.reason);
        return;
      case 'signal':
        this.onSignal?.(message.data);
        return;
      case 'control':
        this.onControl?.(message.data);
        return;
      case 'pong':
        return;
      case 'error':
        if (GIVE_UP_ON_ROOM.has(message.code)) {
          const room = this.intent?.kind === 'join' ? this.intent.room : undefined;
          // A room that is gone, or a slot that is no longer ours: the token is useless now.
          if (room !== undefined && (message.code === 'room-expired' || message.code === 'no-such-room' || message.code === 'room-full')) this.forgetToken(room);
          this.intent = undefined;
          this.joined = undefined;
        }
        this.onError?.({ code: message.code, message: message.message });
        return;
    }
  }

  private sendInRoom(message: { type: 'signal'; data: JsonObject; session: number } | { type: 'control'; data: JsonObject } | { type: 'leave' }): boolean {
    if (this.joined === undefined || this.socket?.readyState !== OPEN) return false;
    return this.sendRaw(message);
  }

  private sendRaw(message: object): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private startKeepalive(): void {
    this.stopKeepalive();
    if (this.keepaliveMs <= 0) return;
    this.keepaliveTimer = setInterval(() => {
      if (!this.sendRaw({ type: 'ping' }) || this.answerTimer !== undefined) return;
      // No answer (to this or anything else) in time: the connection died without a close. Start over.
      this.answerTimer = setTimeout(() => {
        this.answerTimer = undefined;
        if (this.socket !== undefined) this.onSocketClosed();
      }, this.keepaliveMs);
    }, this.keepaliveMs);
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.clearAnswerTimer();
  }

  private clearAnswerTimer(): void {
    if (this.answerTimer !== undefined) clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private setStatus(status: SignalingStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.onStatus?.(status);
  }

  private readToken(room: string): string | undefined {
    try {
      const stored = this.storage?.getItem(TOKEN_KEY_PREFIX + room);
      if (stored !== undefined && stored !== null) return stored;
    } catch {
      // Storage can throw (privacy settings); the in-memory copy still helps a reconnect.
    }
    return this.memoryTokens.get(room);
  }

  private storeToken(room: string, token: string): void {
    this.memoryTokens.set(room, token);
    try {
      this.storage?.setItem(TOKEN_KEY_PREFIX + room, token);
    } catch {
      // Not kept across a reload; reconnects still work.
    }
  }

  private forgetToken(room: string): void {
    this.memoryTokens.delete(room);
    try {
      this.storage?.removeItem(TOKEN_KEY_PREFIX + room);
    } catch {
      // Nothing to do.
    }
  }
}

function defaultStorage(): TokenStorage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined; // Reading sessionStorage itself can throw a SecurityError.
  }
}
