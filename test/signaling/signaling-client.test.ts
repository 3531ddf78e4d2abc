/**
 * SignalingClient (src/lib/peer/) end to end against the real server on
 * 127.0.0.1, with the `ws` package's WebSocket in place of the browser's and a
 * Map in place of sessionStorage.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { formatRoomCode, type JoinedMessage, type JsonObject, type PeerLeftReason } from '../../signaling/protocol';
import { SignalingClient, signalingUrl, type SignalingError, type SignalingStatus, type TokenStorage } from '../../src/lib/peer/signaling-client';
import { startSignaling, type Harness } from './harness';

let harness: Harness | undefined;
const clients: SignalingClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await harness?.stop();
  harness = undefined;
});

class MemoryStorage implements TokenStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** A client with every event recorded in order. */
function client(url: string, storage: TokenStorage = new MemoryStorage()) {
  const events: string[] = [];
  const joined: JoinedMessage[] = [];
  const signals: JsonObject[] = [];
  const controls: JsonObject[] = [];
  const errors: SignalingError[] = [];
  const statuses: SignalingStatus[] = [];
  const peerLeft: Array<{ host: number; reason: PeerLeftReason }> = [];
  const c = new SignalingClient({ url, WebSocket, storage, reconnectInitialMs: 20, reconnectMaxMs: 200, keepaliveMs: 0 });
  c.onJoined = (message) => {
    joined.push(message);
    events.push(`joined ${message.host}${message.initiator ? ' initiator' : ''}`);
  };
  c.onPeerJoined = (host) => events.push(`peer-joined ${host}`);
  c.onPeerLeft = (host, reason) => {
    peerLeft.push({ host, reason });
    events.push(`peer-left ${host} ${reason}`);
  };
  c.onSignal = (data) => signals.push(data);
  c.onControl = (data) => controls.push(data);
  c.onError = (error) => {
    errors.push(error);
    events.push(`error ${error.code}`);
  };
  c.onStatus = (status) => statuses.push(status);
  clients.push(c);
  return { c, events, joined, signals, controls, errors, statuses, peerLeft, storage };
}

async function start(options: Parameters<typeof startSignaling>[0] = {}): Promise<Harness> {
  harness = await startSignaling({ heartbeatMs: 0, sweepMs: 0, ...options });
  return harness;
}

/** A creates a room and B joins it (typing the code the way a person might). */
async function pairClients(h: Harness) {
  const a = client(h.url);
  a.c.create();
  await vi.waitFor(() => expect(a.joined).toHaveLength(1));
  const b = client(h.url);
  expect(b.c.join(formatRoomCode(a.joined[0]!.room).toLowerCase())).toBe(true);
  await vi.waitFor(() => expect(b.joined).toHaveLength(1));
  await vi.waitFor(() => expect(a.events).toContain('peer-joined 2'));
  return { a, b, room: a.joined[0]!.room };
}

describe('SignalingClient', () => {
  it('pairs two clients and relays signal and control both ways', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    expect(a.joined[0]).toMatchObject({ host: 1, initiator: false, peerPresent: false });
    expect(b.joined[0]).toMatchObject({ room, host: 2, initiator: true, peerPresent: true });
    expect(a.c.room).toBe(room);
    expect(b.c.host).toBe(2);
    expect(a.c.session).toBe(b.c.session);
    expect(a.statuses).toEqual(['connecting', 'open']);

    expect(b.c.signal({ type: 'offer', sdp: 'v=0' })).toBe(true);
    await vi.waitFor(() => expect(a.signals).toEqual([{ type: 'offer', sdp: 'v=0' }]));
    expect(a.c.signal({ type: 'answer', sdp: 'v=0' })).toBe(true);
    await vi.waitFor(() => expect(b.signals).toEqual([{ type: 'answer', sdp: 'v=0' }]));
    a.c.control({ kind: 'hello', ip: '10.0.0.1' });
    b.c.control({ kind: 'hello', ip: '10.0.0.2' });
    await vi.waitFor(() => expect(b.controls).toEqual([{ kind: 'hello', ip: '10.0.0.1' }]));
    await vi.waitFor(() => expect(a.controls).toEqual([{ kind: 'hello', ip: '10.0.0.2' }]));
  });

  it('does not send signals or control messages before joining', () => {
    const c = new SignalingClient({ url: 'ws://127.0.0.1:9/signal', WebSocket, storage: null, keepaliveMs: 0 });
    clients.push(c);
    expect(c.signal({ type: 'offer' })).toBe(false);
    expect(c.control({ kind: 'x' })).toBe(false);
  });

  it('rejoins by itself, with the same host number, after the server drops its socket', async () => {
    const h = await start();
    const { a, b } = await pairClients(h);
    const socketsBefore = h.sockets.length;
    h.sockets[socketsBefore - 1]!.destroy(); // B connected last

    await vi.waitFor(() => expect(b.joined).toHaveLength(2));
    expect(b.joined[1]).toMatchObject({ host: 2, initiator: true, token: b.joined[0]!.token });
    expect(b.statuses).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    await vi.waitFor(() => expect(a.events.slice(-2)).toEqual(['peer-left 2 disconnected', 'peer-joined 2']));
    expect(h.sockets.length).toBe(socketsBefore + 1);

    expect(b.c.signal({ type: 'offer', sdp: 'again' })).toBe(true);
    await vi.waitFor(() => expect(a.signals).toEqual([{ type: 'offer', sdp: 'again' }]));
  });

  it('keeps trying while the server is unreachable, with growing delays', async () => {
    const h = await start();
    const { a } = await pairClients(h);
    await h.stop();
    harness = undefined;
    await vi.waitFor(() => expect(a.statuses.filter((s) => s === 'connecting').length).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    expect(a.statuses.at(-1)).not.toBe('open');
  });

  it('rejoins after a page reload with the token from storage', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    b.c.close(); // the page unloads: socket closed, nothing sent, token kept
    await vi.waitFor(() => expect(a.events).toContain('peer-left 2 disconnected'));
    expect(b.statuses.at(-1)).toBe('closed');

    const reloaded = client(h.url, b.storage);
    reloaded.c.join(room);
    await vi.waitFor(() => expect(reloaded.joined).toHaveLength(1));
    expect(reloaded.joined[0]).toMatchObject({ host: 2, initiator: true, peerPresent: true });
    await vi.waitFor(() => expect(a.events.at(-1)).toBe('peer-joined 2'));
  });

  it('lets host 1 reload too', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    a.c.close();
    await vi.waitFor(() => expect(b.events).toContain('peer-left 1 disconnected'));
    const reloaded = client(h.url, a.storage);
    reloaded.c.join(room);
    await vi.waitFor(() => expect(reloaded.joined[0]).toMatchObject({ host: 1, initiator: true }));
    await vi.waitFor(() => expect(b.events.at(-1)).toBe('peer-joined 1'));
  });

  it('without a stored token, a third client cannot take the reserved slot', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    b.c.close();
    await vi.waitFor(() => expect(a.events).toContain('peer-left 2 disconnected'));
    const stranger = client(h.url);
    stranger.c.join(room);
    await vi.waitFor(() => expect(stranger.errors.map((e) => e.code)).toEqual(['room-full']));
    // It gives up on the room rather than retrying.
    expect(stranger.c.room).toBeUndefined();
  });

  it('leave() frees the slot, forgets the token and closes', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    b.c.leave();
    await vi.waitFor(() => expect(a.events).toContain('peer-left 2 left'));
    expect([...(b.storage as MemoryStorage).items.keys()]).toEqual([]);
    expect(b.statuses.at(-1)).toBe('closed');
    const next = client(h.url);
    next.c.join(room);
    await vi.waitFor(() => expect(next.joined[0]).toMatchObject({ host: 2 }));
  });

  it('reports an unknown room once and does not keep retrying it', async () => {
    const h = await start();
    const c = client(h.url);
    expect(c.c.join('not a code')).toBe(false);
    expect(c.c.join('ZZZ-ZZZ')).toBe(true);
    await vi.waitFor(() => expect(c.errors).toEqual([expect.objectContaining({ code: 'no-such-room' })]));
    h.sockets.at(-1)!.destroy();
    await vi.waitFor(() => expect(c.statuses.at(-1)).toBe('closed'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.statuses.filter((s) => s === 'connecting')).toHaveLength(1);
  });

  it('stops, without fighting back, when a duplicated tab takes over its slot', async () => {
    const h = await start();
    const { a, b, room } = await pairClients(h);
    const duplicate = client(h.url, b.storage); // sessionStorage is copied when a tab is duplicated
    duplicate.c.join(room);
    await vi.waitFor(() => expect(duplicate.joined[0]).toMatchObject({ host: 2 }));
    await vi.waitFor(() => expect(b.errors.map((e) => e.code)).toEqual(['replaced']));
    await vi.waitFor(() => expect(b.statuses.at(-1)).toBe('closed'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.statuses.filter((s) => s === 'connecting')).toHaveLength(1);
    expect(duplicate.c.status).toBe('open');
    expect(a.events.slice(-2)).toEqual(['peer-left 2 disconnected', 'peer-joined 2']);
  });

  it('keeps the room alive with keepalive pings', async () => {
    const h = await start({ manualClock: true, roomIdleMs: 60_000 });
    const c = new SignalingClient({ url: h.url, WebSocket, storage: null, keepaliveMs: 25 });
    clients.push(c);
    const joined: JoinedMessage[] = [];
    c.onJoined = (message) => joined.push(message);
    c.create();
    await vi.waitFor(() => expect(joined).toHaveLength(1));
    h.advance(59_000);
    // Real time passes for a few keepalive pings; each is activity at the (manual) 59 s mark.
    await new Promise((resolve) => setTimeout(resolve, 120));
    h.advance(59_000); // 118 s since the room was made, 59 s since the last ping
    h.signaling.sweep();
    expect(h.signaling.stats().rooms).toBe(1);
    h.advance(60_000);
    h.signaling.sweep(); // no pings in between this time: expired
    expect(h.signaling.stats().rooms).toBe(0);
  });

  it('derives the endpoint URL from the page address', () => {
    expect(signalingUrl({ protocol: 'http:', host: '192.168.1.20:8080' })).toBe('ws://192.168.1.20:8080/signal');
    expect(signalingUrl({ protocol: 'https:', host: 'wiretab.example' })).toBe('wss://wiretab.example/signal');
  });
});
