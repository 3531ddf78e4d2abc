/**
 * Keepalive with fractional times: in real time (the browser worker, the Linux
 * interop harness) stack time is a float of milliseconds. The idle check
 * compared `now - lastHeard < keepIdleMs`; when the timer fired exactly at
 * lastHeard + keepIdleMs, float rounding could make the difference a hair
 * under keepIdleMs (1000.004 + 300 - 1000.004 = 299.99999999999994), and the
 * timer re-armed itself at the same instant forever: the stack hung (found by
 * test/interop/linux.test.ts, keepalive against Linux). RFC 1122 4.2.3.6.
 */
import { describe, expect, it } from 'vitest';
import { Harness } from '../../conformance/runner/harness';
import { TcpFlag } from '../../../worker/wire/tcp';

describe('TCP keepalive on a fractional clock', () => {
  it('keepalive_probe_goes_out_when_the_idle_deadline_is_a_float_that_rounds_down', () => {
    const h = new Harness({ mtu: 1500, seed: 3, tcp: { keepalive: true, keepIdleMs: 300, keepIntervalMs: 600, keepCount: 3, timestamps: false, sack: false, windowScaling: false } });
    const s = h.host.tcp.connect(h.peerAddr, 40000, { localPort: 8080 });
    h.scheduler.advance(1);
    const iss = h.sent.shift()!.tcp.seq;
    const seg = (flags: number, seq: number) =>
      h.injectTcp({ srcPort: 40000, dstPort: 8080, seq, ack: (iss + 1) >>> 0, flags, window: 65535, urgent: 0, options: [], payload: new Uint8Array(0) });
    seg(TcpFlag.SYN | TcpFlag.ACK, 999);
    expect(s.state).toBe('ESTABLISHED');
    // The peer's last segment (an answer to our probes so far) arrives at t = 1000.004 ms.
    h.scheduler.runUntil(1000.004);
    seg(TcpFlag.ACK, 1000);
    h.sent.length = 0;
    // Run the next 400 ms one event at a time, with a bound instead of a hang.
    let events = 0;
    while (events < 1000 && h.scheduler.runNext(1400.004)) events++;
    expect(events).toBeLessThan(10);
    // One probe, at the idle deadline: SEG.SEQ = SND.NXT - 1, no data.
    expect(h.sent.map((x) => [x.tcp.flags, x.tcp.seq === iss, x.tcp.payload.length])).toEqual([[TcpFlag.ACK, true, 0]]);
    expect(h.sent[0].t).toBeCloseTo(1300.004, 6);
  });
});
