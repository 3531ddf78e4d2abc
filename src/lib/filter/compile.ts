/**
 * Display filters compiled to a predicate over the packet store's columns:
 * fields are resolved and values parsed once, so testing a row is a few
 * typed-array reads and comparisons (no allocation).
 */

import { parseIpv4, parseMac } from '../../../worker/wire/addr';
import { FIELD_MAP, type FieldDef } from '../packets/fields';
import type { PacketStore } from '../packets/store';
import { fail, FilterSyntaxError, type FilterError } from './errors';
import { parse, type Node } from './parser';
import type { Token } from './lexer';

/** Tests the row at ring slot `s`, absolute number `abs`. */
export type RowPredicate = (st: PacketStore, s: number, abs: number) => boolean;

export type Compiled = { ok: true; test: RowPredicate } | { ok: false; error: FilterError };

export function compileFilter(src: string): Compiled {
  try {
    return { ok: true, test: build(parse(src)) };
  } catch (err) {
    if (err instanceof FilterSyntaxError) return { ok: false, error: err.info };
    // A bug here must not break the page: report it at column 1.
    return { ok: false, error: { code: 'unexpected-char', column: 1, params: { char: String(err) } } };
  }
}

function field(name: string, column: number): FieldDef {
  const f = FIELD_MAP.get(name);
  if (!f) fail('unknown-field', column, { field: name });
  return f;
}

function build(n: Node): RowPredicate {
  switch (n.kind) {
    case 'or': {
      const a = build(n.left);
      const b = build(n.right);
      return (st, s, abs) => a(st, s, abs) || b(st, s, abs);
    }
    case 'and': {
      const a = build(n.left);
      const b = build(n.right);
      return (st, s, abs) => a(st, s, abs) && b(st, s, abs);
    }
    case 'not': {
      const a = build(n.arg);
      return (st, s, abs) => !a(st, s, abs);
    }
    case 'test':
      return presence(field(n.field, n.column));
    case 'cmp':
      return compare(field(n.field, n.column), n.op, n.opColumn, n.value);
  }
}

function presence(f: FieldDef): RowPredicate {
  if (f.type === 'bool') {
    const get = f.get!;
    return (st, s, abs) => get(st, s, abs) === 1;
  }
  if (f.str) {
    const str = f.str;
    return (st, s, abs) => str(st, s, abs) !== undefined;
  }
  if (f.bytes) {
    const bytes = f.bytes;
    return (st, s, abs) => bytes(st, s, abs) !== undefined;
  }
  const get = f.get!;
  return (st, s, abs) => !Number.isNaN(get(st, s, abs));
}

function numberValue(f: FieldDef, v: Token): { lo: number; hi: number } {
  const text = v.text;
  switch (f.type) {
    case 'ipv4': {
      const [addr, prefix] = text.split('/');
      const ip = parseIpv4(addr ?? '');
      const bitsN = prefix === undefined ? 32 : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
      if (ip === undefined || v.kind !== 'word' || !(bitsN >= 0 && bitsN <= 32)) fail('bad-ipv4', v.column, { text: v.raw });
      const size = 2 ** (32 - bitsN);
      const lo = Math.floor(ip / size) * size;
      return { lo, hi: lo + size - 1 };
    }
    case 'mac': {
      const mac = parseMac(text.replace(/-/g, ':'));
      if (mac === undefined) fail('bad-mac', v.column, { text: v.raw });
      return { lo: mac, hi: mac };
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (t === '1' || t === 'true') return { lo: 1, hi: 1 };
      if (t === '0' || t === 'false') return { lo: 0, hi: 0 };
      fail('bad-bool', v.column, { text: v.raw });
    }
    // falls through (fail never returns)
    default: {
      const ok = /^(0x[0-9a-fA-F]+|\d+(\.\d+)?)$/.test(text);
      if (!ok || v.kind !== 'word') fail('bad-number', v.column, { text: v.raw });
      const value = Number(text);
      return { lo: value, hi: value };
    }
  }
}

function compare(f: FieldDef, op: string, opColumn: number, v: Token): RowPredicate {
  if (f.type === 'bytes') {
    if (op !== 'contains') fail('op-not-allowed', opColumn, { op, field: f.name });
    const needle = Uint8Array.from(v.text, (c) => c.charCodeAt(0) & 0xff);
    const bytes = f.bytes!;
    return (st, s, abs) => {
      const hay = bytes(st, s, abs);
      return hay !== undefined && indexOf(hay, needle) >= 0;
    };
  }
  if (f.type === 'string') {
    const str = f.str!;
    const want = v.text;
    switch (op) {
      case '==':
        return (st, s, abs) => str(st, s, abs) === want;
      case '!=':
        return (st, s, abs) => str(st, s, abs) !== want;
      case 'contains':
        return (st, s, abs) => str(st, s, abs)?.includes(want) ?? false;
      default:
        fail('op-not-allowed', opColumn, { op, field: f.name });
    }
  }
  if (op === 'contains') fail('op-not-allowed', opColumn, { op, field: f.name });
  if ((f.type === 'bool' || f.type === 'mac') && op !== '==' && op !== '!=') fail('op-not-allowed', opColumn, { op, field: f.name });
  const { lo, hi } = numberValue(f, v);
  const get = f.get!;
  const get2 = f.get2;
  let one: (x: number) => boolean;
  switch (op) {
    case '==':
    case '!=':
      one = (x) => x >= lo && x <= hi;
      break;
    case '<':
      one = (x) => x < lo;
      break;
    case '<=':
      one = (x) => x <= hi;
      break;
    case '>':
      one = (x) => x > hi;
      break;
    default:
      one = (x) => x >= lo;
  }
  // Either end matches (ip.addr, tcp.port); '!=' is "not ==" as in Wireshark 3.6+.
  const any: RowPredicate = get2 ? (st, s, abs) => one(get(st, s, abs)) || one(get2(st, s, abs)) : (st, s, abs) => one(get(st, s, abs));
  if (op === '!=') return (st, s, abs) => !any(st, s, abs);
  return any;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
