/**
 * Reading interop captures with tshark: the Wireshark acceptance check and
 * per-packet fields for assertions about what crossed the wire.
 */
import { CHECKSUM_PREFS, tshark } from '../helpers/tshark';

/**
 * tshark guesses application protocols in TCP payloads by heuristics. The bulk
 * tests' payload is an opaque byte pattern, and once a segment of it (where
 * loss happened to cut it) passed Apache Thrift's heuristic: an "error" about a
 * protocol that was never there. Thrift is switched off for the check; the
 * HTTP tests' dissection (by port) is untouched.
 */
const NOT_THERE = ['--disable-protocol', 'thrift'];

/** What tshark flags as an error (malformed, bad checksum, ...) with checksum validation on: one line per frame. Empty is good. */
export function expertErrors(path: string, prefs: string[] = []): string {
  return tshark(['-r', path, ...NOT_THERE, ...CHECKSUM_PREFS, ...prefs, '-Y', '_ws.expert.severity >= error']);
}

/**
 * Wireshark 4.0 reassembles TCP in order only (tcp.reassemble_out_of_order
 * defaults to FALSE until 4.2). A capture taken before the lossy link holds
 * both a segment the link then dropped and its retransmission; when the
 * retransmission comes after tshark has already completed the HTTP message
 * that contains it, tshark reports "Reassembly error: New fragment overlaps
 * old data (retransmission?)" on that segment (which tshark labels a
 * retransmission, or out-of-order when it came soon). Such lines, and only they, are allowed, and
 * with out-of-order reassembly on (as newer Wireshark does by default) the
 * capture must have no expert error at all.
 */
export function expertErrorsExceptLateRetransmissions(path: string): string {
  const lines = expertErrors(path).split('\n').filter((l) => l !== '');
  const other = lines.filter((l) => !/\[TCP (Fast Retransmission|Retransmission|Spurious Retransmission|Out-Of-Order)\].*\[Reassembly error, protocol TCP: New fragment overlaps old data \(retransmission\?\)\]$/.test(l));
  return other.join('\n') + expertErrors(path, ['-o', 'tcp.reassemble_out_of_order:TRUE']);
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
