/**
 * HTTP dates (RFC 9110 5.6.7) on the stack's clock: a fixed epoch plus stack
 * time, so a run replays with the same Date headers and never reads real time.
 */

/** Stack time 0 is this moment: Wed, 01 Jan 2025 09:00:00 GMT. */
export const HTTP_EPOCH_MS = Date.UTC(2025, 0, 1, 9, 0, 0);

/** IMF-fixdate, e.g. "Wed, 01 Jan 2025 09:00:00 GMT" (RFC 9110 5.6.7). */
export function formatHttpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Milliseconds since 1970 for an HTTP-date in any of the three formats a
 * recipient must accept (RFC 9110 5.6.7), or undefined for anything else.
 */
export function parseHttpDate(text: string): number | undefined {
  const s = text.trim();
  let parts: { day: string; mon: string; year: number; h: string; m: string; sec: string };
  let r: RegExpExecArray | null;
  if ((r = IMF.exec(s))) parts = { day: r[1]!, mon: r[2]!, year: Number(r[3]), h: r[4]!, m: r[5]!, sec: r[6]! };
  else if ((r = RFC850.exec(s))) {
    // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(r[3]);
    parts = { day: r[1]!, mon: r[2]!, year: 2000 + yy > 2075 ? 1900 + yy : 2000 + yy, h: r[4]!, m: r[5]!, sec: r[6]! };
  } else if ((r = ASCTIME.exec(s))) parts = { mon: r[1]!, day: r[2]!, h: r[3]!, m: r[4]!, sec: r[5]!, year: Number(r[6]) };
  else return undefined;
  const month = MONTHS.indexOf(parts.mon.toLowerCase());
  if (month < 0) return undefined;
  const t = Date.UTC(parts.year, month, Number(parts.day), Number(parts.h), Number(parts.m), Number(parts.sec));
  return Number.isFinite(t) ? t : undefined;
}
