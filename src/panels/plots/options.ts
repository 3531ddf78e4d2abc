/**
 * uPlot options for the four TCP charts. Colours come from the page's theme
 * (CSS variables), passed in as a lookup, so the charts match light and dark.
 */

import uPlot from 'uplot';
import type { ChartData } from './plots.svelte';
import { formatSize, formatDuration, formatBitRate } from '../sockets/format';

type Colour = (name: string) => string;

const SYNC = uPlot.sync('wiretab-plots');

function axes(c: Colour, yFormat: (v: number) => string, yLabel: string): uPlot.Axis[] {
  const common = { stroke: c('--text-muted'), grid: { stroke: c('--border'), width: 1 }, ticks: { stroke: c('--border'), width: 1 }, font: '12px system-ui, sans-serif' };
  return [
    { ...common, label: 's', labelSize: 14, values: (_u, vals) => vals.map((v) => `${+v.toFixed(3)}`) },
    { ...common, label: yLabel, labelSize: 18, size: 70, values: (_u, vals) => vals.map(yFormat) },
  ];
}

function base(width: number, height: number, c: Colour, yFormat: (v: number) => string, yLabel: string): uPlot.Options {
  return {
    width,
    height,
    series: [{ label: 't', value: (_u, v) => (v == null ? '—' : `${v.toFixed(4)} s`) }],
    axes: axes(c, yFormat, yLabel),
    scales: { x: { time: false } },
    cursor: { sync: { key: SYNC.key }, drag: { x: true, y: false } },
    legend: { live: true },
  };
}

const stepped = uPlot.paths.stepped!({ align: 1 });
const noLine = () => null;
/** Dots only while they can be told apart: past this many in view a dot per point costs a lot and shows a smear. */
const FEW_POINTS = 1500;
const fewPoints = (_u: uPlot, _series: number, i0: number, i1: number) => i1 - i0 < FEW_POINTS;
const linear = uPlot.paths.linear!();
/** Scattered samples: dots while few, else a thin line through them (uPlot thins a line to the pixels it covers). */
const dotsOrLine: uPlot.Series.PathBuilder = (u, si, i0, i1) => (i1 - i0 < FEW_POINTS ? null : linear(u, si, i0, i1));

/** Sequence numbers over time (tcptrace): segments as vertical bars, the ACK line, the window edge, SACKed ranges. */
export function seqOptions(width: number, height: number, c: Colour, getData: () => ChartData | undefined, labels: { segments: string; ack: string; window: string }): uPlot.Options {
  const o = base(width, height, c, formatSize, 'seq');
  const fmt = (_u: uPlot, v: number | null) => (v == null ? '—' : `${v}`);
  o.series.push(
    { label: labels.segments, stroke: c('--accent'), paths: noLine, points: { show: fewPoints, size: 3, fill: c('--accent') }, value: fmt },
    { label: labels.ack, stroke: c('--ack'), width: 1.5, paths: stepped, spanGaps: true, points: { show: false }, value: fmt },
    { label: labels.window, stroke: c('--fate-changed'), width: 1, dash: [4, 3], paths: stepped, spanGaps: true, points: { show: false }, value: fmt },
  );
  // The y range follows the segments and the ACK line in view. The window edge may sit far above
  // them (a 256 KB window over a 4 KB exchange would squash the data into one pixel row): it is
  // included only up to twice the data's top, and runs off the chart beyond.
  o.scales = {
    ...o.scales,
    y: {
      range: (u, dataMin, dataMax) => {
        let lo = Infinity;
        let hi = -Infinity;
        const take = (v: number | null | undefined) => {
          if (v == null) return;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        };
        for (const si of [1, 2]) {
          const ys = u.data[si];
          if (!ys) continue;
          const [i0, i1] = u.series[si]?.idxs ?? [0, ys.length - 1];
          // At most ~2,000 reads per series and redraw (a bulk transfer has 50,000 points): the
          // values climb with time, so a stride misses at most a few segments' worth, inside the padding.
          const stride = Math.max(1, Math.ceil((i1 - i0) / 2000));
          for (let i = i0; i <= i1; i += stride) take(ys[i]);
          take(ys[i1]);
        }
        if (hi === -Infinity) return [dataMin ?? 0, Math.max(1, dataMax ?? 1)];
        const top = Math.min(dataMax ?? hi, Math.max(hi, 2 * hi - lo));
        const pad = Math.max(1, (top - lo) * 0.05);
        return [Math.max(0, lo - pad), top + pad];
      },
    },
  };
  const segColour = c('--accent');
  const retxColour = c('--fate-lost');
  const sackColour = c('--fate-changed');
  o.hooks = {
    draw: [
      (u) => {
        const d = getData();
        if (!d) return;
        const ctx = u.ctx;
        const [x0, x1] = [u.scales.x!.min!, u.scales.x!.max!];
        ctx.save();
        ctx.beginPath();
        ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
        ctx.clip();
        // One bar per pixel column: at thousands of segments the ones that land on the same
        // column merge into one stroke (what the eye sees anyway), so a draw costs pixels, not points.
        let colX = Number.NaN;
        let colLo = 0;
        let colHi = 0;
        const flush = () => {
          if (Number.isNaN(colX)) return;
          ctx.moveTo(colX, colLo);
          ctx.lineTo(colX, colHi);
          colX = Number.NaN;
        };
        const bar = (t: number, lo: number, hi: number) => {
          const x = Math.round(u.valToPos(t, 'x', true)) + 0.5;
          const y0 = u.valToPos(lo, 'y', true);
          const y1 = u.valToPos(hi, 'y', true);
          if (x === colX) {
            colLo = Math.max(colLo, y0, y1);
            colHi = Math.min(colHi, y0, y1);
            return;
          }
          flush();
          colX = x;
          colLo = Math.max(y0, y1);
          colHi = Math.min(y0, y1);
        };
        ctx.lineWidth = Math.max(1, uPlot.pxRatio);
        // SACKed ranges first, so segments draw over them.
        ctx.strokeStyle = sackColour;
        ctx.beginPath();
        const k = d.sacks;
        for (let i = 0; i < k.t.length; i++) if (k.t[i]! >= x0 && k.t[i]! <= x1) bar(k.t[i]!, k.left[i]!, k.right[i]!);
        flush();
        ctx.stroke();
        for (const retx of [0, 1]) {
          ctx.strokeStyle = retx ? retxColour : segColour;
          ctx.lineWidth = (retx ? 2 : 1) * Math.max(1, uPlot.pxRatio);
          ctx.beginPath();
          const s = d.segments;
          for (let i = 0; i < s.t.length; i++) if (s.retx[i] === retx && s.t[i]! >= x0 && s.t[i]! <= x1) bar(s.t[i]!, s.start[i]!, s.end[i]!);
          flush();
          ctx.stroke();
        }
        ctx.restore();
      },
    ],
  };
  return o;
}

export function cwndOptions(width: number, height: number, c: Colour, labels: { cwnd: string; ssthresh: string }): uPlot.Options {
  const o = base(width, height, c, formatSize, 'bytes');
  const fmt = (_u: uPlot, v: number | null) => (v == null ? '—' : formatSize(v));
  o.series.push(
    { label: labels.cwnd, stroke: c('--accent'), width: 2, paths: stepped, points: { show: false }, value: fmt },
    { label: labels.ssthresh, stroke: c('--ack'), width: 1.5, dash: [5, 4], paths: stepped, points: { show: false }, value: fmt },
  );
  return o;
}

export function rttOptions(width: number, height: number, c: Colour, labels: { sample: string; srtt: string; rto: string }): uPlot.Options {
  const o = base(width, height, c, (v) => formatDuration(v), 'ms');
  const fmt = (_u: uPlot, v: number | null) => (v == null ? '—' : formatDuration(v));
  o.series.push(
    { label: labels.sample, stroke: c('--text-muted'), width: 1, paths: dotsOrLine, points: { show: fewPoints, size: 4, fill: c('--text-muted') }, value: fmt },
    { label: labels.srtt, stroke: c('--accent'), width: 2, points: { show: false }, value: fmt },
    { label: labels.rto, stroke: c('--fate-lost'), width: 1.5, dash: [5, 4], paths: stepped, points: { show: false }, value: fmt },
  );
  o.scales = { ...o.scales, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } };
  return o;
}

export function rateOptions(width: number, height: number, c: Colour, labels: { throughput: string; goodput: string }): uPlot.Options {
  const o = base(width, height, c, formatBitRate, 'bit/s');
  const fmt = (_u: uPlot, v: number | null) => (v == null ? '—' : formatBitRate(v));
  o.series.push(
    { label: labels.throughput, stroke: c('--fate-changed'), width: 1.5, paths: stepped, points: { show: false }, value: fmt },
    { label: labels.goodput, stroke: c('--accent'), width: 2, paths: stepped, points: { show: false }, value: fmt },
  );
  o.scales = { ...o.scales, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } };
  return o;
}
