/**
 * The packet list and detail panel's state: the bounded log fed by the lab's
 * trace batches, the display filter (applied incrementally and in slices),
 * follow-live, the selection shared with the other panels (LabState.selected)
 * and the dissection of the selected frame.
 */

import { compileFilter } from '../../lib/filter/compile';
import type { FilterError } from '../../lib/filter/errors';
import { colourOf, type ColourRule } from '../../lib/packets/colour';
import { Proto } from '../../lib/packets/extract';
import { rowText, type RowText } from '../../lib/packets/info';
import { PacketLog } from '../../lib/packets/log';
import { Redraw } from '../../lib/redraw.svelte';
import { DEFAULT_BYTE_BUDGET, DEFAULT_ROWS, Dir, PacketStore } from '../../lib/packets/store';
import { RowView } from '../../lib/packets/view';
import { dissect, type Dissection } from '../../lib/dissect';
import { i18n, t } from '../../lib/i18n/i18n.svelte';
import { writePcap } from '../../../worker/trace/pcap';
import { formatIpv4 } from '../../../worker/wire/addr';
import type { FateMark } from '../conditioner/types';
import type { LabState } from '../lab/lab.svelte';

export const ROW_CHOICES = [10_000, 100_000, 1_000_000] as const;

export const EXAMPLE_FILTERS = ['tcp', 'icmp || arp', 'tcp.flags.syn == 1', 'ip.addr == 10.0.0.2', 'tcp.analysis.flags', 'dropped'] as const;

/** One row as the list draws it (only built for the rows on screen). */
export interface ShownRow extends RowText {
  abs: number;
  no: number;
  t: number;
  host: string;
  dir: 'tx' | 'rx' | 'event';
  len: number;
  colour: ColourRule;
  fates: FateMark[];
  drop: string | undefined;
  selected: boolean;
}

export class PacketsState {
  /** When the list redraws: new rows at most once per frame while on screen; the reader's actions at once. */
  readonly redraw = new Redraw();
  filterText = $state('');
  /** The filter in force ('' = none). */
  applied = $state('');
  error = $state.raw<FilterError | undefined>(undefined);
  /** 0..1 while a new filter is being applied to the log. */
  progress = $state(1);
  follow = $state(true);
  rowsKept = $state<number>(DEFAULT_ROWS);
  selectedAbs = $state<number | undefined>(undefined);

  store: PacketStore;
  log: PacketLog;
  view: RowView;
  private pumping = false;
  private unsubscribe: (() => void) | undefined;

  constructor(readonly lab: LabState) {
    this.store = new PacketStore(DEFAULT_ROWS, DEFAULT_BYTE_BUDGET);
    this.log = new PacketLog(this.store, lab.mode);
    this.view = new RowView(this.store);
    this.log.onMark = (abs) => this.view.mark(abs);
  }

  start(): void {
    this.unsubscribe ??= this.lab.subscribe((batch) => {
      this.log.mode = this.lab.mode;
      this.log.ingest(batch);
      this.pump();
      this.redraw.mark();
      this.followSelection();
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.redraw.dispose();
  }

  /** Changes when the list must redraw (new rows, marks, filter progress). */
  get version(): number {
    return this.redraw.version;
  }

  get total(): number {
    void this.version;
    return this.store.size;
  }

  get shown(): number {
    void this.version;
    return this.view.length;
  }

  // ---- filter ----

  applyFilter(text = this.filterText): void {
    this.filterText = text;
    const trimmed = text.trim();
    if (trimmed === '') {
      this.error = undefined;
      this.applied = '';
      this.view.setFilter(undefined);
      this.progress = 1;
      this.redraw.now();
      return;
    }
    const c = compileFilter(trimmed);
    if (!c.ok) {
      // The list stays as it was (unfiltered) while the filter is wrong.
      this.error = c.error;
      this.applied = '';
      this.view.setFilter(undefined);
      this.progress = 1;
      this.redraw.now();
      return;
    }
    this.error = undefined;
    this.applied = trimmed;
    this.view.setFilter(c.test);
    this.progress = 0;
    this.pump();
    this.redraw.now();
  }

  /** Tests pending rows for a few milliseconds at a time, yielding to the page between slices. */
  private pump(): void {
    if (this.pumping) return;
    const startPending = this.view.pending;
    if (startPending === 0) {
      this.progress = 1;
      return;
    }
    this.pumping = true;
    const total = startPending;
    const slice = () => {
      const until = performance.now() + 8;
      let left = this.view.pending;
      while (left > 0 && performance.now() < until) left = this.view.step(20_000);
      this.progress = left === 0 ? 1 : Math.max(0, Math.min(0.999, 1 - left / Math.max(total, left)));
      this.redraw.mark();
      if (left > 0) setTimeout(slice, 0);
      else this.pumping = false;
    };
    slice();
  }

  // ---- rows ----

  row(i: number): ShownRow | undefined {
    if (i < 0 || i >= this.view.length) return undefined;
    return this.rowOf(this.view.at(i));
  }

  rowOf(abs: number): ShownRow {
    const st = this.store;
    const s = st.slot(abs);
    const text = rowText(st, abs);
    const d = st.dir[s];
    return {
      ...text,
      abs,
      no: abs + 1,
      t: st.t[s]!,
      host: st.hosts[st.host[s]!] ?? '',
      dir: d === Dir.TX ? 'tx' : d === Dir.RX ? 'rx' : 'event',
      len: st.len[s]!,
      colour: colourOf(st, s),
      fates: st.fatesOf(abs),
      drop: st.drop[s] ? st.dropReasons[st.drop[s]! - 1] : undefined,
      selected: abs === this.selectedAbs,
    };
  }

  // ---- selection ----

  /** Selects the i-th shown row and tells the other panels. */
  selectIndex(i: number): void {
    const n = this.view.length;
    if (n === 0) return;
    const abs = this.view.at(Math.max(0, Math.min(n - 1, i)));
    this.selectAbs(abs);
  }

  selectAbs(abs: number): void {
    const st = this.store;
    if (!st.live(abs)) return;
    this.selectedAbs = abs;
    const s = st.slot(abs);
    if (st.dir[s] === Dir.EVENT) return;
    this.lab.select({ host: st.hosts[st.host[s]!]!, id: st.frameId[s]! }, this.connOf(abs));
  }

  /** Another panel selected a frame: find its row. */
  followSelection(): void {
    const ref = this.lab.selected;
    if (!ref) return;
    const cur = this.selectedAbs;
    if (cur !== undefined && this.store.live(cur)) {
      const s = this.store.slot(cur);
      if (this.store.hosts[this.store.host[s]!] === ref.host && this.store.frameId[s] === ref.id) return;
    }
    const abs = this.log.rowOf(ref.host, ref.id);
    if (abs !== undefined) this.selectedAbs = abs;
  }

  /** The selected row's position in the view (-1: filtered out or none). */
  get selectedIndex(): number {
    void this.version;
    return this.selectedAbs === undefined ? -1 : this.view.indexOf(this.selectedAbs);
  }

  /** The TCP connection of a row, as TcpEvent.conn names it from the sender's side. */
  connOf(abs: number): string | undefined {
    const st = this.store;
    const s = st.slot(abs);
    if (st.proto[s] !== Proto.TCP) return undefined;
    return `${formatIpv4(st.ipSrc[s]!)}:${st.srcPort[s]}>${formatIpv4(st.ipDst[s]!)}:${st.dstPort[s]}`;
  }

  // ---- detail ----

  /**
   * The last dissection, kept while the frame, what is known about it and the
   * language stay the same (so hover state survives new batches). The locale
   * is in the key and read here, so a language switch re-runs this getter
   * (and the $derived that reads it) and re-dissects with the new `t`.
   */
  private dissected: { key: string; dissection: Dissection } | undefined;

  get detail(): { abs: number; row: ShownRow; dissection: Dissection | undefined } | undefined {
    void this.version;
    const abs = this.selectedAbs;
    if (abs === undefined || !this.store.live(abs)) return undefined;
    const st = this.store;
    const s = st.slot(abs);
    const row = this.rowOf(abs);
    if (!st.hasBytes(abs)) return { abs, row, dissection: undefined };
    const shift = st.wshift[s]!;
    const key = `${abs}/${shift}/${st.expert[s]}/${st.cause[s]}/${st.dupAck[s]}/${i18n.locale}`;
    if (this.dissected?.key !== key) {
      const dissection = dissect(
        st.frame(abs)!.slice(),
        {
          windowShift: shift >= 0 ? shift : undefined,
          expert: st.expert[s] ? { flags: st.expert[s]!, cause: st.causeOf(s), dupAck: st.dupAck[s] || undefined } : undefined,
        },
        t,
      );
      this.dissected = { key, dissection };
    }
    return { abs, row, dissection: this.dissected.dissection };
  }

  // ---- settings and export ----

  setRowsKept(rows: number): void {
    this.rowsKept = rows;
    const bigger = new PacketStore(rows, DEFAULT_BYTE_BUDGET);
    // Keep what fits of the current log: replay is not possible (rows hold no events), so start afresh.
    this.store = bigger;
    this.log = new PacketLog(bigger, this.lab.mode);
    this.log.onMark = (abs) => this.view.mark(abs);
    this.view = new RowView(bigger);
    this.selectedAbs = undefined;
    this.applyFilter(this.filterText);
  }

  clear(): void {
    this.setRowsKept(this.rowsKept);
  }

  /** A pcap of the whole log or of the shown rows; frames whose bytes are gone are left out (counted). */
  pcap(shownOnly: boolean): { bytes: Uint8Array; skipped: number } {
    const st = this.store;
    const records: { t: number; frame: Uint8Array }[] = [];
    let skipped = 0;
    const take = (abs: number) => {
      const s = st.slot(abs);
      if (st.dir[s] === Dir.EVENT) return;
      const f = st.frame(abs);
      if (f) records.push({ t: st.t[s]!, frame: f.slice() });
      else skipped++;
    };
    if (shownOnly) for (const abs of this.view.rows()) take(abs);
    else for (let abs = st.first; abs < st.count; abs++) take(abs);
    const epochMs = Date.now() - (this.lab.now() ?? 0);
    return { bytes: writePcap(records, { epochMs }), skipped };
  }

  lastSkipped = $state(0);

  download(shownOnly: boolean): void {
    const { bytes, skipped } = this.pcap(shownOnly);
    this.lastSkipped = skipped;
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/vnd.tcpdump.pcap' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = shownOnly ? 'wiretab-shown.pcap' : 'wiretab-log.pcap';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
