/**
 * The state diagram panel's state: every connection's history from the trace
 * (FsmModel), which connection is shown (the one selected in any panel, else
 * the one that changed last), and the timers that bound the waiting states
 * (2 MSL, FIN_WAIT_2's limit) for their countdown.
 */

import type { LabState } from '../lab/lab.svelte';
import { Redraw } from '../../lib/redraw.svelte';

/** New data redraws this panel at most ~30 times a second (its drawing is the page's heaviest). */
const REDRAW_MS = 33;
import { FsmModel, type ConnHistory } from './fsm-model';

export class FsmState {
  /** When the diagram redraws: model changes at most once per frame while on screen. */
  readonly redraw = new Redraw(REDRAW_MS);
  /** Count transitions of the shown connection, or of every connection seen. */
  scope = $state<'conn' | 'all'>('conn');

  readonly model = new FsmModel();
  /** The deadline of each connection's running close timer, by `${host}|${conn}`. */
  private readonly waits = new Map<string, { kind: string; deadline: number }>();
  private readonly unsubscribe: () => void;

  constructor(readonly lab: LabState) {
    this.unsubscribe = lab.subscribe((batch) => {
      let changed = this.model.apply(batch);
      for (const e of batch) {
        if (e.type !== 'timer' || (e.kind !== 'time-wait' && e.kind !== 'fin-wait-2')) continue;
        const key = `${e.host}|${e.owner}`;
        if (e.what === 'start' && e.deadline !== undefined) this.waits.set(key, { kind: e.kind, deadline: e.deadline });
        else this.waits.delete(key);
        changed = true;
      }
      if (changed) this.redraw.mark();
    });
  }

  dispose(): void {
    this.unsubscribe();
    this.redraw.dispose();
  }

  /** Changes whenever the diagram should draw again. */
  get version(): number {
    return this.redraw.version;
  }

  /** The connection shown: the selected one if the trace has it, else the last to change state. */
  get shown(): ConnHistory | undefined {
    void this.version;
    const sel = this.lab.selectedConn;
    const h = (sel ? this.model.get(sel) : undefined) ?? (this.model.latest ? this.model.get(this.model.latest) : undefined);
    // A copy: the model changes its histories in place, and a derived value that is the same object would not update the view.
    return h ? { ...h, transitions: [...h.transitions] } : undefined;
  }

  /** The close timer the shown connection is waiting on, if any. */
  wait(h: ConnHistory | undefined): { kind: string; deadline: number } | undefined {
    void this.version;
    return h ? this.waits.get(`${h.host}|${h.conn}`) : undefined;
  }

  counts(h: ConnHistory | undefined): Map<string, number> {
    void this.version;
    if (this.scope === 'all') return new Map(this.model.totals);
    return h ? this.model.countsOf(h.conn) : new Map();
  }

  choose(conn: string): void {
    this.lab.select(this.lab.selected, conn);
  }
}
