/**
 * The message schema: what parseClientMessage and parseServerMessage accept,
 * what they refuse, and that no input whatsoever makes them throw.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatRoomCode,
  MAX_DATA_DEPTH,
  MAX_MESSAGE_BYTES,
  normaliseRoomCode,
  parseClientMessage,
  parseServerMessage,
  ROOM_CODE_ALPHABET,
} from '../../signaling/protocol';
import { randomString } from '../../signaling/rooms';
import { TokenBucket } from '../../signaling/signaling';

describe('parseClientMessage', () => {
  it.each([
    ['{"type":"create"}', { type: 'create' }],
    ['{"type":"leave"}', { type: 'leave' }],
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"join","room":"abc-234"}', { type: 'join', room: 'abc-234' }],
    ['{"type":"join","room":"ABC234","token":"aB3_-x"}', { type: 'join', room: 'ABC234', token: 'aB3_-x' }],
    ['{"type":"join","room":"ABC234","token":null}', { type: 'join', room: 'ABC234' }],
    ['{"type":"signal","data":{"type":"offer","sdp":"v=0"}}', { type: 'signal', data: { type: 'offer', sdp: 'v=0' } }],
    ['{"type":"signal","data":{},"session":3}', { type: 'signal', data: {}, session: 3 }],
    ['{"type":"control","data":{"kind":"hello"}}', { type: 'control', data: { kind: 'hello' } }],
  ])('accepts %s', (text, value) => {
    expect(parseClientMessage(text)).toEqual({ ok: true, value });
  });

  it('drops unknown fields', () => {
    expect(parseClientMessage('{"type":"create","room":"X","extra":{"a":1}}')).toEqual({ ok: true, value: { type: 'create' } });
  });

  it.each([
    ['', 'bad-json'],
    ['{', 'bad-json'],
    ['undefined', 'bad-json'],
    ['null', 'bad-message'],
    ['"create"', 'bad-message'],
    ['42', 'bad-message'],
    ['[{"type":"create"}]', 'bad-message'],
    ['{}', 'bad-message'],
    ['{"type":"CREATE"}', 'bad-message'],
    ['{"type":["create"]}', 'bad-message'],
    ['{"__proto__":{"type":"create"}}', 'bad-message'],
    ['{"type":"join","room":null}', 'bad-message'],
    [`{"type":"join","room":"${'A'.repeat(65)}"}`, 'bad-message'],
    ['{"type":"join","room":"ABC234","token":7}', 'bad-message'],
    [`{"type":"join","room":"ABC234","token":"${'a'.repeat(65)}"}`, 'bad-message'],
    ['{"type":"signal","data":null}', 'bad-message'],
    ['{"type":"signal","data":{},"session":1.5}', 'bad-message'],
    ['{"type":"signal","data":{},"session":"1"}', 'bad-message'],
    ['{"type":"control","data":"hi"}', 'bad-message'],
  ])('refuses %s as %s', (text, code) => {
    const result = parseClientMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.message.length).toBeGreaterThan(10);
    }
  });

  it('refuses data nested deeper than the limit, and accepts it at the limit', () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    expect(parseClientMessage(`{"type":"control","data":${nested(MAX_DATA_DEPTH)}}`).ok).toBe(true);
    expect(parseClientMessage(`{"type":"control","data":${nested(MAX_DATA_DEPTH + 1)}}`)).toMatchObject({ ok: false, code: 'bad-message' });
    // Arrays count as levels too.
    expect(parseClientMessage(`{"type":"control","data":{"a":${'['.repeat(MAX_DATA_DEPTH)}${']'.repeat(MAX_DATA_DEPTH)}}}`).ok).toBe(false);
  });

  it('survives hostile nesting far deeper than any stack', () => {
    const depth = 30_000;
    expect(parseClientMessage(`{"type":"signal","data":${'['.repeat(depth)}${']'.repeat(depth)}}`).ok).toBe(false);
    expect(parseClientMessage(`${'['.repeat(depth)}${']'.repeat(depth)}`).ok).toBe(false);
  });

  it('refuses text longer than the size limit before parsing it', () => {
    const text = JSON.stringify({ type: 'control', data: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    expect(parseClientMessage(text)).toMatchObject({ ok: false, code: 'too-big' });
  });

  it('never throws on non-string input', () => {
    for (const input of [undefined, null, 42, {}, [], Symbol('x'), () => 1]) {
      expect(() => parseClientMessage(input as unknown as string)).not.toThrow();
      expect(parseClientMessage(input as unknown as string).ok).toBe(false);
    }
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const result = parseClientMessage(text);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON, and whatever it accepts is a well-formed message', () => {
    const hostileKey = fc.constantFrom('type', 'room', 'token', 'data', 'session', '__proto__', 'constructor', 'toString', 'x');
    const hostileValue = fc.oneof(
      fc.constantFrom('create', 'join', 'signal', 'control', 'leave', 'ping', 'joined', 'ABC234', 'abc-234', ''),
      fc.jsonValue({ maxDepth: 4 }),
    );
    const message = fc.dictionary(hostileKey, hostileValue, { maxKeys: 5 });
    fc.assert(
      fc.property(fc.oneof(message, fc.jsonValue({ maxDepth: 5 })), (value) => {
        const result = parseClientMessage(JSON.stringify(value));
        if (!result.ok) return;
        const parsed = result.value;
        expect(['create', 'join', 'signal', 'control', 'leave', 'ping']).toContain(parsed.type);
        if (parsed.type === 'join') expect(typeof parsed.room).toBe('string');
        if (parsed.type === 'signal' || parsed.type === 'control') {
          expect(typeof parsed.data).toBe('object');
          expect(Array.isArray(parsed.data)).toBe(false);
          expect(parsed.data).not.toBeNull();
          // What the server relays can always be serialised again.
          expect(() => JSON.stringify(parsed)).not.toThrow();
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseServerMessage', () => {
  it.each([
    { type: 'joined', room: 'ABC234', host: 1, token: 'tok', peerPresent: false, initiator: false, session: 0 },
    { type: 'peer-joined', host: 2, session: 4 },
    { type: 'peer-left', host: 1, reason: 'timeout' },
    { type: 'signal', data: { type: 'answer', sdp: 'v=0' } },
    { type: 'control', data: {} },
    { type: 'error', code: 'room-full', message: 'Full.' },
    { type: 'pong' },
  ])('accepts $type', (message) => {
    expect(parseServerMessage(JSON.stringify(message))).toEqual({ ok: true, value: message });
  });

  it.each([
    { type: 'joined', room: 'abc234', host: 1, token: 'tok', peerPresent: false, initiator: false, session: 0 },
    { type: 'joined', room: 'ABC234', host: 3, token: 'tok', peerPresent: false, initiator: false, session: 0 },
    { type: 'joined', room: 'ABC234', host: 1, token: 'tok', peerPresent: 'no', initiator: false, session: 0 },
    { type: 'peer-left', host: 1, reason: 'bored' },
    { type: 'error', code: 'teapot', message: 'x' },
    { type: 'signal' },
    { type: 'welcome' },
  ])('refuses %j', (message) => {
    expect(parseServerMessage(JSON.stringify(message)).ok).toBe(false);
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(typeof parseServerMessage(text).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('room codes', () => {
  it('normalises case, dashes and spaces', () => {
    expect(normaliseRoomCode('abc-234')).toBe('ABC234');
    expect(normaliseRoomCode('  Ab C 2-3-4 ')).toBe('ABC234');
    expect(normaliseRoomCode('abc_234')).toBe('ABC234');
  });

  it('refuses codes of the wrong length or with ambiguous characters', () => {
    expect(normaliseRoomCode('ABC23')).toBeUndefined();
    expect(normaliseRoomCode('ABC2345')).toBeUndefined();
    for (const ambiguous of ['0', 'O', '1', 'I', 'L']) expect(normaliseRoomCode(`ABC23${ambiguous}`)).toBeUndefined();
    expect(normaliseRoomCode('ABC23é')).toBeUndefined();
  });

  it('formats codes for people', () => {
    expect(formatRoomCode('ABC234')).toBe('ABC-234');
  });

  it('draws codes from the alphabet without modulo bias', () => {
    // 31 letters: 248 = 8 × 31, so bytes 248..255 would favour the first 8 letters and must be skipped.
    const bytes = (count: number): Uint8Array => Uint8Array.from({ length: count }, (_, i) => (i < 8 ? 248 + i : 247));
    expect(randomString(bytes, ROOM_CODE_ALPHABET, 6)).toBe('ZZZZZZ');
    let next = 0;
    const counting = (count: number): Uint8Array => Uint8Array.from({ length: count }, () => next++ % 248);
    const seen = new Set(randomString(counting, ROOM_CODE_ALPHABET, 31));
    expect(seen.size).toBe(31);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(50, 100, 0);
    let allowed = 0;
    for (let i = 0; i < 150; i++) if (bucket.take(0)) allowed++;
    expect(allowed).toBe(100);
    expect(bucket.take(10)).toBe(false); // 0.5 token after 10 ms
    expect(bucket.take(20)).toBe(true); // 1 token after 20 ms
    let later = 0;
    for (let i = 0; i < 200; i++) if (bucket.take(1020)) later++;
    expect(later).toBe(50);
  });
});
