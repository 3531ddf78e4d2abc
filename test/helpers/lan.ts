/**
 * Builders for simulated networks: hosts on in-memory segments, one scheduler,
 * one seed, and a trace log to assert on.
 */

import { Host, type HostConfig } from '../../worker/host';
import { parseIpv4 } from '../../worker/wire/addr';
import { Rng } from '../../worker/sim/rng';
import { Scheduler } from '../../worker/sim/scheduler';
import { Tracer, type TraceEvent } from '../../worker/trace/events';
import { MemorySegment } from '../../worker/link/memory-segment';
import type { LinkPort } from '../../worker/link/port';
import type { Nic } from '../../worker/link/nic';

export interface Net {
  scheduler: Scheduler;
  rng: Rng;
  tracer: Tracer;
  events: TraceEvent[];
  segments: Map<string, MemorySegment>;
  hosts: Map<string, Host>;
  host(name: string): Host;
  /** Runs the simulation for `ms` of virtual time. */
  run(ms: number): void;
}

export interface HostSpec extends Omit<HostConfig, 'interfaces'> {
  interfaces: (HostConfig['interfaces'][number] & { segment: string })[];
}

export function network(specs: HostSpec[], opts: { seed?: number; delayMs?: number } = {}): Net {
  const scheduler = new Scheduler();
  const rng = new Rng(opts.seed ?? 1);
  const tracer = new Tracer();
  const events: TraceEvent[] = [];
  tracer.subscribe((e) => events.push(e));
  const segments = new Map<string, MemorySegment>();
  const hosts = new Map<string, Host>();
  for (const spec of specs) {
    const host = new Host({ ...spec, interfaces: spec.interfaces }, { scheduler, rng: rng.fork(`host ${spec.name}`), tracer });
    spec.interfaces.forEach((ic, i) => {
      let seg = segments.get(ic.segment);
      if (!seg) segments.set(ic.segment, (seg = new MemorySegment(scheduler, opts.delayMs ?? 0, ic.segment)));
      seg.attach(host.nics[i]);
    });
    hosts.set(spec.name, host);
  }
  for (const h of hosts.values()) h.up();
  return {
    scheduler,
    rng,
    tracer,
    events,
    segments,
    hosts,
    host(name) {
      const h = hosts.get(name);
      if (!h) throw new Error(`no host ${name}`);
      return h;
    },
    run(ms) {
      scheduler.advance(ms);
    },
  };
}

/** Two hosts, alice 10.0.0.1 and bob 10.0.0.2, on one /24 segment. */
export function pair(opts: { seed?: number; delayMs?: number; mtu?: number } = {}): Net & { a: Host; b: Host } {
  const net = network(
    [
      { name: 'alice', interfaces: [{ mac: '02:00:00:00:00:01', address: '10.0.0.1/24', mtu: opts.mtu, segment: 'lan' }] },
      { name: 'bob', interfaces: [{ mac: '02:00:00:00:00:02', address: '10.0.0.2/24', mtu: opts.mtu, segment: 'lan' }] },
    ],
    opts,
  );
  return Object.assign(net, { a: net.host('alice'), b: net.host('bob') });
}

/**
 * alice connects to bob's port 7000 over a 1 ms link, then both close in
 * order (alice first; bob when the FIN arrives) and alice waits out TIME_WAIT:
 * every state of the ordinary life of a connection, on both sides.
 */
export function orderlyConnection(): Net & { a: Host; b: Host } {
  const net = pair({ delayMs: 1 });
  const l = net.b.tcp.listen(7000);
  l.onConnection = () => {
    const s = l.accept()!;
    s.onEnd = () => s.close();
  };
  const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 7000);
  net.run(20);
  c.close();
  net.run(2 * c.config.mslMs + 100);
  return net;
}

/**
 * A test-only port between a NIC and its segment that lets a test drop frames
 * chosen by a predicate (the link conditioner of issue #4 does this for real).
 */
export class FilterPort implements LinkPort {
  onReady: (() => void) | undefined;
  dropped: Uint8Array[] = [];

  constructor(
    private readonly inner: LinkPort,
    public drop: (frame: Uint8Array) => boolean,
  ) {}

  static insert(nic: Nic, drop: (frame: Uint8Array) => boolean): FilterPort {
    // The NIC is attached to its segment port; wrap that port.
    const inner = (nic as unknown as { port: LinkPort }).port;
    const f = new FilterPort(inner, drop);
    nic.attach(f);
    return f;
  }

  transmit(frame: Uint8Array): boolean {
    if (this.drop(frame)) {
      this.dropped.push(frame);
      return true;
    }
    return this.inner.transmit(frame);
  }

  ready(): boolean {
    return this.inner.ready();
  }
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
