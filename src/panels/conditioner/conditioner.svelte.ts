/**
 * State of the link conditioner panel: the settings of each direction (a
 * host's egress), its fate counters, the frames waiting in it, and the
 * "Hold next…" rules. Components render this and call its methods; every
 * change goes to the worker through the remote API.
 *
 * Knob changes apply at once but reach the worker at most every 50 ms (a
 * dragged slider would otherwise send hundreds of commands). Counters and the
 * waiting list are re-read only after a trace batch that carries fate events
 * for that direction, or every 250 ms while frames are waiting (delayed frames
 * leave without an event); never while the tab is hidden.
 */

import { stack } from '../../lib/stack/client';
import { summarizeFrame } from '../../lib/frame-summary';
import {
  PERFECT,
  PRESETS,
  matches,
  type ConditionerSettings,
  type FateCounters,
  type FrameAction,
  type InFlightFrame,
  type LossModel,
  type PresetName,
} from '../../../worker/link/conditioner';
import type { TraceEvent } from '../../../worker/trace/events';
import { FATES, HOLD_FILTERS, PRESET_NAMES, type HoldFilterName, type PendingHold, type SectionName, type WaitingFrame } from './types';

/** Where the panel gets trace batches and the stack time from (the solo lab today, a paired lab later). */
export interface LinkSource {
  subscribe(listener: (batch: readonly TraceEvent[]) => void): () => void;
  /** Stack time, ms, as last read (undefined before the lab starts). */
  now(): number | undefined;
}

/** One direction of the link: the host whose egress it is, and the host on the other end. */
export interface DirectionSpec {
  host: string;
  peer: string;
  /** Two-tab mode: only the local host's direction can be changed; the peer's is shown read-only. */
  editable: boolean;
  /** The direction lives in the peer tab: its settings and counters arrive over the control channel (applyRemote). */
  remote?: boolean;
}

const CONFIGURE_THROTTLE_MS = 50;
const REFRESH_THROTTLE_MS = 100;
const POLL_MS = 250;
/** Rows shown in a waiting list; a congested queue can hold hundreds. */
const WAITING_SHOWN = 50;
/** Recent tx frames kept to tell which hold rule caught a frame. */
const RECENT_TX = 64;

/** Gilbert-Elliott numbers to start from when a person switches models: short bursts, about 1 frame in 50 starts one. */
const BURSTY: LossModel = { model: 'gilbert-elliott', p: 2, r: 25, oneMinusH: 100, oneMinusK: 0 };
const RANDOM: LossModel = { model: 'random', percent: 0, correlation: 0 };

export type LossPatch = { percent?: number; correlation?: number; p?: number; r?: number; oneMinusH?: number; oneMinusK?: number };

export class DirectionState {
  readonly host: string;
  readonly peer: string;
  readonly editable: boolean;
  settings = $state.raw<ConditionerSettings>(copySettings(PERFECT));
  fates = $state.raw<FateCounters>({});
  /** Frames held here until someone decides (the first WAITING_SHOWN of them). */
  held = $state.raw<WaitingFrame[]>([]);
  heldTotal = $state(0);
  /** Frames delayed on their way out (the first WAITING_SHOWN); they come and go with every frame on a slow link. */
  inFlight = $state.raw<WaitingFrame[]>([]);
  inFlightTotal = $state(0);
  holds = $state.raw<PendingHold[]>([]);
  holdCount = $state(1);
  holdFilter = $state<HoldFilterName>('icmp');
  /** The preset these settings equal, or 'custom'. */
  readonly preset = $derived(presetOf(this.settings));
  readonly activeFates = $derived(FATES.filter((f) => (this.fates[f] ?? 0) > 0));

  private patch: Partial<ConditionerSettings> | undefined;
  /** Local changes so far, so a slow read does not undo a fresh one. */
  private edits = 0;
  private throttle: ReturnType<typeof setTimeout> | undefined;
  private readonly summaries = new Map<number, Pick<WaitingFrame, 'protocol' | 'route' | 'info'>>();

  constructor(
    private readonly owner: ConditionerState,
    spec: DirectionSpec,
  ) {
    this.host = spec.host;
    this.peer = spec.peer;
    this.editable = spec.editable;
    this.remote = spec.remote ?? false;
  }

  readonly remote: boolean;

  /** The peer tab reported its direction's settings and counters (already validated). */
  applyRemote(settings: ConditionerSettings, fates: FateCounters): void {
    if (!this.remote) return;
    this.settings = settings;
    this.fates = fates;
  }

  async load(): Promise<void> {
    if (this.remote) return;
    const edits = this.edits;
    const settings = await stack().conditioner(this.host);
    // A knob moved while the settings were on their way: the worker has that change, keep it on screen too.
    if (this.edits === edits) this.settings = settings;
    await this.refresh();
  }

  /** Changes knobs: shown at once, sent to the worker at most every 50 ms. */
  set(patch: Partial<ConditionerSettings>): void {
    if (!this.editable) return;
    this.edits++;
    this.settings = { ...this.settings, ...patch };
    this.patch = { ...this.patch, ...patch };
    this.flushSoon();
  }

  setLoss(patch: LossPatch): void {
    const loss = this.settings.loss;
    this.set({ loss: loss.model === 'random' ? { ...loss, ...pick(patch, 'percent', 'correlation') } : { ...loss, ...pick(patch, 'p', 'r', 'oneMinusH', 'oneMinusK') } });
  }

  setLossModel(model: LossModel['model']): void {
    if (model === this.settings.loss.model) return;
    this.set({ loss: { ...(model === 'random' ? RANDOM : BURSTY) } });
  }

  private flushSoon(): void {
    if (this.throttle !== undefined) return;
    this.flush();
    this.throttle = setTimeout(() => {
      this.throttle = undefined;
      if (this.patch) this.flushSoon();
    }, CONFIGURE_THROTTLE_MS);
  }

  private flush(): void {
    const patch = this.patch;
    this.patch = undefined;
    if (patch) void this.owner.guard(() => stack().configure(this.host, patch));
  }

  async applyPreset(name: PresetName): Promise<void> {
    if (!this.editable) return;
    // The preset replaces every knob: a change still waiting to be sent is moot.
    this.patch = undefined;
    this.edits++;
    this.settings = await stack().preset(this.host, name);
  }

  async hold(): Promise<void> {
    if (!this.editable) return;
    const count = Math.max(1, Math.min(1000, Math.floor(this.holdCount) || 1));
    const filter = this.holdFilter;
    await this.owner.guard(async () => {
      const id = await stack().hold(this.host, count, HOLD_FILTERS[filter]);
      this.holds = [...this.holds, { id, remaining: count, filter }];
    });
  }

  async cancelHold(id: number): Promise<void> {
    this.holds = this.holds.filter((h) => h.id !== id);
    await this.owner.guard(() => stack().cancelHold(this.host, id));
  }

  async act(frame: WaitingFrame, action: FrameAction): Promise<void> {
    if (!this.editable) return;
    // Gone from the list at once; the refresh after the fate event confirms it.
    this.held = this.held.filter((w) => w.key !== frame.key);
    this.inFlight = this.inFlight.filter((w) => w.key !== frame.key);
    await this.owner.guard(() => stack().act(this.host, frame.id, action));
    this.owner.markDirty(this.host);
  }

  /** A frame was held: count it against the first rule it matches, as the conditioner does. */
  caught(frame: Uint8Array | undefined): void {
    const i = this.holds.findIndex((h) => frame === undefined || matches(frame, HOLD_FILTERS[h.filter]));
    if (i < 0) return;
    const h = this.holds[i];
    this.holds = h.remaining <= 1 ? this.holds.filter((_, j) => j !== i) : this.holds.map((x, j) => (j === i ? { ...x, remaining: x.remaining - 1 } : x));
  }

  async refresh(): Promise<void> {
    if (this.remote) return;
    const api = stack();
    const [fates, frames] = await Promise.all([api.fates(this.host), api.inFlight(this.host)]);
    this.fates = fates;
    const held = frames.filter((f) => f.state === 'held');
    const delayed = frames.filter((f) => f.state !== 'held');
    const rows = this.summarise([...held.slice(0, WAITING_SHOWN), ...delayed.slice(0, WAITING_SHOWN)]);
    this.heldTotal = held.length;
    this.inFlightTotal = delayed.length;
    this.held = rows.filter((r) => r.state === 'held');
    this.inFlight = rows.filter((r) => r.state !== 'held');
  }

  /** Frames waiting here, held or delayed. */
  get waitingTotal(): number {
    return this.heldTotal + this.inFlightTotal;
  }

  private summarise(frames: InFlightFrame[]): WaitingFrame[] {
    const seen = new Map<number, number>();
    const rows = frames.map((f) => {
      let s = this.summaries.get(f.id);
      if (!s) {
        const sum = summarizeFrame(f.frame);
        s = { protocol: sum.protocol, route: sum.destination ? `${sum.source} → ${sum.destination}` : sum.source, info: sum.info };
        this.summaries.set(f.id, s);
      }
      // A duplicated frame waits twice under one id.
      const n = (seen.get(f.id) ?? 0) + 1;
      seen.set(f.id, n);
      return { key: `${f.id}.${n}`, id: f.id, frameId: f.frameId, state: f.state, departAt: f.departAt, ...s };
    });
    for (const id of this.summaries.keys()) if (!seen.has(id)) this.summaries.delete(id);
    return rows;
  }

  /** Milliseconds of stack time until a delayed frame leaves. */
  leavesIn(frame: WaitingFrame): number | undefined {
    const now = this.owner.now();
    if (frame.departAt === undefined || now === undefined) return undefined;
    return Math.max(0, frame.departAt - now);
  }

  dispose(): void {
    if (this.throttle !== undefined) clearTimeout(this.throttle);
    this.throttle = undefined;
    this.flush();
  }
}

export class ConditionerState {
  directions = $state.raw<DirectionState[]>([]);
  /** Presets go to both directions unless this is off. */
  applyToBoth = $state(true);
  /** Show every fate counter, zeros included, instead of only those that happened. */
  showAllFates = $state(false);
  /** Show the frames in flight (delayed), not just their number: for slow motion, where a person can act on them. */
  showInFlight = $state(false);
  open = $state<Record<SectionName, boolean>>({ delay: false, loss: false, damage: false, rate: false });
  error = $state('');
  readonly unplugged = $derived(this.directions.some((d) => !d.remote) && this.directions.every((d) => d.remote || d.settings.unplugged));

  private readonly dirty = new Set<string>();
  private readonly recentTx = new Map<string, Uint8Array>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly source: LinkSource) {}

  now(): number | undefined {
    return this.source.now();
  }

  async start(specs: DirectionSpec[]): Promise<void> {
    this.stop();
    this.directions = specs.map((s) => new DirectionState(this, s));
    this.unsubscribe = this.source.subscribe((batch) => this.onBatch(batch));
    await this.guard(() => Promise.all(this.directions.map((d) => d.load())));
    this.pollTimer = setInterval(() => this.poll(), POLL_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.pollTimer = this.refreshTimer = undefined;
    for (const d of this.directions) d.dispose();
  }

  direction(host: string): DirectionState | undefined {
    return this.directions.find((d) => d.host === host);
  }

  async applyPreset(from: DirectionState, name: PresetName): Promise<void> {
    const targets = this.applyToBoth ? this.directions.filter((d) => d.editable) : [from];
    await this.guard(() => Promise.all(targets.map((d) => d.applyPreset(name))));
  }

  async setUnplugged(unplugged: boolean): Promise<void> {
    for (const d of this.directions) if (!d.remote) d.settings = { ...d.settings, unplugged };
    await this.guard(() => stack().unplug(unplugged));
  }

  async crash(host: string): Promise<void> {
    if (this.direction(host)?.remote) return;
    await this.guard(() => stack().crash(host));
    this.markDirty(host);
  }

  setOpen(section: SectionName, open: boolean): void {
    if (this.open[section] !== open) this.open[section] = open;
  }

  /** Runs a command, turning a failure into a message for the panel. */
  async guard<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await command();
      this.error = '';
      return result;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      return undefined;
    }
  }

  markDirty(host: string): void {
    this.dirty.add(host);
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const hosts = [...this.dirty];
      this.dirty.clear();
      for (const h of hosts) void this.guard(async () => this.direction(h)?.refresh());
    }, REFRESH_THROTTLE_MS);
  }

  private poll(): void {
    if (typeof document !== 'undefined' && document.hidden) return;
    for (const d of this.directions) if (d.waitingTotal > 0) this.markDirty(d.host);
  }

  /** Cheap on purpose: one pass, no allocation unless a fate or a watched frame goes by. */
  private onBatch(batch: readonly TraceEvent[]): void {
    for (const e of batch) {
      if (e.type === 'frame') {
        if (e.dir !== 'tx' || !this.watching(e.host)) continue;
        this.recentTx.set(`${e.host}:${e.id}`, e.frame);
        if (this.recentTx.size > RECENT_TX) this.recentTx.delete(this.recentTx.keys().next().value!);
      } else if (e.type === 'fate') {
        if (e.fate === 'held') this.direction(e.host)?.caught(this.recentTx.get(`${e.host}:${e.frameId}`));
        this.markDirty(e.host);
      }
    }
  }

  private watching(host: string): boolean {
    for (const d of this.directions) if (d.host === host) return d.holds.length > 0;
    return false;
  }
}

export function copySettings(s: ConditionerSettings): ConditionerSettings {
  return { ...s, loss: { ...s.loss } };
}

/** The preset equal to these settings (the cable's state aside), or 'custom'. */
export function presetOf(s: ConditionerSettings): PresetName | 'custom' {
  for (const name of PRESET_NAMES) if (sameSettings(PRESETS[name], s)) return name;
  return 'custom';
}

function sameSettings(a: ConditionerSettings, b: ConditionerSettings): boolean {
  for (const key of Object.keys(a) as (keyof ConditionerSettings)[]) {
    if (key === 'unplugged') continue;
    if (key === 'loss') {
      const la = a.loss as Record<string, unknown>;
      const lb = b.loss as Record<string, unknown>;
      const keys = new Set([...Object.keys(la), ...Object.keys(lb)]);
      for (const k of keys) if (la[k] !== lb[k]) return false;
    } else if (a[key] !== b[key]) return false;
  }
  return true;
}

function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

