/**
 * Segments in script syntax, both what a script wrote and what the stack
 * actually sent (converted back to relative numbers), so a failure shows the
 * two side by side in the same words.
 */

import { flagsToString, type TcpOption, type TcpRepr } from '../../../worker/wire/tcp';
import type { OptSpec, SegSpec } from './syntax';

/** The frame of reference that turns absolute numbers into the script's relative ones. */
export interface Refs {
  /** Our ISN; undefined until the stack's SYN or SYN,ACK was seen (then 0 is used). */
  localIsn: number | undefined;
  /** The peer's ISN (the script's choice). */
  remoteIsn: number;
  /** Our TSval minus our clock in ms; undefined until the stack sent a timestamp. */
  tsOffset: number | undefined;
}

/** Seconds with millisecond precision, as scripts write times: 0.200, 3.000. */
export function formatTime(ms: number): string {
  const s = (Math.round(ms) / 1000).toFixed(3);
  return Number.isInteger(ms) ? s : `${s} (+${(ms - Math.floor(ms)).toFixed(3)} ms)`;
}

export function formatFlags(flags: number): string {
  const s = flagsToString(flags).slice(1, -1);
  return s === 'none' ? '-' : s;
}

/** A segment as written in a script. */
export function formatSpec(seg: SegSpec): string {
  const parts = [seg.dir === 'in' ? '<' : '>', formatFlags(seg.flags)];
  if (seg.seq) parts.push(`${seg.seq.start}:${seg.seq.end}(${seg.seq.len})`);
  if (seg.ack !== undefined) parts.push(`ack ${seg.ack}`);
  if (seg.win !== undefined) parts.push(`win ${seg.win}`);
  if (seg.options === 'any') parts.push('<...>');
  else if (seg.options !== undefined) parts.push(`<${seg.options.map(formatOptSpec).join(',')}>`);
  if (seg.payload) parts.push(JSON.stringify(new TextDecoder().decode(seg.payload)));
  return parts.join(' ');
}

function formatOptSpec(o: OptSpec): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOK':
    case 'nop':
    case 'eol':
      return o.kind;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
  }
}

/**
 * A segment the stack sent, in script syntax: sequence numbers relative to our
 * ISN, ack and SACK blocks relative to the peer's, our TSval as script time.
 */
export function formatSent(tcp: TcpRepr, refs: Refs): string {
  // Before the runner has seen our SYN, a SYN shows its own ISN as 0.
  const base = refs.localIsn ?? (tcp.flags & 0x02 ? tcp.seq : 0);
  const parts = ['>', formatFlags(tcp.flags)];
  const start = (tcp.seq - base) >>> 0;
  parts.push(`${start}:${(start + tcp.payload.length) >>> 0}(${tcp.payload.length})`);
  if (tcp.flags & 0x10) parts.push(`ack ${(tcp.ack - refs.remoteIsn) >>> 0}`);
  parts.push(`win ${tcp.window}`);
  if (tcp.options.length > 0) parts.push(`<${formatSentOptions(tcp.options, refs)}>`);
  return parts.join(' ');
}

export function formatSentOptions(options: readonly TcpOption[], refs: Refs): string {
  return options.map((o) => formatSentOption(o, refs)).join(',');
}

function formatSentOption(o: TcpOption, refs: Refs): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sack-permitted':
      return 'sackOK';
    case 'nop':
    case 'eol':
      return o.kind;
    case 'timestamp':
      return `TS val ${refs.tsOffset === undefined ? `${o.tsVal}(raw)` : (o.tsVal - refs.tsOffset) >>> 0} ecr ${o.tsEcr}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${(l - refs.remoteIsn) >>> 0}:${(r - refs.remoteIsn) >>> 0}`).join(' ')}`;
    case 'unknown':
      return `opt-${o.code}(${o.data.length} bytes)`;
  }
}
