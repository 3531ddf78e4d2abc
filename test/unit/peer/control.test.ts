/**
 * Control messages from the peer tab are untrusted: parseControl must accept
 * what a well-behaved tab sends and refuse or trim everything else, with a
 * reason or a count, and never throw. Most of this is about `trace`, the
 * largest and most varied message.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CONTROL_MESSAGE, parseControl } from '../../../src/lib/peer/control';
import { MAX_TRACE_ENTRIES, type TraceMessage } from '../../../src/lib/peer/peer-trace';

const clock = { wall: 1_700_000_000_000, stack: 1234.5, speed: 1 };
const trace = (ev: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ t: 'trace', clock, skipped: 0, ev, ...extra });
const conn = '10.0.0.2:23>10.0.0.1:49152';

function parsed(raw: string): TraceMessage {
  const p = parseControl(raw);
  if (!p.ok || p.value.t !== 'trace') throw new Error(`not a trace message: ${JSON.stringify(p)}`);
  return p.value;
}

describe('control messages', () => {
  it('takes a well-formed trace message with every kind of entry', () => {
    const ev = [
      ['x', 10.5, 123456789],
      ['x', 11, 4294967295, 'rto'],
      ['r', 12, 0],
      ['f', 13, 77, 'lost-random', 'AAEC'],
      ['f', 13, 78, 'duplicated'],
      ['s', 14, conn, 'LISTEN', 'SYN_RCVD', 'rcv SYN / snd SYN,ACK'],
      ['m', 15, 'start', 'synack', conn, 1015],
      ['m', 16, 'stop', 'synack', conn],
    ];
    const m = parsed(trace(ev, { skipped: 3 }));
    expect(m.ev).toEqual(ev);
    expect(m.refused).toBe(0);
    expect(m.skipped).toBe(3);
    expect(m.clock).toEqual(clock);
  });

  it('drops each malformed trace entry with a count and keeps the rest', () => {
    const bad = [
      'x',
      [],
      ['x', '10', 1],
      ['x', 10, -1],
      ['x', 10, 1.5],
      ['x', 10, 2 ** 32],
      ['x', 10, 1, 'because'],
      ['x', 1e300, 1],
      ['r', 10, 1, 'extra'],
      ['f', 10, 1, 'exploded'],
      ['f', 10, 1, 'lost-random', 'not base64!'],
      ['f', 10, 1, 'lost-random', 'A'.repeat(400)],
      ['s', 10, conn, 'LISTEN', 'PARTYING', 'x'],
      ['s', 10, 'alice>bob', 'LISTEN', 'SYN_RCVD', 'x'],
      ['s', 10, conn, 'LISTEN', 'SYN_RCVD', 'x'.repeat(81)],
      ['s', 10, conn, 'LISTEN', 'SYN_RCVD'],
      ['m', 10, 'start', 'arp-retry', conn],
      ['m', 10, 'pause', 'rto', conn],
      ['m', 10, 'start', 'rto', conn, 'soon'],
      ['q', 10, 1],
      { 0: 'x', 1: 10, 2: 1 },
      null,
    ];
    const m = parsed(trace([...bad, ['r', 20, 5]]));
    expect(m.ev).toEqual([['r', 20, 5]]);
    expect(m.refused).toBe(bad.length);
  });

  it('refuses a trace message that is malformed as a whole, with a reason', () => {
    const cases: [string, RegExp][] = [
      [JSON.stringify({ t: 'trace', skipped: 0, ev: [] }), /clock/],
      [JSON.stringify({ t: 'trace', clock: { ...clock, wall: 'now' }, skipped: 0, ev: [] }), /clock/],
      [JSON.stringify({ t: 'trace', clock, skipped: -1, ev: [] }), /skipped/],
      [JSON.stringify({ t: 'trace', clock, skipped: 0, ev: {} }), /events/],
      [trace(Array.from({ length: MAX_TRACE_ENTRIES + 1 }, () => ['r', 1, 1])), /too many/],
      [trace([['r', 1, 1]]).padEnd(MAX_CONTROL_MESSAGE + 1, ' '), /too long/],
    ];
    for (const [raw, reason] of cases) {
      const p = parseControl(raw);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.reason).toMatch(reason);
    }
  });

  it('clamps the sender’s speed and never takes a refused count from the sender', () => {
    const m = parsed(trace([], { clock: { ...clock, speed: 50 }, refused: 1000 }));
    expect(m.clock.speed).toBe(1);
    expect(m.refused).toBe(0);
    expect(parsed(trace([], { clock: { ...clock, speed: 0 } })).clock.speed).toBe(0.01);
  });

  it('never throws, whatever arrives', () => {
    const samples: unknown[] = [undefined, null, 42, '', '{', '[]', '"trace"', '{"t":"trace","clock":null}', '{"t":"trace","clock":{},"ev":[[]]}', new ArrayBuffer(8)];
    // Random JSON shaped roughly like a trace message.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const atoms = () => [rnd() * 1e6, -1, 'x', 'r', 'f', 's', 'm', conn, 'LISTEN', null, true, [], {}, 'AAAA', 2 ** 40][Math.floor(rnd() * 15)];
    for (let i = 0; i < 300; i++) {
      const ev = Array.from({ length: Math.floor(rnd() * 5) }, () => Array.from({ length: Math.floor(rnd() * 7) }, atoms));
      samples.push(JSON.stringify({ t: 'trace', clock: rnd() < 0.8 ? clock : atoms(), skipped: rnd() < 0.8 ? 0 : atoms(), ev }));
    }
    for (const s of samples) expect(() => parseControl(s)).not.toThrow();
  });

  it('still reads the other messages', () => {
    expect(parseControl(JSON.stringify({ t: 'ping', id: 1, sent: 5 }))).toEqual({ ok: true, value: { t: 'ping', id: 1, sent: 5 } });
    expect(parseControl(JSON.stringify({ t: 'sim', mode: 'paused', speed: 0.1 }))).toEqual({ ok: true, value: { t: 'sim', mode: 'paused', speed: 0.1 } });
    expect(parseControl(JSON.stringify({ t: 'nope' })).ok).toBe(false);
  });
});
