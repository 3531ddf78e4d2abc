/** Bytes no dissector claims: shown as data, with a text preview when they read as text. */

import { span, type DissectState } from './state';
import { field, node, type Field } from './types';

export function printable(b: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (!(c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127))) return false;
  }
  return true;
}

export function payload(s: DissectState, start: number, end: number, why?: string): Field[] {
  const n = end - start;
  if (n <= 0) return [];
  const b = s.buf;
  let preview: string | undefined;
  if (printable(b, start, end)) {
    const text = new TextDecoder().decode(b.subarray(start, Math.min(end, start + 64)));
    preview = JSON.stringify(text + (n > 64 ? '…' : ''));
  }
  span(s, 'Data', 'data', start, n, n);
  return [node('layer', 'data', `Data (${n} byte${n === 1 ? '' : 's'})`, start, n, '', why, [field('data.data', 'Data', start, n, `${n} bytes`, preview), field('data.len', 'Length', start, n, n)])];
}
