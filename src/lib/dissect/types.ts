/**
 * The packet detail's data: a tree of fields per frame, as Wireshark shows it.
 * Every node says where it lives in the frame (byte offset and length, and for
 * bit fields the bit offset and width inside those bytes, most significant bit
 * first), so the hex view can highlight it and a hovered byte can find it.
 *
 * Field names (`abbrev`) follow Wireshark's display-filter names
 * (`tcp.flags.syn`); labels ("Sequence Number") and protocol vocabulary (SYN,
 * ISN, MSS) stay in English in every language, as in Wireshark. The sentences
 * that explain something (meanings, notes, expert findings, "Set"/"Not set")
 * go through a translator, `Tr`: the panel passes the current locale's `t`,
 * everything else gets English.
 */

import { checksum } from '../../../worker/wire/checksum';
import type { FrameExpert } from '../../../worker/trace/events';
import { en, type MessageKey } from '../i18n/en';
import { format, type Params } from '../i18n/format';
import type { ParamsFor } from '../i18n/i18n.svelte';

/** A translator: the text of a dictionary key with its {placeholders} filled (the shape of i18n's `t`). */
export type Tr = <K extends MessageKey>(key: K, ...params: ParamsFor<K>) => string;

/** The reference dictionary, for tests, tools and anything without a locale. */
export const english: Tr = (key, ...params) => format(en[key], params[0]);

/** For keys made at run time (`dissect.dns.${id}`), whose placeholders the compiler cannot check. */
export const trLoose = (tr: Tr, key: MessageKey, params?: Params): string => (tr as unknown as (k: MessageKey, p?: Params) => string)(key, params);

export type FieldKind = 'layer' | 'field' | 'expert' | 'malformed' | 'note';

export interface Field {
  abbrev: string;
  label: string;
  /** The value as shown ("0x4000", "64", "10.0.0.1"); empty for layers and notes. */
  value: string;
  /** What the value means here ("Don't fragment: set", "×128 = 64256 bytes, scale from SYN"). */
  meaning?: string;
  /** Byte offset in the frame and length in bytes. */
  offset: number;
  length: number;
  /** Bit fields: first bit (0 = most significant bit of byte `offset`) and width. */
  bitOffset?: number;
  bitWidth?: number;
  kind: FieldKind;
  children?: Field[];
}

/** One header of the encapsulation: where it starts, its header size, and what it wraps. */
export interface LayerSpan {
  name: string;
  abbrev: string;
  offset: number;
  headerLen: number;
  /** Header plus everything inside it. */
  totalLen: number;
}

export interface Dissection {
  /** Top-level nodes: one per layer, then payload, expert and malformed notes. */
  tree: Field[];
  /** Outermost first: Ethernet, IPv4, TCP, ..., payload. */
  spans: LayerSpan[];
  frameLen: number;
}

/** What the stack knows about a frame beyond its bytes, for the Expert node and scaled windows. */
export interface DissectContext {
  /** Expert bits and cause (tx notes and rx findings merged). */
  expert?: FrameExpert;
  /** The window scale shift the sender announced in its SYN (undefined: not seen, or not agreed). */
  windowShift?: number;
}

/** Helpers to build nodes without repeating offsets. */
export function node(kind: FieldKind, abbrev: string, label: string, offset: number, length: number, value = '', meaning?: string, children?: Field[]): Field {
  const f: Field = { abbrev, label, value, offset, length, kind };
  if (meaning !== undefined) f.meaning = meaning;
  if (children) f.children = children;
  return f;
}

export function field(abbrev: string, label: string, offset: number, length: number, value: string | number, meaning?: string, children?: Field[]): Field {
  return node('field', abbrev, label, offset, length, String(value), meaning, children);
}

export function bits(abbrev: string, label: string, offset: number, length: number, bitOffset: number, bitWidth: number, value: string | number, meaning?: string): Field {
  const f = node('field', abbrev, label, offset, length, String(value), meaning);
  f.bitOffset = bitOffset;
  f.bitWidth = bitWidth;
  return f;
}

/** "Malformed TCP: <reason>", where `what` is a protocol name and `reason` already translated. */
export function malformed(tr: Tr, what: string, reason: string, offset: number, length: number): Field {
  return node('malformed', `_ws.malformed`, tr('dissect.malformed', { what, reason }), offset, Math.max(0, length));
}

export const hex2 = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
export const hex4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;
export const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
export const setOrNot = (tr: Tr, on: boolean) => (on ? tr('dissect.flag.set') : tr('dissect.flag.notSet'));

/** A checksum's verdict: "Correct" or "Incorrect, should be 0x1234". */
export const checksumVerdict = (tr: Tr, good: boolean, expected: () => number) => (good ? tr('dissect.checksum.correct') : tr('dissect.checksum.incorrect', { expected: hex4(expected()) }));

/** The bits of a `width`-bit value as Wireshark draws them: "..0. ...." with dots for other bits. */
export function bitPattern(value: number, totalBits: number, bitOffset: number, bitWidth: number): string {
  let s = '';
  for (let i = 0; i < totalBits; i++) {
    if (i > 0 && i % 4 === 0) s += ' ';
    if (i < bitOffset || i >= bitOffset + bitWidth) s += '.';
    else s += (value >>> (totalBits - 1 - i)) & 1 ? '1' : '0';
  }
  return s;
}

/**
 * The path to the innermost node whose bytes include `byte`, outermost first.
 * Where several children share the byte (bit fields such as the TCP flags),
 * the path stops at their parent: that is the field the byte belongs to.
 */
export function pathAt(tree: Field[], byte: number): Field[] {
  const path: Field[] = [];
  let level: Field[] | undefined = tree;
  while (level) {
    let next: Field | undefined;
    let hits = 0;
    for (const f of level) {
      if (f.kind === 'expert' || f.length <= 0) continue;
      if (byte >= f.offset && byte < f.offset + f.length) {
        hits++;
        next ??= f;
      }
    }
    if (!next || (hits > 1 && path.length > 0)) break;
    path.push(next);
    level = next.children;
  }
  return path;
}

/** The checksum a range should carry: computed over a copy with its checksum field (at `at` from start) zeroed. */
export function expectedChecksum(b: Uint8Array, start: number, len: number, at: number, initial = 0): number {
  const copy = b.slice(start, start + len);
  copy[at] = 0;
  copy[at + 1] = 0;
  return checksum(copy, 0, len, initial);
}
