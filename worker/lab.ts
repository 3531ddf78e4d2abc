/**
 * A lab: the hosts, links and trace outputs one tab runs, wired to a driver.
 * Sans-IO like the rest of the stack: the wall clock comes in through the
 * RealtimeDriver; worker/main.ts supplies the real one, tests a fake.
 *
 * Today it builds solo mode (two hosts on one in-memory segment); the two-tab
 * mode of issue #5 adds a host whose NIC is attached to the WebRTC frame port.
 */

import { Host } from './host';
import { MemorySegment } from './link/memory-segment';
import { PRESETS, type Conditioner, type ConditionerSettings, type FateCounters, type FrameAction, type FrameFilter, type InFlightFrame, type PresetName } from './link/conditioner';
import type { PingEvent, PingSummary } from './net/ping';
import { RealtimeDriver, type DriverState, type WallClock } from './sim/driver';
import { Rng } from './sim/rng';
import { Scheduler } from './sim/scheduler';
import type { CountersSnapshot } from './trace/counters';
import { Tracer, type TraceEvent } from './trace/events';
import { FrameStore, captureFrames } from './trace/frame-store';
import type { ArpEntrySnapshot } from './net/arp-cache';

export interface LabOptions {
  seed: number;
  /** Propagation delay of the solo segment, ms. */
  delayMs?: number;
}

export interface HostSummary {
  name: string;
  mac: number;
  address: number;
  prefixLen: number;
  mtu: number;
}

export class Lab {
  readonly scheduler = new Scheduler();
  readonly tracer = new Tracer();
  readonly frames = new FrameStore();
  readonly driver: RealtimeDriver;
  readonly hosts: Host[] = [];
  /** Each host's egress conditioner, by host name. */
  readonly conditioners = new Map<string, Conditioner>();
  readonly segment: MemorySegment;

  constructor(
    wall: WallClock,
    readonly options: LabOptions,
  ) {
    this.driver = new RealtimeDriver(this.scheduler, wall);
    captureFrames(this.tracer, this.frames);
    const rng = new Rng(options.seed);
    this.segment = new MemorySegment(this.scheduler, options.delayMs ?? 0.5, 'solo');
    const specs = [
      { name: 'alice', mac: '02:00:00:00:00:01', address: '10.0.0.1/24' },
      { name: 'bob', mac: '02:00:00:00:00:02', address: '10.0.0.2/24' },
    ];
    for (const s of specs) {
      const host = new Host({ name: s.name, interfaces: [{ mac: s.mac, address: s.address }] }, { scheduler: this.scheduler, rng: rng.fork(s.name), tracer: this.tracer });
      this.segment.attach(host.nics[0]);
      this.conditioners.set(s.name, host.condition());
      this.hosts.push(host);
    }
    this.driver.inject(() => this.hosts.forEach((h) => h.up()), 'hosts up');
    this.driver.run();
  }

  host(name: string): Host {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`There is no host called "${name}" in this lab.`);
    return h;
  }

  describeHosts(): HostSummary[] {
    return this.hosts.map((h) => {
      const i = h.iface();
      return { name: h.name, mac: i.mac, address: i.addr, prefixLen: i.prefixLen, mtu: i.mtu };
    });
  }

  /** Starts ping(8) from a host; resolves with the summary when it finishes. */
  ping(from: string, dst: string, count: number, onEvent: (e: PingEvent) => void): Promise<PingSummary> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          this.host(from).ping(dst, { count, intervalMs: 1000 }, (e) => {
            onEvent(e);
            if (e.kind === 'done') resolve(e.summary);
          });
        } catch (err) {
          reject(err);
        }
      }, `ping from ${from}`);
    });
  }

  state(): DriverState {
    return this.driver.state();
  }

  counters(name: string): CountersSnapshot {
    return this.host(name).counters.snapshot();
  }

  arp(name: string): ArpEntrySnapshot[] {
    return this.host(name).iface().arp.snapshot();
  }

  /** The frames one host captured (tx and rx), as a pcap file. */
  pcap(name: string, epochMs: number): Uint8Array {
    return this.frames.toPcap((r) => r.host === name, { epochMs });
  }

  // ---- the link conditioner (each host owns its outgoing direction) ----

  conditioner(name: string): Conditioner {
    const c = this.conditioners.get(name);
    if (!c) throw new Error(`There is no host called "${name}" in this lab.`);
    return c;
  }

  /** Changes one direction's settings live, as commands do: through the driver, so they are ordered with events. */
  configure(name: string, patch: Partial<ConditionerSettings>): ConditionerSettings {
    const c = this.conditioner(name);
    this.driver.inject(() => c.configure(patch), `conditioner ${name}`);
    return { ...c.current, ...patch };
  }

  preset(name: string, preset: PresetName): ConditionerSettings {
    const settings = PRESETS[preset];
    if (!settings) throw new Error(`There is no preset called "${preset}".`);
    const unplugged = this.conditioner(name).current.unplugged;
    return this.configure(name, { ...settings, unplugged });
  }

  fates(name: string): FateCounters {
    return { ...this.conditioner(name).counters };
  }

  /** Pulls (or plugs back) the cable: every frame both ways is lost. */
  unplug(unplugged: boolean): void {
    for (const name of this.conditioners.keys()) this.configure(name, { unplugged });
  }

  /** The host crashes and reboots: ARP cache, fragments and sockets are gone. */
  crash(name: string): void {
    const h = this.host(name);
    this.driver.inject(() => h.restart(), `crash ${name}`);
  }

  hold(name: string, count: number, filter: FrameFilter = {}): number {
    return this.conditioner(name).hold(count, filter);
  }

  cancelHold(name: string, ruleId: number): void {
    this.conditioner(name).cancelHold(ruleId);
  }

  inFlight(name: string): InFlightFrame[] {
    return this.conditioner(name).inFlight();
  }

  act(name: string, id: number, action: FrameAction): void {
    const c = this.conditioner(name);
    this.driver.inject(() => c.act(id, action), `fate of frame ${id}`);
  }

  subscribe(listener: (e: TraceEvent) => void): () => void {
    return this.tracer.subscribe(listener);
  }
}
