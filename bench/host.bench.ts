/**
 * Whole-stack throughput in one process: UDP datagrams from one host to another
 * over the in-memory segment, through every layer (sockets, IPv4, ARP cache,
 * Ethernet, NIC, segment) and back up, on the virtual clock.
 */
import { Host } from '../worker/host';
import { MemorySegment } from '../worker/link/memory-segment';
import { Rng } from '../worker/sim/rng';
import { Scheduler } from '../worker/sim/scheduler';
import { FrameStore, captureFrames } from '../worker/trace/frame-store';
import { Tracer } from '../worker/trace/events';
import { bench, type BenchResult } from './harness';

function setup(mtu: number, traced: boolean) {
  const scheduler = new Scheduler();
  const rng = new Rng(1);
  const tracer = new Tracer();
  if (traced) captureFrames(tracer, new FrameStore({ maxFrames: 100_000 }));
  const seg = new MemorySegment(scheduler, 0);
  const mk = (name: string, n: number) => {
    const h = new Host({ name, interfaces: [{ mac: n, address: `10.0.0.${n}/24`, mtu }] }, { scheduler, rng: rng.fork(name), tracer });
    seg.attach(h.nics[0]);
    return h.up();
  };
  const a = mk('a', 1);
  const b = mk('b', 2);
  let received = 0;
  b.udp.bind(9).onMessage = (m) => (received += m.data.length);
  const sock = a.udp.bind(4000);
  sock.sendTo(0x0a000002, 9, new Uint8Array(1)); // resolve ARP
  scheduler.advance(10);
  const payload = new Uint8Array(mtu - 28);
  return {
    step() {
      for (let i = 0; i < 64; i++) sock.sendTo(0x0a000002, 9, payload);
      scheduler.runUntilIdle();
      return 64 * payload.length;
    },
    received: () => received,
  };
}

export function hostBenchmarks(): BenchResult[] {
  const rate = (bytesPerOp: number, frameBytes: number) => (ops: number) => ({ 'Gbit/s': (ops * bytesPerOp * 8) / 1e9, 'frames/s': (ops * bytesPerOp) / frameBytes });
  const results: BenchResult[] = [];
  for (const [mtu, traced] of [
    [1500, false],
    [9000, false],
    [1500, true],
  ] as const) {
    const s = setup(mtu, traced);
    const perOp = 64 * (mtu - 28);
    results.push(bench(`UDP a->b, MTU ${mtu}${traced ? ', traced into frame store' : ', tracing off'} (64 datagrams/op)`, () => void s.step(), { ms: 2000, extra: rate(perOp, mtu - 28) }));
    if (s.received() === 0) throw new Error('benchmark delivered nothing');
  }
  return results;
}
