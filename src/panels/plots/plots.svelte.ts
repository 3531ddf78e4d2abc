/**
 * State of the plots panel: a PlotBook fed by the lab's trace batches, the
 * connection and direction being shown, and the data the charts draw,
 * republished at most four times a second (uPlot redraws are cheap but not
 * free, and nobody reads a curve faster).
 */

import type uPlot from 'uplot';
import type { LabState } from '../lab/lab.svelte';
import { BIN_MS, PlotBook, type ConnectionPlot } from './plot-book';

const REFRESH_MS = 250;

export interface ConnChoice {
  key: string;
  host: string;
  name: string;
}

export interface ChartData {
  seq: uPlot.AlignedData;
  /** For the custom drawing of segments as vertical bars: [t, start, end, retx] columns. */
  segments: { t: number[]; start: number[]; end: number[]; retx: number[] };
  sacks: { t: number[]; left: number[]; right: number[] };
  cwnd: uPlot.AlignedData;
  rtt: uPlot.AlignedData;
  rate: uPlot.AlignedData;
  retransmissions: number;
  delivered: number;
  trimmed: boolean;
}

export class PlotsState {
  choices = $state.raw<ConnChoice[]>([]);
  /** The connection picked by the reader; undefined = follow the lab's selection, else the busiest. */
  picked = $state<string | undefined>(undefined);
  /** 'auto' = the direction that carried more data. */
  direction = $state<'auto' | 0 | 1>('auto');
  chart = $state.raw<ChartData | undefined>(undefined);
  /** Whether the panel is on screen (set by the component's IntersectionObserver). */
  visible = $state(true);

  readonly book = new PlotBook();
  private readonly unsubscribe: () => void;
  private readonly timer: ReturnType<typeof setInterval>;
  private drawn = -1;
  private drawnKey = '';

  constructor(private readonly lab: LabState) {
    this.unsubscribe = lab.subscribe((batch) => this.book.applyAll(batch));
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  dispose(): void {
    this.unsubscribe();
    clearInterval(this.timer);
  }

  /** The connection shown: picked, else the lab's selected one (seen from its sender), else the most recent. */
  get shown(): ConnectionPlot | undefined {
    const list = this.book.list();
    if (this.picked) {
      const p = list.find((c) => keyOf(c) === this.picked);
      if (p) return p;
    }
    const sel = this.lab.selectedConn;
    if (sel) {
      const p = list.find((c) => c.name === sel) ?? list.find((c) => c.name === sel.split('>').reverse().join('>'));
      if (p) return p;
    }
    return list[0];
  }

  pick(key: string | undefined): void {
    this.picked = key;
    this.drawn = -1;
    this.refresh();
  }

  setDirection(d: 'auto' | 0 | 1): void {
    this.direction = d;
    this.drawn = -1;
    this.refresh();
  }

  clear(): void {
    this.book.clear();
    this.choices = [];
    this.chart = undefined;
    this.drawn = -1;
  }

  refresh(): void {
    if (!this.visible || (typeof document !== 'undefined' && document.hidden)) return;
    const c = this.shown;
    const key = c ? `${keyOf(c)}|${this.direction}` : '';
    if (this.book.version === this.drawn && key === this.drawnKey) return;
    this.drawn = this.book.version;
    this.drawnKey = key;
    this.choices = this.book.list().map((p) => ({ key: keyOf(p), host: p.host, name: p.name }));
    this.chart = c ? chartData(c, this.direction === 'auto' ? c.mainDirection : this.direction) : undefined;
  }
}

export function keyOf(c: ConnectionPlot): string {
  return `${c.host}|${c.name}`;
}

/** The four charts' columns for one connection and direction. */
export function chartData(c: ConnectionPlot, dir: 0 | 1): ChartData {
  const d = c.dirs[dir];
  const s = d.segments.cols;
  const a = d.acks.cols;
  const k = d.sacks.cols;
  // The sequence chart's series share one time axis: segments' ends (points), ACK line, window edge, SACK right edges.
  const seq = joinColumns([
    [s.t, [s.end]],
    [a.t, [a.ack, a.edge]],
  ]);
  const b = d.bins.cols;
  const perSecond = 1000 / BIN_MS;
  const rate: uPlot.AlignedData = [b.t, b.wire.map((x) => x * 8 * perSecond), b.fresh.map((x) => x * 8 * perSecond)];
  // cwnd and RTT belong to the sender: this host's TCP only knows its own (direction 0 is the data it sends).
  const cw = dir === 0 ? c.cwnd.cols : { t: [], cwnd: [], ssthresh: [] };
  const rt = dir === 0 ? c.rtt.cols : { t: [], sample: [], srtt: [], rto: [] };
  return {
    seq,
    segments: s,
    sacks: k,
    // An infinite ssthresh (before the first loss) is a gap, not a line at the top.
    cwnd: [cw.t, cw.cwnd, cw.ssthresh.map((x) => (Number.isNaN(x) ? null : x))],
    rtt: [rt.t, rt.sample, rt.srtt, rt.rto],
    rate,
    retransmissions: d.retransmissions,
    delivered: d.delivered,
    trimmed: d.segments.trimmed || d.acks.trimmed,
  };
}

/**
 * Merges tables that each have their own time column into one aligned table
 * (uPlot's data shape): the union of times, each series null where its table
 * has no point. Times in each table must be non-decreasing.
 */
export function joinColumns(tables: [number[], number[][]][]): uPlot.AlignedData {
  const total = tables.reduce((n, [t]) => n + t.length, 0);
  const xs = new Array<number>(total);
  const width = tables.reduce((n, [, ys]) => n + ys.length, 0);
  const out: (number | null)[][] = Array.from({ length: width }, () => new Array<number | null>(total).fill(null));
  const at = tables.map(() => 0);
  let col = 0;
  const firstCol = tables.map(([, ys]) => {
    const c = col;
    col += ys.length;
    return c;
  });
  for (let row = 0; row < total; row++) {
    // The table whose next time is smallest gives this row.
    let best = -1;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]![0];
      if (at[i]! < t.length && (best < 0 || t[at[i]!]! < tables[best]![0][at[best]!]!)) best = i;
    }
    const [t, ys] = tables[best]!;
    const j = at[best]!++;
    xs[row] = t[j]!;
    ys.forEach((y, n) => (out[firstCol[best]! + n]![row] = y[j]!));
  }
  return [xs, ...out] as uPlot.AlignedData;
}
