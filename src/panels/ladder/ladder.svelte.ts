/**
 * The ladder panel's state: the model fed by the lab's trace batches (and, in
 * a pairing, by the peer tab's events the session maps onto our timeline), and what
 * the reader chose (zoom, connection filter, relative or absolute numbers,
 * follow-live). The component reads `version` to know when to draw again.
 */

import { HOST_SPECS } from '../../../worker/host-plan';
import type { LabState } from '../lab/lab.svelte';
import { Redraw } from '../../lib/redraw.svelte';

/** New data redraws this panel at most ~30 times a second (its drawing is the page's heaviest). */
const REDRAW_MS = 33;
import { DEFAULT_LAYOUT, LadderModel, connKey, type ArrowItem } from './ladder-model';
import { LadderBacklog } from './ladder-backlog';

/** Pixels per millisecond, from far out to close in. */
export const ZOOMS = [0.01, 0.03, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25] as const;
const DEFAULT_ZOOM = ZOOMS.indexOf(DEFAULT_LAYOUT.scale as (typeof ZOOMS)[number]);

export class LadderState {
  /** When the diagram redraws: new events at most once per frame while on screen; the reader's actions at once. */
  readonly redraw = new Redraw(REDRAW_MS);
  zoom = $state(DEFAULT_ZOOM);
  relative = $state(true);
  follow = $state(true);
  /** connKey of the one connection shown, or all traffic. */
  filter = $state<string | undefined>(undefined);
  connections = $state.raw<{ key: string; name: string }[]>([]);

  readonly model: LadderModel;
  private readonly unsubscribe: () => void;
  private readonly unsubscribePeer: () => void;

  constructor(readonly lab: LabState) {
    const hosts = [HOST_SPECS[0].name, HOST_SPECS[1].name] as const;
    this.model = new LadderModel({ hosts, local: lab.mode === 'solo' ? hosts : lab.hosts.map((h) => h.name) });
    let started = false;
    // The lab's mode is known once it runs, which is before its first batch (ours or the peer's).
    const start = () => {
      if (!started) this.model.setLocal(lab.mode === 'solo' ? hosts : lab.hosts.map((h) => h.name));
      started = true;
    };
    // In a view that is not shown, batches wait in the backlog (bounded, see ladder-backlog.ts) and the
    // model takes them when the view opens: nobody watches arrows being built for a hidden diagram.
    this.unsubscribe = lab.subscribe((batch) => {
      start();
      if (this.redraw.isHidden) return this.backlog.own(batch);
      this.model.apply(batch);
      this.changed();
    });
    this.unsubscribePeer = lab.subscribePeer((events) => {
      start();
      if (this.redraw.isHidden) return this.backlog.peer(events);
      this.model.applyPeer(events);
      this.changed();
    });
    this.redraw.onShow = () => this.catchUp();
  }

  /** Events left out while the view was closed (only the newest were kept): said under the diagram. */
  leftOut = $state(0);
  private readonly backlog = new LadderBacklog();

  /** Hands the model what waited while the view was closed. */
  private catchUp(): void {
    if (this.backlog.size === 0) return;
    const left = this.backlog.drain(
      (b) => this.model.apply(b),
      (b) => this.model.applyPeer(b),
    );
    if (left > 0) this.leftOut += left;
    this.changed();
  }

  private changed(): void {
    if (this.model.connections().length !== this.connections.length) this.connections = this.model.connections();
    this.redraw.mark();
  }

  dispose(): void {
    this.unsubscribe();
    this.unsubscribePeer();
    this.redraw.dispose();
  }

  /** Changes whenever the diagram should draw again. */
  get version(): number {
    return this.redraw.version;
  }

  /** Peer events not drawn: left out by the peer (rate cap) or refused here or by the model. Read with `version`. */
  get peerSkipped(): number {
    return (this.lab.peerTrace?.skipped ?? 0) + this.model.peerRefused;
  }

  setZoom(index: number): void {
    this.zoom = Math.max(0, Math.min(ZOOMS.length - 1, index));
    this.model.setLayout({ ...this.model.layout, scale: ZOOMS[this.zoom] });
    this.redraw.now();
  }

  setFilter(key: string | undefined): void {
    this.filter = key;
    this.model.setFilter(key);
    this.redraw.now();
  }

  /** Shows only the connection picked in the other panels. */
  filterSelected(): void {
    if (this.lab.selectedConn) this.setFilter(connKey(this.lab.selectedConn));
  }

  /** Selects an arrow's frame (and its connection, as the sender names it) for every panel. */
  select(a: ArrowItem): void {
    const conn = a.tcp ? `${a.tcp.src}:${a.tcp.srcPort}>${a.tcp.dst}:${a.tcp.dstPort}` : undefined;
    // In solo mode the connection as the sender names it is a TCB of this tab; in a pairing only ours are.
    const ours = this.lab.mode === 'solo' || this.lab.hosts.some((h) => h.name === a.from);
    const reversed = a.tcp ? `${a.tcp.dst}:${a.tcp.dstPort}>${a.tcp.src}:${a.tcp.srcPort}` : undefined;
    this.lab.select(a.ref, ours ? conn : reversed);
  }

  /** The arrow of the frame selected anywhere, if the ladder still has it. */
  selectedArrow(): ArrowItem | undefined {
    const ref = this.lab.selected;
    return ref ? this.model.find(ref) : undefined;
  }

  /** The arrow before or after the selected one (keyboard), or the last one. */
  step(delta: number): ArrowItem | undefined {
    const arrows = this.model.arrows();
    if (arrows.length === 0) return undefined;
    const current = this.selectedArrow();
    const i = current ? arrows.indexOf(current) : -1;
    const next = i < 0 ? arrows[delta > 0 ? 0 : arrows.length - 1]! : arrows[Math.max(0, Math.min(arrows.length - 1, i + delta))]!;
    this.select(next);
    return next;
  }
}
