/**
 * Rooms: who is paired with whom, host numbers, rejoin tokens, grace periods
 * and expiry. Pure logic: no sockets, no timers, no real clock. The caller
 * (signaling.ts) hands in validated messages and an Endpoint per connection,
 * calls `sweep()` now and then, and injects the clock and the random source.
 *
 * A room has two slots, host 1 and host 2. A slot is
 *   free       nobody; the next joiner without a token takes the lowest free slot,
 *   connected  an endpoint and its rejoin token,
 *   reserved   a token and a deadline: its peer's socket dropped and it may come
 *              back with the token until `graceMs` has passed; nobody else may
 *              take it meanwhile.
 * A room expires once nothing has happened in it for `roomIdleMs` (any message
 * from a member counts, so a connected client's keepalive pings keep it open).
 * At the room limit, the least recently used room with nobody in it is evicted
 * to make space; only when every room has someone in it is `create` refused.
 */

import type { Logger } from './log';
import {
  formatRoomCode,
  normaliseRoomCode,
  ROOM_CODE_ALPHABET,
  ROOM_CODE_LENGTH,
  type ClientMessage,
  type ErrorCode,
  type HostNumber,
  type JsonObject,
  type ServerMessage,
} from './protocol';

/** One client connection, as the rooms see it. */
export interface Endpoint {
  /** A number for the logs. */
  readonly id: number;
  send(message: ServerMessage): void;
  /** Ends the connection after an error this module has already sent. */
  close(code: ErrorCode): void;
}

export interface RoomLimits {
  /** Most rooms at once. */
  maxRooms: number;
  /** How long a dropped peer's slot is kept for it. */
  graceMs: number;
  /** A room with no activity for this long is closed. */
  roomIdleMs: number;
}

export const DEFAULT_ROOM_LIMITS: Readonly<RoomLimits> = {
  maxRooms: 1000,
  graceMs: 30_000,
  roomIdleMs: 60 * 60_000,
};

export interface RoomsOptions extends RoomLimits {
  /** Milliseconds; any monotonic origin. */
  now: () => number;
  /** Cryptographically strong random bytes (room codes and tokens are guessable otherwise). */
  randomBytes: (count: number) => Uint8Array;
  log: Logger;
}

interface Slot {
  endpoint: Endpoint | undefined;
  token: string | undefined;
  /** Set while reserved (endpoint gone, token kept). */
  reservedUntil: number | undefined;
}

interface Room {
  code: string;
  slots: [Slot, Slot];
  /** Counts pairings: +1 each time both peers are connected together. */
  session: number;
  lastActivity: number;
}

interface Membership {
  room: Room;
  index: 0 | 1;
}

const TOKEN_LENGTH = 22;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export class Rooms {
  private readonly rooms = new Map<string, Room>();
  private readonly members = new Map<Endpoint, Membership>();

  constructor(private readonly options: RoomsOptions) {}

  get roomCount(): number {
    return this.rooms.size;
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** Acts on one validated message from `endpoint`. */
  handle(endpoint: Endpoint, message: ClientMessage): void {
    const membership = this.members.get(endpoint);
    if (membership !== undefined) membership.room.lastActivity = this.options.now();
    switch (message.type) {
      case 'create':
        this.create(endpoint);
        return;
      case 'join':
        this.join(endpoint, message.room, message.token);
        return;
      case 'signal':
        this.relaySignal(endpoint, message.data, message.session);
        return;
      case 'control':
        this.relayControl(endpoint, message.data);
        return;
      case 'leave':
        this.leave(endpoint);
        return;
      case 'ping':
        endpoint.send({ type: 'pong' });
        return;
    }
  }

  /** The endpoint's connection is gone: keep its slot for the grace period. */
  disconnected(endpoint: Endpoint): void {
    const membership = this.members.get(endpoint);
    if (membership === undefined) return;
    const { room, index } = membership;
    this.members.delete(endpoint);
    const slot = room.slots[index];
    const now = this.options.now();
    slot.endpoint = undefined;
    slot.reservedUntil = now + this.options.graceMs;
    room.lastActivity = now;
    this.options.log({ event: 'room-peer-disconnected', room: room.code, host: hostOf(index), conn: endpoint.id, graceMs: this.options.graceMs });
    this.tellOther(room, index, { type: 'peer-left', host: hostOf(index), reason: 'disconnected' });
  }

  /** Releases slots whose grace period is over and closes idle rooms. Call it every second or so. */
  sweep(): void {
    for (const room of [...this.rooms.values()]) this.sweepRoom(room);
  }

  private create(endpoint: Endpoint): void {
    this.leave(endpoint);
    if (this.rooms.size >= this.options.maxRooms && !this.evictEmptyRoom()) {
      this.options.log({ event: 'room-refused', reason: 'too-many-rooms', conn: endpoint.id, rooms: this.rooms.size });
      this.error(endpoint, 'too-many-rooms', `The server already has its limit of ${this.options.maxRooms} rooms in use. Try again in a few minutes, or join an existing room.`);
      return;
    }
    const code = this.freshCode();
    if (code === undefined) {
      this.error(endpoint, 'server-busy', 'The server could not find a free room code. Try again.');
      return;
    }
    const room: Room = { code, slots: [emptySlot(), emptySlot()], session: 0, lastActivity: this.options.now() };
    this.rooms.set(code, room);
    this.options.log({ event: 'room-created', room: code, conn: endpoint.id, rooms: this.rooms.size });
    this.occupy(room, 0, endpoint, false);
  }

  private join(endpoint: Endpoint, typed: string, token: string | undefined): void {
    const code = normaliseRoomCode(typed);
    if (code === undefined) {
      this.error(endpoint, 'no-such-room', `That is not a room code. Codes have ${ROOM_CODE_LENGTH} letters and digits, like ABC-234.`);
      return;
    }
    const room = this.rooms.get(code);
    if (room === undefined || !this.sweepRoom(room)) {
      this.error(endpoint, 'no-such-room', `There is no room ${formatRoomCode(code)}: it may have closed. Check the code, or create a new room.`);
      return;
    }

    const current = this.members.get(endpoint);
    if (current !== undefined && current.room === room) {
      // Joining the room it is already in: repeat the answer, change nothing.
      const token = room.slots[current.index].token;
      const peerPresent = room.slots[1 - current.index]?.endpoint !== undefined;
      if (token !== undefined) endpoint.send({ type: 'joined', room: code, host: hostOf(current.index), token, peerPresent, initiator: false, session: room.session });
      return;
    }

    let index = token === undefined ? -1 : room.slots.findIndex((slot) => slot.token === token);
    const rejoin = index !== -1;
    if (rejoin) {
      const slot = room.slots[index as 0 | 1];
      const holder = slot.endpoint;
      if (holder !== undefined && holder !== endpoint) {
        // The same token from a new connection: the old one is stale (a network change it has not
        // noticed yet) or a duplicated tab. The newest wins; the old one is told why and closed.
        this.members.delete(holder);
        slot.endpoint = undefined;
        this.options.log({ event: 'room-peer-replaced', room: code, host: hostOf(index as 0 | 1), conn: holder.id, by: endpoint.id });
        this.error(holder, 'replaced', 'This room was opened again with the same identity (another tab, or this one after reconnecting). This connection is closed.');
        holder.close('replaced');
        this.tellOther(room, index as 0 | 1, { type: 'peer-left', host: hostOf(index as 0 | 1), reason: 'disconnected' });
      }
    } else {
      index = room.slots.findIndex(isFree);
      if (index === -1) {
        this.error(endpoint, 'room-full', `Room ${formatRoomCode(code)} already has two people in it. Create a new room for another pair.`);
        return;
      }
    }
    if (current !== undefined) this.leave(endpoint);
    this.occupy(room, index as 0 | 1, endpoint, rejoin);
  }

  private occupy(room: Room, index: 0 | 1, endpoint: Endpoint, rejoin: boolean): void {
    const slot = room.slots[index];
    const other = room.slots[1 - index] as Slot;
    slot.endpoint = endpoint;
    slot.token ??= this.freshToken();
    slot.reservedUntil = undefined;
    room.lastActivity = this.options.now();
    this.members.set(endpoint, { room, index });
    const peerPresent = other.endpoint !== undefined;
    if (peerPresent) room.session += 1;
    this.options.log({ event: 'room-joined', room: room.code, host: hostOf(index), conn: endpoint.id, rejoin, peerPresent, session: room.session });
    // The newcomer initiates WebRTC (see protocol.ts for why).
    endpoint.send({ type: 'joined', room: room.code, host: hostOf(index), token: slot.token, peerPresent, initiator: peerPresent, session: room.session });
    if (peerPresent) other.endpoint?.send({ type: 'peer-joined', host: hostOf(index), session: room.session });
  }

  private leave(endpoint: Endpoint): void {
    const membership = this.members.get(endpoint);
    if (membership === undefined) return;
    const { room, index } = membership;
    this.members.delete(endpoint);
    room.slots[index] = emptySlot();
    room.lastActivity = this.options.now();
    this.options.log({ event: 'room-left', room: room.code, host: hostOf(index), conn: endpoint.id });
    this.tellOther(room, index, { type: 'peer-left', host: hostOf(index), reason: 'left' });
  }

  private relaySignal(endpoint: Endpoint, data: JsonObject, session: number | undefined): void {
    const membership = this.members.get(endpoint);
    if (membership === undefined) {
      this.error(endpoint, 'not-in-room', 'Create or join a room before sending signals.');
      return;
    }
    const { room, index } = membership;
    const other = room.slots[1 - index]?.endpoint;
    // Nobody to give it to, or meant for an earlier pairing: a stale ICE candidate or SDP, harmless to drop.
    if (other === undefined || (session !== undefined && session !== room.session)) return;
    other.send({ type: 'signal', data });
  }

  private relayControl(endpoint: Endpoint, data: JsonObject): void {
    const membership = this.members.get(endpoint);
    if (membership === undefined) {
      this.error(endpoint, 'not-in-room', 'Create or join a room before sending control messages.');
      return;
    }
    const { room, index } = membership;
    const other = room.slots[1 - index]?.endpoint;
    if (other === undefined) {
      this.error(endpoint, 'no-peer', 'The other peer is not connected right now, so this control message was not delivered. Send it again after "peer-joined".');
      return;
    }
    other.send({ type: 'control', data });
  }

  /** Applies grace and idle deadlines to one room. False if the room is gone. */
  private sweepRoom(room: Room): boolean {
    const now = this.options.now();
    room.slots.forEach((slot, i) => {
      const index = i as 0 | 1;
      if (slot.endpoint === undefined && slot.reservedUntil !== undefined && slot.reservedUntil <= now) {
        room.slots[index] = emptySlot();
        this.options.log({ event: 'room-slot-released', room: room.code, host: hostOf(index) });
        this.tellOther(room, index, { type: 'peer-left', host: hostOf(index), reason: 'timeout' });
      }
    });
    if (now - room.lastActivity < this.options.roomIdleMs) return true;
    const minutes = Math.round(this.options.roomIdleMs / 60_000);
    for (const slot of room.slots) {
      const endpoint = slot.endpoint;
      if (endpoint === undefined) continue;
      this.members.delete(endpoint);
      this.error(endpoint, 'room-expired', `Room ${formatRoomCode(room.code)} was closed after ${minutes} minute${minutes === 1 ? '' : 's'} without activity. Create a new room.`);
      endpoint.close('room-expired');
    }
    this.rooms.delete(room.code);
    this.options.log({ event: 'room-expired', room: room.code, idleMs: now - room.lastActivity, rooms: this.rooms.size });
    return false;
  }

  /** Makes space by removing the least recently used room that nobody is in or coming back to. */
  private evictEmptyRoom(): boolean {
    let oldest: Room | undefined;
    for (const room of [...this.rooms.values()]) {
      if (!this.sweepRoom(room)) return true; // it expired just now: that made space
      if (room.slots.every(isFree) && (oldest === undefined || room.lastActivity < oldest.lastActivity)) oldest = room;
    }
    if (oldest === undefined) return false;
    this.rooms.delete(oldest.code);
    this.options.log({ event: 'room-evicted', room: oldest.code, rooms: this.rooms.size });
    return true;
  }

  private tellOther(room: Room, index: 0 | 1, message: ServerMessage): void {
    room.slots[1 - index]?.endpoint?.send(message);
  }

  private error(endpoint: Endpoint, code: ErrorCode, message: string): void {
    endpoint.send({ type: 'error', code, message });
  }

  private freshCode(): string | undefined {
    for (let attempt = 0; attempt < 100; attempt++) {
      const code = randomString(this.options.randomBytes, ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH);
      if (!this.rooms.has(code)) return code;
    }
    return undefined;
  }

  private freshToken(): string {
    // 64 divides 256, so `byte & 63` is unbiased: 22 characters of 6 bits, 132 bits in all.
    let token = '';
    for (const byte of this.options.randomBytes(TOKEN_LENGTH)) token += BASE64URL[byte & 63];
    return token;
  }
}

/**
 * `length` characters of `alphabet`, unbiased: bytes at or above the largest
 * multiple of the alphabet size are thrown away rather than wrapped.
 */
export function randomString(randomBytes: (count: number) => Uint8Array, alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

function emptySlot(): Slot {
  return { endpoint: undefined, token: undefined, reservedUntil: undefined };
}

function isFree(slot: Slot): boolean {
  return slot.endpoint === undefined && slot.token === undefined;
}

function hostOf(index: 0 | 1): HostNumber {
  return index === 0 ? 1 : 2;
}
