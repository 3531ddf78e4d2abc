/**
 * The windows panel's state: the latest true variables ('vars' trace event) of
 * every connection, and those of the connection shown (the one selected in any
 * panel, else the one that changed last), republished at most once per
 * animation frame while the panel is on screen (Redraw).
 */

import type { TcpVarsEvent } from '../../../worker/trace/events';
import type { LabState } from '../lab/lab.svelte';
import { Redraw } from '../../lib/redraw.svelte';

/** New data redraws this panel at most ~30 times a second (its drawing is the page's heaviest). */
const REDRAW_MS = 33;

const KEEP = 200;

export class WindowsState {
  readonly redraw = new Redraw(REDRAW_MS);
  private shownVars: TcpVarsEvent | undefined;
  private updateCount = 0;

  private readonly latest = new Map<string, TcpVarsEvent>();
  private last: string | undefined;
  private readonly unsubscribe: () => void;

  constructor(readonly lab: LabState) {
    this.unsubscribe = lab.subscribe((batch) => {
      const want = this.lab.selectedConn;
      let seen = 0;
      for (const e of batch) {
        if (e.type !== 'tcp' || e.what !== 'vars') continue;
        this.latest.delete(e.conn);
        this.latest.set(e.conn, e);
        if (this.latest.size > KEEP) this.latest.delete(this.latest.keys().next().value!);
        this.last = e.conn;
        if (want === undefined || e.conn === want) seen++;
      }
      if (seen > 0) {
        this.updateCount += seen;
        this.pick();
        this.redraw.mark();
      }
    });
  }

  dispose(): void {
    this.unsubscribe();
    this.redraw.dispose();
  }

  /** The shown connection's variables, as of the last redraw. */
  get vars(): TcpVarsEvent | undefined {
    void this.redraw.version;
    return this.shownVars;
  }

  /** Updates seen for the shown connection (one per ACK processed, write or read). */
  get updates(): number {
    void this.redraw.version;
    return this.updateCount;
  }

  /** Shows the selected connection (call when the selection changes). */
  refresh(): void {
    this.pick();
    this.redraw.now();
  }

  private pick(): void {
    const want = this.lab.selectedConn;
    this.shownVars = (want ? this.latest.get(want) : undefined) ?? (this.last ? this.latest.get(this.last) : undefined);
  }

  /** The same connection seen from the other end, if this tab has it (solo mode). */
  otherSide(): string | undefined {
    const v = this.vars;
    if (!v) return undefined;
    const i = v.conn.indexOf('>');
    const rev = `${v.conn.slice(i + 1)}>${v.conn.slice(0, i)}`;
    return this.latest.has(rev) ? rev : undefined;
  }
}
