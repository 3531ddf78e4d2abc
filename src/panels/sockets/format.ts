/**
 * Numbers of the socket panels as people read them: byte counts with digit
 * grouping, compact sizes (KB = 1024 bytes, as the size picker says), times in
 * ms or s, goodput in bit/s. Plain TypeScript, no runes.
 */

const grouped = new Intl.NumberFormat('en-US');

/** 1048576 -> "1,048,576" (the same grouping in English and Chinese). */
export function formatCount(n: number): string {
  return grouped.format(n);
}

/** Compact size: "512 B", "14.3 KB", "1 MB", "10.5 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : bytes < 1024 ** 3 ? [bytes / 1024 ** 2, 'MB'] : [bytes / 1024 ** 3, 'GB'];
  return `${trim(value < 10 ? value.toFixed(1) : value.toFixed(0))} ${unit}`;
}

/** A duration: "0.4 ms", "12.3 ms", "240 ms", "1.20 s", "58.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 10) return `${trim(ms.toFixed(1))} ms`;
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (abs < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Stack time as a transcript timestamp: seconds with milliseconds, "12.345 s". */
export function formatStackTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Goodput: "850 kbit/s", "15.8 Mbit/s", "1.24 Gbit/s". */
export function formatBitRate(bps: number): string {
  if (!(bps > 0)) return '0 bit/s';
  const units: [number, string][] = [
    [1e9, 'Gbit/s'],
    [1e6, 'Mbit/s'],
    [1e3, 'kbit/s'],
  ];
  for (const [scale, unit] of units) {
    if (bps >= scale) {
      const v = bps / scale;
      return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${unit}`;
    }
  }
  return `${Math.round(bps)} bit/s`;
}

/** "1.0" -> "1", "12.50" -> "12.5". */
function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
