/**
 * Reading interop captures with tshark: the Wireshark acceptance check and
 * per-packet fields for assertions about what crossed the wire.
 */
import { CHECKSUM_PREFS, tshark } from '../helpers/tshark';

/** What tshark flags as an error (malformed, bad checksum, ...) with checksum validation on: one line per frame. Empty is good. */
export function expertErrors(path: string): string {
  return tshark(['-r', path, ...CHECKSUM_PREFS, '-Y', '_ws.expert.severity >= error']);
}

/** Frames matching a display filter. */
export function countFrames(path: string, filter: string): number {
  const out = tshark(['-r', path, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).trim();
  return out === '' ? 0 : out.split('\n').length;
}

/** One row per frame matching `filter`, one string per field (multiple values comma-separated, absent ones ''). */
export function frameFields(path: string, filter: string, fields: string[]): string[][] {
  const out = tshark(['-r', path, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}
