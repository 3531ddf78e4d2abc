/**
 * The worker's API as seen by the UI through comlink. Every method is a command
 * into the stack or a snapshot out of it; trace events flow out in batches via
 * the listener the UI registers (at most one batch per frame, see main.ts).
 *
 * Plain data only crosses the boundary: numbers, strings, arrays, Uint8Arrays.
 */

import type { WallClock, DriverState } from './sim/driver';
import type { PingEvent, PingSummary } from './net/ping';
import type { TraceEvent } from './trace/events';
import type { CountersSnapshot } from './trace/counters';
import type { ArpEntrySnapshot } from './net/arp-cache';
import { Lab, type HostSummary } from './lab';
import type { ConditionerSettings, FateCounters, FrameAction, FrameFilter, InFlightFrame, PresetName } from './link/conditioner';

export type TraceBatchListener = (batch: TraceEvent[]) => void;

export interface WiretabApi {
  /** Starts (or restarts) solo mode with a seed. */
  startSolo(seed: number): HostSummary[];
  ping(from: string, dst: string, count: number, onEvent: (e: PingEvent) => void): Promise<PingSummary>;
  run(): DriverState;
  pause(): DriverState;
  step(): DriverState;
  setSpeed(speed: number): DriverState;
  state(): DriverState;
  counters(host: string): CountersSnapshot;
  arp(host: string): ArpEntrySnapshot[];
  pcap(host: string): Uint8Array;
  onTrace(listener: TraceBatchListener): void;
  /** Link conditioner of a host's outgoing direction. */
  conditioner(host: string): ConditionerSettings;
  configure(host: string, patch: Partial<ConditionerSettings>): ConditionerSettings;
  preset(host: string, preset: PresetName): ConditionerSettings;
  fates(host: string): FateCounters;
  unplug(unplugged: boolean): void;
  crash(host: string): void;
  hold(host: string, count: number, filter?: FrameFilter): number;
  cancelHold(host: string, ruleId: number): void;
  inFlight(host: string): InFlightFrame[];
  act(host: string, id: number, action: FrameAction): void;
}

/** Builds the API over injected IO: the wall clock, the wall epoch, and a batching scheduler for trace output. */
export function createApi(io: { wall: WallClock; epochMs: () => number; schedulerFlush: (flush: () => void) => void }): WiretabApi {
  let lab: Lab | undefined;
  let listener: TraceBatchListener | undefined;
  let batch: TraceEvent[] = [];
  let flushPending = false;
  let unsubscribe: (() => void) | undefined;

  const flush = () => {
    flushPending = false;
    if (batch.length === 0 || !listener) return;
    const out = batch;
    batch = [];
    listener(out);
  };

  const need = (): Lab => {
    if (!lab) throw new Error('Start a lab first (solo mode or a pairing).');
    return lab;
  };

  return {
    startSolo(seed) {
      unsubscribe?.();
      lab?.driver.pause();
      lab = new Lab(io.wall, { seed });
      unsubscribe = lab.subscribe((e) => {
        batch.push(e);
        if (!flushPending) {
          flushPending = true;
          io.schedulerFlush(flush);
        }
      });
      return lab.describeHosts();
    },
    ping: (from, dst, count, onEvent) => need().ping(from, dst, count, onEvent),
    run() {
      need().driver.run();
      return need().state();
    },
    pause() {
      need().driver.pause();
      return need().state();
    },
    step() {
      need().driver.step();
      return need().state();
    },
    setSpeed(speed) {
      need().driver.setSpeed(speed);
      return need().state();
    },
    state: () => need().state(),
    counters: (host) => need().counters(host),
    arp: (host) => need().arp(host),
    pcap: (host) => need().pcap(host, io.epochMs()),
    onTrace(l) {
      listener = l;
    },
    conditioner: (host) => need().conditioner(host).current,
    configure: (host, patch) => need().configure(host, patch),
    preset: (host, p) => need().preset(host, p),
    fates: (host) => need().fates(host),
    unplug: (u) => need().unplug(u),
    crash: (host) => need().crash(host),
    hold: (host, count, filter) => need().hold(host, count, filter),
    cancelHold: (host, id) => need().cancelHold(host, id),
    inFlight: (host) => need().inFlight(host),
    act: (host, id, action) => need().act(host, id, action),
  };
}
