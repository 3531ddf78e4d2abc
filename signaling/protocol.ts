/**
 * The signaling protocol, shared by the server (signaling/) and the browser
 * client (src/lib/peer/signaling-client.ts). No Node imports: browser code
 * imports this file.
 *
 * Transport: one WebSocket to `/signal` on the same origin and port as the app.
 * Every message is one JSON object in one text frame, at most 64 KiB.
 *
 * Client → server
 *   {type:'create'}                        make a room and join it as host 1
 *   {type:'join', room, token?}            join a room by code; `token` (from an earlier
 *                                          `joined`) takes back the same host number
 *   {type:'signal', data, session?}        opaque simple-peer SDP/ICE object for the other peer;
 *                                          dropped if the other peer is not connected, or if
 *                                          `session` is given and is not the room's current one
 *   {type:'control', data}                 opaque small object for the other peer (the app's
 *                                          reliable control path); `no-peer` error if it is away
 *   {type:'leave'}                         leave the room for good (the slot is freed at once)
 *   {type:'ping'}                          keepalive; answered with `pong`
 *
 * Server → client
 *   {type:'joined', room, host, token, peerPresent, initiator, session}
 *   {type:'peer-joined', host, session}    the other peer arrived (or came back)
 *   {type:'peer-left', host, reason}       'left' (sent leave), 'disconnected' (socket dropped;
 *                                          its slot is kept for a grace period), 'timeout'
 *                                          (the grace period ran out; the slot is free)
 *   {type:'signal', data}  {type:'control', data}   relayed from the other peer
 *   {type:'error', code, message}          `message` is an English sentence for logs and
 *                                          developers; the UI translates `code`
 *   {type:'pong'}
 *
 * Rooms: the code is ROOM_CODE_LENGTH characters of ROOM_CODE_ALPHABET (no 0/O/1/I/L);
 * joining is case-insensitive and ignores spaces and dashes ("abc-234" = "ABC234").
 * Two peers per room: the first is host 1, the second host 2. A peer whose socket
 * drops keeps its host number for a grace period (30 s by default): rejoining with
 * its token within it gets the same slot back, and nobody else can take it.
 *
 * Who starts WebRTC: the newcomer. `joined.initiator` is true exactly when the other
 * peer is already connected (`peerPresent`); that peer makes the offer. The peer that
 * was already there gets `peer-joined` and must (re)build a fresh non-initiator peer
 * connection, throwing away any old one. Why this rule: the newcomer is the side
 * that certainly has no peer connection (a reloaded page has lost its own), and the
 * side already present learns of it through `peer-joined` on the same ordered
 * socket before any of the newcomer's signals, so it is always ready to answer. It
 * works whichever side reloads, when both do (the second one back initiates), and
 * after a signaling-only reconnect.
 *
 * `session` numbers each pairing of a room (it grows by one every time the two peers
 * are connected together). The client stamps its signals with the session it last
 * heard; the server drops signals from an older pairing, so a late ICE candidate
 * from a discarded peer connection never reaches the new one.
 */

export const SIGNAL_PATH = '/signal';
/** Largest message in either direction, in bytes of UTF-8. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Deepest nesting allowed inside `data` (SDP/ICE objects are 2-3 levels deep). */
export const MAX_DATA_DEPTH = 16;
/** Unambiguous when read aloud or handwritten: no 0/O, 1/I/L. */
export const ROOM_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ROOM_CODE_LENGTH = 6;
/** Longest `room` string accepted in `join` before normalisation (spaces and dashes included). */
const MAX_ROOM_INPUT = 64;
/** Rejoin tokens are base64url; the server makes 22-character ones. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type HostNumber = 1 | 2;

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type ClientMessage =
  | { type: 'create' }
  | { type: 'join'; room: string; token?: string }
  | { type: 'signal'; data: JsonObject; session?: number }
  | { type: 'control'; data: JsonObject }
  | { type: 'leave' }
  | { type: 'ping' };

export type PeerLeftReason = 'left' | 'disconnected' | 'timeout';

export const ERROR_CODES = [
  'room-full',
  'no-such-room',
  'bad-json',
  'bad-message',
  'too-big',
  'rate-limited',
  'too-many-rooms',
  'room-expired',
  'not-in-room',
  'no-peer',
  'replaced',
  'server-busy',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface JoinedMessage {
  type: 'joined';
  room: string;
  host: HostNumber;
  token: string;
  peerPresent: boolean;
  initiator: boolean;
  session: number;
}

export type ServerMessage =
  | JoinedMessage
  | { type: 'peer-joined'; host: HostNumber; session: number }
  | { type: 'peer-left'; host: HostNumber; reason: PeerLeftReason }
  | { type: 'signal'; data: JsonObject }
  | { type: 'control'; data: JsonObject }
  | { type: 'error'; code: ErrorCode; message: string }
  | { type: 'pong' };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: 'bad-json' | 'bad-message' | 'too-big'; message: string };

/**
 * The canonical form of a room code a person typed: upper case, without spaces,
 * dashes or underscores. Undefined if what is left is not a possible code.
 */
export function normaliseRoomCode(input: string): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_ROOM_INPUT) return undefined;
  const code = input.replace(/[\s_-]+/g, '').toUpperCase();
  if (code.length !== ROOM_CODE_LENGTH) return undefined;
  for (const char of code) if (!ROOM_CODE_ALPHABET.includes(char)) return undefined;
  return code;
}

/** How to show a code to people: 'ABC234' → 'ABC-234'. */
export function formatRoomCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return code.length > 4 ? `${code.slice(0, half)}-${code.slice(half)}` : code;
}

/** Validates one message from a client. Never throws, whatever `text` is. */
export function parseClientMessage(text: string): ParseResult<ClientMessage> {
  const parsed = parseObject(text, MAX_MESSAGE_BYTES);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  const type = own(message, 'type');
  switch (type) {
    case 'create':
    case 'leave':
    case 'ping':
      return { ok: true, value: { type } };
    case 'join': {
      const room = own(message, 'room');
      if (typeof room !== 'string' || room.length > MAX_ROOM_INPUT) return bad('"join" needs "room": the room code as a string.');
      const token = own(message, 'token');
      if (token === undefined || token === null) return { ok: true, value: { type, room } };
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return bad('"token" must be the token string from an earlier "joined" message.');
      return { ok: true, value: { type, room, token } };
    }
    case 'signal': {
      const data = checkData(own(message, 'data'), type);
      if (typeof data === 'string') return bad(data);
      const session = own(message, 'session');
      if (session === undefined || session === null) return { ok: true, value: { type, data } };
      if (!isCount(session)) return bad('"session" must be the whole number from the latest "joined" or "peer-joined".');
      return { ok: true, value: { type, data, session } };
    }
    case 'control': {
      const data = checkData(own(message, 'data'), type);
      if (typeof data === 'string') return bad(data);
      return { ok: true, value: { type, data } };
    }
    default:
      return bad(`Unknown message type ${describeType(type)}; expected create, join, signal, control, leave or ping.`);
  }
}

/** Validates one message from the server. Never throws, whatever `text` is. */
export function parseServerMessage(text: string): ParseResult<ServerMessage> {
  // The server re-serialises relayed data, which can come out a little longer than it went in
  // (1e21 becomes 1e+21), so allow some room over the limit the server enforced on the sender.
  const parsed = parseObject(text, 2 * MAX_MESSAGE_BYTES);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  const type = own(message, 'type');
  switch (type) {
    case 'joined': {
      const room = own(message, 'room');
      const host = own(message, 'host');
      const token = own(message, 'token');
      const peerPresent = own(message, 'peerPresent');
      const initiator = own(message, 'initiator');
      const session = own(message, 'session');
      if (typeof room !== 'string' || normaliseRoomCode(room) !== room) return bad('"joined" has no valid "room".');
      if (!isHost(host)) return bad('"joined" has no valid "host".');
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return bad('"joined" has no valid "token".');
      if (typeof peerPresent !== 'boolean' || typeof initiator !== 'boolean') return bad('"joined" needs "peerPresent" and "initiator" flags.');
      if (!isCount(session)) return bad('"joined" has no valid "session".');
      return { ok: true, value: { type, room, host, token, peerPresent, initiator, session } };
    }
    case 'peer-joined': {
      const host = own(message, 'host');
      const session = own(message, 'session');
      if (!isHost(host) || !isCount(session)) return bad('"peer-joined" needs "host" and "session".');
      return { ok: true, value: { type, host, session } };
    }
    case 'peer-left': {
      const host = own(message, 'host');
      const reason = own(message, 'reason');
      if (!isHost(host)) return bad('"peer-left" has no valid "host".');
      if (reason !== 'left' && reason !== 'disconnected' && reason !== 'timeout') return bad('"peer-left" has no valid "reason".');
      return { ok: true, value: { type, host, reason } };
    }
    case 'signal':
    case 'control': {
      const data = checkData(own(message, 'data'), type);
      if (typeof data === 'string') return bad(data);
      return { ok: true, value: { type, data } };
    }
    case 'error': {
      const code = own(message, 'code');
      const text = own(message, 'message');
      if (!isErrorCode(code)) return bad('"error" has an unknown "code".');
      if (typeof text !== 'string') return bad('"error" has no "message".');
      return { ok: true, value: { type, code, message: text } };
    }
    case 'pong':
      return { ok: true, value: { type } };
    default:
      return bad(`Unknown message type ${describeType(type)} from the server.`);
  }
}

function parseObject(text: unknown, maxLength: number): { ok: true; value: object } | { ok: false; code: 'bad-json' | 'bad-message' | 'too-big'; message: string } {
  if (typeof text !== 'string') return bad('Messages must be JSON text.');
  // Characters never outnumber UTF-8 bytes, so this catches every oversized string without encoding it.
  if (text.length > maxLength) return { ok: false, code: 'too-big', message: `Messages may be at most ${maxLength} bytes.` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad-json', message: 'The message is not valid JSON.' };
  }
  if (!isPlainObject(value)) return bad('A message must be a JSON object with a "type".');
  return { ok: true, value };
}

/** The `data` of a signal or control message, or a sentence saying what is wrong with it. */
function checkData(data: unknown, type: string): JsonObject | string {
  if (!isPlainObject(data)) return `"${type}" needs "data": a JSON object.`;
  if (depthExceeds(data, MAX_DATA_DEPTH)) return `"data" is nested more than ${MAX_DATA_DEPTH} levels deep.`;
  // It came out of JSON.parse and is a bounded tree of plain values, so it is a JsonObject.
  return data as JsonObject;
}

/** Iterative, so hostile nesting cannot overflow the stack. */
function depthExceeds(root: object, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `{"__proto__": …}` or inherited names never count. */
function own(object: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

function isHost(value: unknown): value is HostNumber {
  return value === 1 || value === 2;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

function describeType(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : '(missing)';
}

function bad(message: string): { ok: false; code: 'bad-message'; message: string } {
  return { ok: false, code: 'bad-message', message };
}
