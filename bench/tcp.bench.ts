/**
 * In-process TCP bulk transfer: both TCP ends, IPv4, ARP, Ethernet and the
 * in-memory segment in one process, on the virtual clock, tracing off.
 * Goodput is application bytes delivered per second of wall time.
 */
import { Host } from '../worker/host';
import { MemorySegment } from '../worker/link/memory-segment';
import { Rng } from '../worker/sim/rng';
import { Scheduler } from '../worker/sim/scheduler';
import { bench, type BenchResult } from './harness';

function setup(mtu: number) {
  const scheduler = new Scheduler();
  const rng = new Rng(1);
  const seg = new MemorySegment(scheduler, 0.05);
  const mk = (name: string, n: number) => {
    const h = new Host({ name, interfaces: [{ mac: n, address: `10.0.0.${n}/24`, mtu }], tcp: { sendBuffer: 4 << 20, receiveBuffer: 4 << 20 } }, { scheduler, rng: rng.fork(name) });
    seg.attach(h.nics[0]);
    return h.up();
  };
  const a = mk('a', 1);
  const b = mk('b', 2);
  let received = 0;
  let segments = 0;
  const l = b.tcp.listen(5001);
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => (received += s.read().length);
  };
  const c = a.tcp.connect(0x0a000002, 5001);
  const chunk = new Uint8Array(256 * 1024);
  scheduler.advance(10);
  return {
    step(): number {
      const before = received;
      const segsBefore = c.segsOut;
      c.write(chunk);
      // Run until the chunk is delivered.
      for (let i = 0; i < 1000 && received - before < chunk.length; i++) scheduler.advance(1);
      segments += c.segsOut - segsBefore;
      return received - before;
    },
    segments: () => segments,
    received: () => received,
  };
}

export function tcpBenchmarks(): BenchResult[] {
  const results: BenchResult[] = [];
  for (const mtu of [1500, 9000]) {
    const s = setup(mtu);
    const r = bench(`TCP a->b bulk, MTU ${mtu} (256 KiB per op)`, () => s.step(), {
      ms: 3000,
      extra: (_ops, bytesPerSec) => ({ 'Gbit/s': (bytesPerSec * 8) / 1e9, 'segments/s': (bytesPerSec / (mtu - 52)) }),
    });
    if (s.received() === 0) throw new Error('TCP benchmark delivered nothing');
    results.push(r);
  }
  return results;
}
