/**
 * Numbers of the link conditioner panel as people read them: link rates in
 * bit/s with SI prefixes ("2 Mbit/s"), short durations, percentages, and the
 * log-scale position of the rate slider. Plain TypeScript, no runes.
 */

/** Slowest and fastest rate the slider offers; the number field accepts anything above 0. */
export const RATE_MIN_BPS = 64e3;
export const RATE_MAX_BPS = 1e9;
/** Slider steps per decade of rate: 24 gives about 10 % per step. */
const STEPS_PER_DECADE = 24;
/** Slider position 0 means "unlimited"; positions 1..RATE_POSITIONS are log-spaced rates. */
export const RATE_POSITIONS = 1 + Math.ceil(Math.log10(RATE_MAX_BPS / RATE_MIN_BPS) * STEPS_PER_DECADE);

/** Rounds to two significant digits, so slider rates read as 2.4 Mbit/s, not 2.371 Mbit/s. */
function roundSignificant(x: number, digits = 2): number {
  if (x <= 0) return 0;
  const scale = 10 ** (Math.floor(Math.log10(x)) - digits + 1);
  return Math.round(x / scale) * scale;
}

export function positionToRate(position: number): number {
  if (position <= 0) return 0;
  const bps = RATE_MIN_BPS * 10 ** ((position - 1) / STEPS_PER_DECADE);
  return Math.min(RATE_MAX_BPS, roundSignificant(bps));
}

export function rateToPosition(bps: number): number {
  if (bps <= 0) return 0;
  const p = 1 + Math.round(Math.log10(bps / RATE_MIN_BPS) * STEPS_PER_DECADE);
  return Math.min(RATE_POSITIONS, Math.max(1, p));
}

/** "64 kbit/s", "2 Mbit/s", "1 Gbit/s"; undefined for 0 (the caller says "unlimited" in the reader's language). */
export function formatRate(bps: number): string | undefined {
  if (!(bps > 0)) return undefined;
  const units: [number, string][] = [
    [1e9, 'Gbit/s'],
    [1e6, 'Mbit/s'],
    [1e3, 'kbit/s'],
  ];
  for (const [scale, unit] of units) if (bps >= scale) return `${trim(bps / scale)} ${unit}`;
  return `${trim(bps)} bit/s`;
}

/** Up to three significant digits, no trailing zeros: 2, 2.5, 12.5, 640. */
function trim(x: number): string {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return String(Number(x.toFixed(digits)));
}

/** A duration in ms with as many decimals as make sense: 0.25, 12.3, 300. */
export function formatMs(ms: number): string {
  const abs = Math.abs(ms);
  const digits = abs === 0 ? 0 : abs < 1 ? 2 : abs < 100 ? 1 : 0;
  return String(Number(ms.toFixed(digits)));
}

/** A percentage without noise: 0.5, 25, 100. */
export function formatPercent(p: number): string {
  return String(Number(p.toFixed(p < 1 && p > 0 ? 2 : 1)));
}
