/**
 * The signaling endpoint over real WebSockets on 127.0.0.1: pairing, relaying,
 * rejoining, limits and misbehaving clients. The clock is injected only where
 * a test needs to jump ahead (grace periods, room expiry).
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_MESSAGE_BYTES, ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from '../../signaling/protocol';
import { attachSignaling, CLOSE_CODES } from '../../signaling/signaling';
import { pair, startSignaling, type Harness } from './harness';

let harness: Harness | undefined;

async function start(options: Parameters<typeof startSignaling>[0] = {}): Promise<Harness> {
  harness = await startSignaling({ heartbeatMs: 0, sweepMs: 0, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const CODE_PATTERN = new RegExp(`^[${ROOM_CODE_ALPHABET}]{${ROOM_CODE_LENGTH}}$`);
const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n' };
const CANDIDATE = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host', sdpMLineIndex: 0, sdpMid: '0' } };

describe('pairing', () => {
  it('gives the creator host 1 and the joiner host 2; the joiner initiates', async () => {
    const h = await start();
    const a = await h.connect();
    a.send({ type: 'create' });
    const joinedA = await a.expect('joined');
    expect(joinedA).toMatchObject({ host: 1, peerPresent: false, initiator: false });
    expect(joinedA.room).toMatch(CODE_PATTERN);
    expect(joinedA.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const b = await h.connect();
    b.send({ type: 'join', room: joinedA.room });
    const joinedB = await b.expect('joined');
    expect(joinedB).toMatchObject({ room: joinedA.room, host: 2, peerPresent: true, initiator: true });
    expect(joinedB.token).not.toBe(joinedA.token);
    expect(await a.expect('peer-joined')).toEqual({ type: 'peer-joined', host: 2, session: joinedB.session });
  });

  it('relays signals both ways, untouched', async () => {
    const { a, b } = await pair(await start());
    b.send({ type: 'signal', data: OFFER });
    expect(await a.expect('signal')).toEqual({ type: 'signal', data: OFFER });
    a.send({ type: 'signal', data: CANDIDATE });
    expect(await b.expect('signal')).toEqual({ type: 'signal', data: CANDIDATE });
  });

  it('relays control messages both ways', async () => {
    const { a, b } = await pair(await start());
    a.send({ type: 'control', data: { kind: 'hello', name: 'alice', ip: '10.0.0.1' } });
    expect(await b.expect('control')).toEqual({ type: 'control', data: { kind: 'hello', name: 'alice', ip: '10.0.0.1' } });
    b.send({ type: 'control', data: { kind: 'clock', t: 12345.5 } });
    expect(await a.expect('control')).toEqual({ type: 'control', data: { kind: 'clock', t: 12345.5 } });
  });

  it('lets a burst of ICE candidates through, in order', async () => {
    const { a, b } = await pair(await start());
    for (let i = 0; i < 90; i++) a.send({ type: 'signal', data: { ...CANDIDATE, n: i } });
    for (let i = 0; i < 90; i++) expect((await b.expect('signal')).data.n).toBe(i);
    expect(a.isOpen).toBe(true);
  });

  it('drops signals stamped with an earlier pairing session', async () => {
    const { a, b } = await pair(await start());
    const session = (b.received[0] as { session: number }).session;
    a.send({ type: 'signal', data: { stale: true }, session: session - 1 });
    a.send({ type: 'signal', data: { fresh: true }, session });
    expect((await b.expect('signal')).data).toEqual({ fresh: true });
  });

  it('drops signals while alone, and says so for control messages', async () => {
    const h = await start();
    const a = await h.connect();
    a.send({ type: 'create' });
    await a.expect('joined');
    a.send({ type: 'signal', data: OFFER });
    a.send({ type: 'control', data: { kind: 'hello' } });
    await a.expectError('no-peer');
    await a.roundTrip();
  });

  it('refuses signal and control messages from a client in no room', async () => {
    const h = await start();
    const c = await h.connect();
    c.send({ type: 'signal', data: OFFER });
    await c.expectError('not-in-room');
    c.send({ type: 'control', data: {} });
    await c.expectError('not-in-room');
  });

  it('answers ping with pong, in a room or not', async () => {
    const h = await start();
    const c = await h.connect();
    await c.roundTrip();
  });

  it('tells the other peer when one leaves, and frees the slot', async () => {
    const h = await start();
    const { a, b, room, tokenB } = await pair(h);
    b.send({ type: 'leave' });
    expect(await a.expect('peer-left')).toEqual({ type: 'peer-left', host: 2, reason: 'left' });
    const c = await h.connect();
    c.send({ type: 'join', room, token: tokenB }); // a left slot's token is void; C is simply the next joiner
    const joinedC = await c.expect('joined');
    expect(joinedC).toMatchObject({ host: 2, initiator: true });
    expect(joinedC.token).not.toBe(tokenB);
  });
});

describe('joining', () => {
  it('refuses a third peer with room-full', async () => {
    const h = await start();
    const { room } = await pair(h);
    const c = await h.connect();
    c.send({ type: 'join', room });
    const error = await c.expectError('room-full');
    expect(error.message).toMatch(/two people/);
    await c.roundTrip(); // still connected, free to create its own room
    c.send({ type: 'create' });
    expect(await c.expect('joined')).toMatchObject({ host: 1 });
  });

  it('answers an unknown or malformed code with no-such-room', async () => {
    const h = await start();
    const c = await h.connect();
    c.send({ type: 'join', room: 'ZZZZZZ' });
    await c.expectError('no-such-room');
    c.send({ type: 'join', room: 'hello world' });
    await c.expectError('no-such-room');
    c.send({ type: 'join', room: '' });
    await c.expectError('no-such-room');
    expect(c.isOpen).toBe(true);
  });

  it('accepts codes in any case, with dashes and spaces', async () => {
    const h = await start();
    const a = await h.connect();
    a.send({ type: 'create' });
    const { room } = await a.expect('joined');
    const typed = ` ${room.slice(0, 3).toLowerCase()}-${room.slice(3, 5)} ${room.slice(5).toLowerCase()} `;
    const b = await h.connect();
    b.send({ type: 'join', room: typed });
    expect(await b.expect('joined')).toMatchObject({ room, host: 2 });
  });

  it('repeats the answer when a peer joins the room it is already in', async () => {
    const { b, room } = await pair(await start());
    b.send({ type: 'join', room });
    expect(await b.expect('joined')).toMatchObject({ room, host: 2, initiator: false });
  });
});

describe('rejoining after a reload', () => {
  it('gives host 2 its number back; host 1 sees it leave and come back', async () => {
    const h = await start();
    const { a, b, room, tokenB } = await pair(h);
    b.ws.close();
    expect(await a.expect('peer-left')).toEqual({ type: 'peer-left', host: 2, reason: 'disconnected' });

    const b2 = await h.connect();
    b2.send({ type: 'join', room, token: tokenB });
    const joined = await b2.expect('joined');
    expect(joined).toMatchObject({ room, host: 2, token: tokenB, peerPresent: true, initiator: true });
    expect(await a.expect('peer-joined')).toEqual({ type: 'peer-joined', host: 2, session: joined.session });

    b2.send({ type: 'signal', data: OFFER, session: joined.session });
    expect(await a.expect('signal')).toEqual({ type: 'signal', data: OFFER });
  });

  it('gives host 1 its number back too, and the returning host 1 initiates', async () => {
    const h = await start();
    const { a, b, room, tokenA } = await pair(h);
    a.ws.terminate();
    expect(await b.expect('peer-left')).toEqual({ type: 'peer-left', host: 1, reason: 'disconnected' });
    const a2 = await h.connect();
    a2.send({ type: 'join', room, token: tokenA });
    expect(await a2.expect('joined')).toMatchObject({ host: 1, peerPresent: true, initiator: true });
    expect(await b.expect('peer-joined')).toMatchObject({ host: 1 });
  });

  it('when both reload, the second one back initiates', async () => {
    const h = await start();
    const { a, b, room, tokenA, tokenB } = await pair(h);
    a.ws.close();
    await b.expect('peer-left');
    b.ws.close();
    await b.closed;
    const b2 = await h.connect();
    b2.send({ type: 'join', room, token: tokenB });
    expect(await b2.expect('joined')).toMatchObject({ host: 2, peerPresent: false, initiator: false });
    const a2 = await h.connect();
    a2.send({ type: 'join', room, token: tokenA });
    expect(await a2.expect('joined')).toMatchObject({ host: 1, peerPresent: true, initiator: true });
    expect(await b2.expect('peer-joined')).toMatchObject({ host: 1 });
  });

  it('keeps a dropped slot from anyone without its token until the grace period ends', async () => {
    const h = await start({ manualClock: true, graceMs: 30_000 });
    const { a, b, room, tokenB } = await pair(h);
    b.ws.close();
    await a.expect('peer-left');

    const c = await h.connect();
    c.send({ type: 'join', room });
    await c.expectError('room-full');
    c.send({ type: 'join', room, token: 'not-the-token-at-all' });
    await c.expectError('room-full');

    h.advance(29_000);
    h.signaling.sweep();
    c.send({ type: 'join', room });
    await c.expectError('room-full');

    h.advance(1_000);
    h.signaling.sweep();
    expect(await a.expect('peer-left')).toEqual({ type: 'peer-left', host: 2, reason: 'timeout' });
    c.send({ type: 'join', room });
    const joinedC = await c.expect('joined');
    expect(joinedC).toMatchObject({ host: 2, initiator: true });
    expect(joinedC.token).not.toBe(tokenB);
    await a.expect('peer-joined');

    const late = await h.connect();
    late.send({ type: 'join', room, token: tokenB });
    await late.expectError('room-full');
  });

  it('applies the grace deadline on join even before the next sweep', async () => {
    const h = await start({ manualClock: true, graceMs: 5_000 });
    const { a, b, room } = await pair(h);
    b.ws.close();
    await a.expect('peer-left');
    h.advance(5_000);
    const c = await h.connect();
    c.send({ type: 'join', room });
    expect(await c.expect('joined')).toMatchObject({ host: 2 });
    expect(await a.expect('peer-left')).toMatchObject({ reason: 'timeout' });
  });

  it('hands a connected slot to a new connection with its token and closes the old one', async () => {
    const h = await start();
    const { a, b, room, tokenB } = await pair(h);
    const b2 = await h.connect();
    b2.send({ type: 'join', room, token: tokenB });
    expect(await b2.expect('joined')).toMatchObject({ host: 2, initiator: true });
    await b.expectError('replaced');
    expect((await b.closed).code).toBe(CLOSE_CODES.replaced);
    expect(await a.expect('peer-left')).toMatchObject({ host: 2, reason: 'disconnected' });
    expect(await a.expect('peer-joined')).toMatchObject({ host: 2 });
  });
});

describe('misbehaving clients', () => {
  it('answers bad JSON with an error and keeps the connection', async () => {
    const h = await start();
    const c = await h.connect();
    c.sendText('{"type": "create"');
    await c.expectError('bad-json');
    await c.roundTrip();
  });

  it('closes the connection after repeated bad JSON', async () => {
    const h = await start({ maxStrikes: 3 });
    const c = await h.connect();
    for (let i = 0; i < 3; i++) c.sendText('nope');
    await c.expectError('bad-json');
    await c.expectError('bad-json');
    const last = await c.expectError('bad-json');
    expect(last.message).toMatch(/closed/);
    expect((await c.closed).code).toBe(CLOSE_CODES.policy);
  });

  it.each([
    ['not an object', '[1,2,3]'],
    ['no type', '{"room":"ABCDEF"}'],
    ['unknown type', '{"type":"teleport"}'],
    ['join without a room', '{"type":"join"}'],
    ['join with a numeric room', '{"type":"join","room":123456}'],
    ['a malformed token', '{"type":"join","room":"ABCDEF","token":"<script>"}'],
    ['signal with string data', '{"type":"signal","data":"v=0"}'],
    ['signal with array data', '{"type":"signal","data":[]}'],
    ['signal with a bad session', '{"type":"signal","data":{},"session":-1}'],
    ['control without data', '{"type":"control"}'],
    ['deeply nested data', `{"type":"control","data":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`],
  ])('answers a schema-invalid message (%s) with bad-message', async (_name, text) => {
    const h = await start();
    const c = await h.connect();
    c.sendText(text);
    await c.expectError('bad-message');
    await c.roundTrip();
  });

  it('refuses binary frames', async () => {
    const h = await start();
    const c = await h.connect();
    c.ws.send(Buffer.from('{"type":"ping"}'));
    await c.expectError('bad-message');
  });

  it('accepts a message of exactly the size limit', async () => {
    const { a, b } = await pair(await start());
    const empty = JSON.stringify({ type: 'signal', data: { pad: '' } });
    const pad = 'x'.repeat(MAX_MESSAGE_BYTES - empty.length);
    a.sendText(JSON.stringify({ type: 'signal', data: { pad } }));
    expect((await b.expect('signal')).data.pad).toHaveLength(pad.length);
  });

  it('answers a message over 64 KiB with too-big and closes the connection', async () => {
    const h = await start();
    const { a, b } = await pair(h);
    const pad = 'x'.repeat(MAX_MESSAGE_BYTES);
    a.send({ type: 'signal', data: { pad } });
    await a.expectError('too-big');
    expect((await a.closed).code).toBe(CLOSE_CODES.tooBig);
    expect(await b.expect('peer-left')).toMatchObject({ host: 1, reason: 'disconnected' });
    expect(b.pending).toEqual([]); // nothing of the oversized message reached the peer
  });

  it('cuts off a huge frame at the WebSocket layer without disturbing others', async () => {
    const h = await start();
    const { a, b } = await pair(h);
    const c = await h.connect();
    c.sendText('x'.repeat(4 * 1024 * 1024));
    expect((await c.closed).code).toBe(1009);
    a.send({ type: 'signal', data: OFFER });
    expect(await b.expect('signal')).toEqual({ type: 'signal', data: OFFER });
  });

  it('disconnects a flooding client while an established pair keeps relaying', async () => {
    const h = await start();
    const { a, b } = await pair(h);
    const flood = await h.connect();
    flood.send({ type: 'create' });
    await flood.expect('joined');
    for (let i = 0; i < 400; i++) {
      flood.send({ type: 'ping' });
      if (i % 40 === 0) a.send({ type: 'signal', data: { ...CANDIDATE, n: i } });
    }
    const closed = await flood.closed;
    expect(closed.code).toBe(CLOSE_CODES.policy);
    const errors = flood.received.filter((m) => m.type === 'error');
    expect(errors).toEqual([expect.objectContaining({ code: 'rate-limited' })]);
    expect(flood.received.filter((m) => m.type === 'pong').length).toBeLessThan(400);

    for (let i = 0; i < 400; i += 40) expect((await b.expect('signal')).data.n).toBe(i);
    b.send({ type: 'control', data: { still: 'here' } });
    expect(await a.expect('control')).toEqual({ type: 'control', data: { still: 'here' } });
    expect(h.logs).toContainEqual(expect.objectContaining({ event: 'signal-kick', code: 'rate-limited' }));
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const h = await start();
    const socket = new WebSocket(`ws://127.0.0.1:${h.port}/not-signal`);
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('error', (error) => resolve(`error: ${error.message}`));
    });
    expect(outcome).toMatch(/^error/);
    expect(h.logs).toContainEqual(expect.objectContaining({ event: 'upgrade-refused', url: '/not-signal' }));
  });

  it('leaves other paths to another upgrade handler when there is one (Vite hot reload)', async () => {
    const server = http.createServer();
    const others = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/hmr') others.handleUpgrade(req, socket, head, (ws) => ws.send('hmr here'));
    });
    const signaling = attachSignaling(server, { log: () => {}, heartbeatMs: 0, sweepMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const hmr = new WebSocket(`ws://127.0.0.1:${port}/hmr`);
      expect(await new Promise((resolve) => hmr.once('message', (data: Buffer) => resolve(data.toString())))).toBe('hmr here');
      hmr.close();
      const signal = new WebSocket(`ws://127.0.0.1:${port}/signal`);
      await new Promise((resolve) => signal.once('open', resolve));
      signal.send('{"type":"ping"}');
      expect(await new Promise((resolve) => signal.once('message', (data: Buffer) => resolve(data.toString())))).toBe('{"type":"pong"}');
      signal.terminate();
    } finally {
      signaling.close();
      others.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('accepts the signaling path with a query string', async () => {
    const h = await start();
    const c = await h.connect(undefined, '/signal?v=1');
    await c.roundTrip();
  });

  it('refuses connections over the connection limit with 503', async () => {
    const h = await start({ maxConnections: 1 });
    await h.connect();
    const socket = new WebSocket(h.url);
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('unexpected-response', (_req, res) => resolve(`status ${res.statusCode}`));
      socket.once('error', (error) => resolve(`error: ${error.message}`));
    });
    expect(outcome).toBe('status 503');
  });

  it('drops a connection that stops answering pings; its peer sees it leave', async () => {
    const h = await start({ heartbeatMs: 200 });
    const a = await h.connect();
    a.send({ type: 'create' });
    const { room } = await a.expect('joined');
    const silent = await h.connect({ autoPong: false });
    silent.send({ type: 'join', room });
    await silent.expect('joined');
    await a.expect('peer-joined');
    expect((await silent.closed).code).toBe(1006);
    expect(await a.expect('peer-left')).toMatchObject({ host: 2, reason: 'disconnected' });
    expect(a.isOpen).toBe(true); // a answers pings, so it stays
    expect(h.logs).toContainEqual(expect.objectContaining({ event: 'signal-dead' }));
  });
});

describe('room limits', () => {
  it('closes a room after an hour without activity', async () => {
    const h = await start({ manualClock: true });
    const { a, b, room } = await pair(h);
    h.advance(59 * 60_000);
    h.signaling.sweep();
    await a.roundTrip(); // activity: the hour starts again
    h.advance(59 * 60_000);
    h.signaling.sweep();
    expect(a.isOpen && b.isOpen).toBe(true);

    h.advance(60_000);
    h.signaling.sweep();
    expect((await a.expectError('room-expired')).message).toMatch(/60 minutes/);
    await b.expectError('room-expired');
    expect((await a.closed).code).toBe(CLOSE_CODES.roomExpired);
    expect((await b.closed).code).toBe(CLOSE_CODES.roomExpired);

    const c = await h.connect();
    c.send({ type: 'join', room });
    await c.expectError('no-such-room');
    expect(h.signaling.stats().rooms).toBe(0);
  });

  it('expires an empty room too, with a configurable idle time', async () => {
    const h = await start({ manualClock: true, roomIdleMs: 10 * 60_000 });
    const a = await h.connect();
    a.send({ type: 'create' });
    const { room } = await a.expect('joined');
    a.send({ type: 'leave' });
    await a.roundTrip();
    h.advance(10 * 60_000);
    h.signaling.sweep();
    a.send({ type: 'join', room });
    await a.expectError('no-such-room');
  });

  it('refuses to create rooms beyond the limit, but evicts an empty one to make space', async () => {
    const h = await start({ maxRooms: 2 });
    const a = await h.connect();
    const b = await h.connect();
    const c = await h.connect();
    a.send({ type: 'create' });
    const roomA = (await a.expect('joined')).room;
    b.send({ type: 'create' });
    await b.expect('joined');
    c.send({ type: 'create' });
    expect((await c.expectError('too-many-rooms')).message).toMatch(/limit of 2 rooms/);

    a.send({ type: 'leave' });
    await a.roundTrip();
    c.send({ type: 'create' });
    expect(await c.expect('joined')).toMatchObject({ host: 1 });
    expect(h.signaling.stats().rooms).toBe(2);
    a.send({ type: 'join', room: roomA });
    await a.expectError('no-such-room');
  });

  it('does not evict a room whose peer may still come back', async () => {
    const h = await start({ maxRooms: 1 });
    const a = await h.connect();
    a.send({ type: 'create' });
    await a.expect('joined');
    a.ws.close();
    await a.closed;
    const c = await h.connect();
    c.send({ type: 'create' });
    await c.expectError('too-many-rooms');
  });
});

describe('logs', () => {
  it('never contain signal or control contents, nor tokens', async () => {
    const h = await start();
    const { a, b, tokenA, tokenB } = await pair(h);
    a.send({ type: 'signal', data: { type: 'offer', sdp: 'SECRET-SDP-LINE' } });
    await b.expect('signal');
    b.send({ type: 'control', data: { secret: 'SECRET-CONTROL' } });
    await a.expect('control');
    const text = JSON.stringify(h.logs);
    expect(text).not.toContain('SECRET-SDP-LINE');
    expect(text).not.toContain('SECRET-CONTROL');
    expect(text).not.toContain(tokenA);
    expect(text).not.toContain(tokenB);
    expect(h.logs).toContainEqual(expect.objectContaining({ event: 'room-joined', host: 2 }));
  });
});


describe('shutdown', () => {
  it('closing the HTTP server closes the signaling connections too', async () => {
    const h = await startSignaling({ heartbeatMs: 0, sweepMs: 0 });
    const { a, b } = await pair(h);
    const server = h.server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    expect((await a.closed).code).toBe(CLOSE_CODES.goingAway);
    expect((await b.closed).code).toBe(CLOSE_CODES.goingAway);
    await closed;
  });
});
