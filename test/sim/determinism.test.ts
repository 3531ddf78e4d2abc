import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import type { TraceEvent } from '../../worker/trace/events';
import { pair, utf8 } from '../helpers/lan';

/** A scripted run (ARP, ping, UDP, fragments); its whole trace as text, frames in hex. */
function traceOf(seed: number): string {
  const net = pair({ seed, delayMs: 0.5, mtu: 576 });
  net.a.ping('10.0.0.2', { count: 3, intervalMs: 100 });
  net.b.udp.bind(7).onMessage = () => {};
  net.a.udp.bind().sendTo(parseIpv4('10.0.0.2')!, 7, utf8('x'.repeat(2000)));
  net.run(2000);
  return net.events.map(eventText).join('\n');
}

function eventText(e: TraceEvent): string {
  return JSON.stringify(e, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

describe('determinism', () => {
  it('the same seed and inputs give the same trace, byte for byte', () => {
    const first = traceOf(42);
    expect(first.split('\n').length).toBeGreaterThan(30);
    expect(traceOf(42)).toBe(first);
  });

  it('a different seed changes the random choices (IP ids, ping id, ephemeral ports)', () => {
    expect(traceOf(43)).not.toBe(traceOf(42));
  });
});
