/**
 * TcpSocket.skip: a discard service consumes data without copying it. The
 * window opens exactly as after read() (RFC 9293 3.8.6.2.2: the update is
 * sent when it opens by two segments or more), and every byte is accounted.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TcpSocket } from '../../../worker/transport/tcp/tcb';
import { pair } from '../../helpers/lan';

function run(consume: (s: TcpSocket) => number): { consumed: number; updates: number } {
  const net = pair({ delayMs: 2 });
  net.run(5);
  const l = net.b.tcp.listen(9000, 8, { receiveBuffer: 8 * 1448 });
  let server: TcpSocket | undefined;
  l.onConnection = () => (server = l.accept()!);
  const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 9000);
  net.run(50);
  c.write(new Uint8Array(40_000).fill(7));
  net.run(200); // the receive buffer fills: the window closes
  expect(server!.readable).toBe(8 * 1448);
  let consumed = 0;
  const before = net.events.length;
  for (let i = 0; i < 50 && consumed < 40_000; i++) {
    consumed += consume(server!);
    net.run(50);
  }
  const updates = net.events.slice(before).filter((e) => e.type === 'frame' && e.dir === 'tx' && e.host === 'bob').length;
  expect(server!.skip()).toBe(0); // nothing left
  return { consumed, updates };
}

describe('TcpSocket.skip', () => {
  it('consumes all the data without copying, and the window opens as with read()', () => {
    const skipped = run((s) => s.skip());
    const read = run((s) => s.read().length);
    expect(skipped.consumed).toBe(40_000);
    expect(read.consumed).toBe(40_000);
    // The same ACKs and window updates go out either way.
    expect(skipped.updates).toBe(read.updates);
    expect(skipped.updates).toBeGreaterThan(0);
  });
});
