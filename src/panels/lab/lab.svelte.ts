/**
 * State of a lab as the page sees it: the hosts this tab runs (both in solo
 * mode, one in a pairing), a ping terminal, the simulation clock controls, a
 * live frame log, and the trace and socket batches the other panels subscribe
 * to. Components render this and call its methods; all stack access goes
 * through the remote API.
 */

import { Comlink, stack } from '../../lib/stack/client';
import { formatIpv4, formatMac } from '../../../worker/wire/addr';
import type { DriverState } from '../../../worker/sim/driver';
import type { HostSummary } from '../../../worker/lab';
import type { TraceEvent } from '../../../worker/trace/events';
import type { SocketTableEvent } from '../../../worker/apps/socket-table';
import { HOST_SPECS } from '../../../worker/host-plan';
import type { PingEvent } from '../../../worker/net/ping';
import { ConditionerState } from '../conditioner/conditioner.svelte';
import { HoldWatch, LagMeter, type LagStats } from '../../lib/lag';
import type { PeerEvent } from '../../lib/peer/peer-trace';

/** Now on the clock the page shares with the worker (see TraceBatchListener). */
const sharedNow = () => performance.timeOrigin + performance.now();



/**
 * A frame as every panel names it: the host that traced it and that host's
 * frame number (FrameEvent.id). In solo mode a frame is named by its sender.
 */
export interface FrameRef {
  host: string;
  id: number;
}

/** How the peer tab's events reach this tab's ladder (pair mode; lib/peer/peer-trace.ts). */
export interface PeerTraceStatus {
  /** The peer's name. */
  peer: string;
  /** Uncertainty of the peer's times on our timeline, stack ms; undefined while no clock offset is known. */
  error: number | undefined;
  /** Peer events not merged: left out by the peer's rate cap, or refused here. */
  skipped: number;
}

/** A host a panel can talk to: a name and an address. */
export interface Target {
  name: string;
  ip: string;
}

export class LabState {
  status = $state<'idle' | 'starting' | 'ready' | 'error'>('idle');
  mode = $state<'solo' | 'pair'>('solo');
  error = $state('');
  hosts = $state.raw<HostSummary[]>([]);
  clock = $state.raw<DriverState | undefined>(undefined);
  terminal = $state.raw<string[]>([]);
  pinging = $state(false);
  from = $state('alice');
  count = $state(4);
  framesSeen = $state(0);
  /**
   * The frame the reader picked, in any panel (packet list, ladder, ...): the
   * others follow it. Set it with select().
   */
  selected = $state.raw<FrameRef | undefined>(undefined);
  /** The TCP connection the reader is looking at ("10.0.0.1:49152>10.0.0.2:80", TcpEvent.conn). */
  selectedConn = $state<string | undefined>(undefined);
  /** Pair mode: the state of the peer's trace summary, for the ladder's notes (set by the pair session). */
  peerTrace = $state.raw<PeerTraceStatus | undefined>(undefined);
  /** The link conditioner panel, fed by this lab's trace batches. */
  readonly link = new ConditionerState({
    subscribe: (listener) => this.subscribe(listener),
    now: () => this.clock?.now,
  });
  /** How far the display runs behind the stack (ms), over the last two seconds; undefined while nothing flows. */
  displayLag = $state.raw<LagStats | undefined>(undefined);
  private readonly lagMeter = new LagMeter();
  /**
   * Solo mode: the stack was held lately so the display could keep up (its clock
   * waits for the panels, see BACKPRESSURE in worker/api.ts); the clock bar says so.
   */
  slowedForDisplay = $state(false);
  private readonly holdWatch = new HoldWatch();
  /** The oldest event not yet on screen (shared clock), and the animation frame that will put it there. */
  private lagSince = Number.POSITIVE_INFINITY;
  private lagFrame = 0;
  private poll: ReturnType<typeof setInterval> | undefined;
  private listeners: ((batch: readonly TraceEvent[]) => void)[] = [];
  private socketListeners: ((batch: readonly SocketTableEvent[]) => void)[] = [];
  private peerListeners: ((events: readonly PeerEvent[]) => void)[] = [];

  /** Every host of the lab (solo: both here; pair: ours and the peer's), by the fixed plan in worker/lab.ts. */
  get everyone(): Target[] {
    return HOST_SPECS.map((h) => ({ name: h.name, ip: h.address.split('/')[0]! }));
  }

  /** The hosts `from` can reach: everyone but itself. */
  targetsOf(from: string): Target[] {
    return this.everyone.filter((h) => h.name !== from);
  }

  get target(): string {
    return this.targetsOf(this.from)[0]?.ip ?? '';
  }

  describe(h: HostSummary): { name: string; ip: string; mac: string } {
    return { name: h.name, ip: `${formatIpv4(h.address)}/${h.prefixLen}`, mac: formatMac(h.mac) };
  }

  select(frame: FrameRef | undefined, conn?: string): void {
    this.selected = frame;
    if (conn !== undefined) this.selectedConn = conn;
  }

  /** Solo mode: both hosts in this tab. */
  start(): Promise<void> {
    return this.boot('solo', (api, seed) => api.startSolo(seed));
  }

  /** A pairing: this tab's host `role`, its frames on `port` (the worker's end of the page's MessageChannel). */
  startPair(role: 1 | 2, port: MessagePort): Promise<void> {
    return this.boot('pair', (api, seed) => api.startPair({ seed, role }, Comlink.transfer(port, [port])));
  }

  private async boot(mode: 'solo' | 'pair', begin: (api: ReturnType<typeof stack>, seed: number) => Promise<HostSummary[]>): Promise<void> {
    if (this.status === 'starting' || this.status === 'ready') return;
    this.status = 'starting';
    this.mode = mode;
    try {
      const api = stack();
      await api.onTrace(Comlink.proxy((batch: TraceEvent[], since: number) => this.onBatch(batch, since)));
      await api.onSockets(Comlink.proxy((batch: SocketTableEvent[]) => this.socketListeners.forEach((l) => l(batch))));
      this.hosts = await begin(api, Math.floor(Math.random() * 2 ** 32));
      this.from = this.hosts[0]?.name ?? this.from;
      this.clock = await api.state();
      this.status = 'ready';
      const names = this.everyone.map((h) => h.name);
      const local = new Set(this.hosts.map((h) => h.name));
      // Solo: both directions are ours. Pair: ours is editable; the peer's arrives over the control channel.
      void this.link.start(names.map((host) => ({ host, peer: names.find((n) => n !== host)!, editable: local.has(host), remote: !local.has(host) })));
      // Stack time moves even when nothing happens: refresh the clock a few times a second.
      this.poll = setInterval(() => void this.refreshClock(), 250);
    } catch (err) {
      this.status = 'error';
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Socket events (the TCP console) for other panels; returns the unsubscribe function. */
  subscribeSockets(listener: (batch: readonly SocketTableEvent[]) => void): () => void {
    this.socketListeners = [...this.socketListeners, listener];
    return () => {
      this.socketListeners = this.socketListeners.filter((l) => l !== listener);
    };
  }

  /** Stack time as last read. */
  now(): number | undefined {
    return this.clock?.now;
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll);
    this.link.stop();
  }

  /** Trace batches for other panels of this lab; returns the unsubscribe function. */
  subscribe(listener: (batch: readonly TraceEvent[]) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Pair mode: the peer tab's events, already on our timeline (the ladder merges them); returns the unsubscribe function. */
  subscribePeer(listener: (events: readonly PeerEvent[]) => void): () => void {
    this.peerListeners = [...this.peerListeners, listener];
    return () => {
      this.peerListeners = this.peerListeners.filter((l) => l !== listener);
    };
  }

  /** Hands the peer's events to the panels that merge them (called by the pair session). */
  publishPeer(events: readonly PeerEvent[]): void {
    for (const l of this.peerListeners) l(events);
  }

  async ping(): Promise<void> {
    if (this.pinging || this.status !== 'ready') return;
    this.pinging = true;
    this.terminal = [...this.terminal, `${this.from}$ ping -c ${this.count} ${this.target}`];
    try {
      const onEvent = Comlink.proxy((e: PingEvent) => {
        if (e.kind === 'start' || e.kind === 'reply' || e.kind === 'error' || e.kind === 'send-failed') this.terminal = [...this.terminal, e.line];
        if (e.kind === 'done') this.terminal = [...this.terminal, '', ...e.summary.text.split('\n'), ''];
      });
      await stack().ping(this.from, this.target, this.count, onEvent);
    } catch (err) {
      this.terminal = [...this.terminal, `ping: ${err instanceof Error ? err.message : String(err)}`];
    } finally {
      this.pinging = false;
    }
  }

  clearTerminal(): void {
    this.terminal = [];
  }

  /** Called after the person here runs, pauses or changes speed (a pairing keeps both tabs in step). */
  onUserClock: ((mode: 'running' | 'paused', speed: number) => void) | undefined;

  async toggleRun(): Promise<void> {
    const api = stack();
    this.clock = this.clock?.mode === 'running' ? await api.pause() : await api.run();
    this.onUserClock?.(this.clock.mode, this.clock.speed);
  }

  /** The peer ran, paused or changed speed: do the same here (without telling it back). */
  async applyClock(mode: 'running' | 'paused', speed: number): Promise<void> {
    if (this.status !== 'ready') return;
    const api = stack();
    if (this.clock?.speed !== speed) this.clock = await api.setSpeed(speed);
    if (this.clock?.mode !== mode) this.clock = mode === 'running' ? await api.run() : await api.pause();
  }

  async step(): Promise<void> {
    this.clock = await stack().step();
  }

  async setSpeed(speed: number): Promise<void> {
    this.clock = await stack().setSpeed(speed);
    this.onUserClock?.(this.clock.mode, this.clock.speed);
  }

  async downloadPcap(host: string): Promise<void> {
    const bytes = await stack().pcap(host);
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/vnd.tcpdump.pcap' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `wiretab-${host}.pcap`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private async refreshClock(): Promise<void> {
    if (this.status !== 'ready' || document.hidden) return;
    const lag = this.lagMeter.stats(sharedNow());
    if (lag?.p50 !== this.displayLag?.p50 || lag?.max !== this.displayLag?.max) this.displayLag = lag;
    this.clock = await stack().state();
    const slowed = this.holdWatch.update(performance.now(), this.clock);
    if (slowed !== this.slowedForDisplay) this.slowedForDisplay = slowed;
  }

  /** A batch's events are on screen at the next animation frame: that is when its lag is measured. */
  private measureLag(since: number): void {
    if (!(since > 0)) return;
    this.lagSince = Math.min(this.lagSince, since);
    if (this.lagFrame !== 0 || typeof requestAnimationFrame !== 'function') return;
    this.lagFrame = requestAnimationFrame(() => {
      this.lagFrame = 0;
      const now = sharedNow();
      this.lagMeter.add(now, now - this.lagSince);
      this.lagSince = Number.POSITIVE_INFINITY;
    });
  }

  private onBatch(batch: TraceEvent[], since = 0): void {
    this.measureLag(since);
    // Frames counted as the packet list lists them: in solo mode once, when sent (the other host receives
    // it); in a pairing the peer's frames are only seen arriving, so both directions.
    let seen = 0;
    for (const e of batch) if (e.type === 'frame' && (e.dir === 'tx' || this.mode !== 'solo')) seen++;
    if (seen > 0) this.framesSeen += seen;
    for (const l of this.listeners) l(batch);
  }
}
