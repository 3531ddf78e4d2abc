/**
 * The display filter grammar, by precedence (lowest first):
 *   expr    := and ( ('||' | 'or') and )*
 *   and     := unary ( ('&&' | 'and') unary )*
 *   unary   := ('!' | 'not') unary | primary
 *   primary := '(' expr ')' | field [ op value ]
 * A bare field tests presence (or, for yes/no fields, that it is set).
 */

import { fail } from './errors';
import { tokenize, type Token } from './lexer';

export type Node =
  | { kind: 'or' | 'and'; left: Node; right: Node }
  | { kind: 'not'; arg: Node }
  | { kind: 'test'; field: string; column: number }
  | { kind: 'cmp'; field: string; column: number; op: string; opColumn: number; value: Token };

export function parse(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  if (peek().kind === 'end') fail('empty', 1);

  function describe(t: Token): string {
    return t.kind === 'end' ? '' : t.raw;
  }

  function expr(): Node {
    let left = and();
    while (peek().kind === 'or') {
      const op = next();
      if (startsOperand(peek()) === false) fail('expected-expression', peek().column, { after: op.raw });
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }

  function and(): Node {
    let left = unary();
    while (peek().kind === 'and') {
      const op = next();
      if (startsOperand(peek()) === false) fail('expected-expression', peek().column, { after: op.raw });
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  }

  function unary(): Node {
    if (peek().kind === 'not') {
      const op = next();
      if (startsOperand(peek()) === false) fail('expected-expression', peek().column, { after: op.raw });
      return { kind: 'not', arg: unary() };
    }
    return primary();
  }

  function primary(): Node {
    const t = peek();
    if (t.kind === 'lparen') {
      next();
      if (peek().kind === 'rparen') fail('expected-expression', peek().column, { after: '(' });
      const inner = expr();
      if (peek().kind !== 'rparen') {
        if (peek().kind === 'end') fail('missing-paren', t.column);
        fail('expected-end', peek().column, { text: describe(peek()) });
      }
      next();
      return inner;
    }
    if (t.kind === 'rparen') fail('unexpected-paren', t.column);
    if (t.kind !== 'word') {
      if (t.kind === 'end') fail('expected-expression', t.column, { after: tokens[pos - 1]?.raw ?? '' });
      fail('expected-expression', t.column, { after: tokens[pos - 1]?.raw ?? '' });
    }
    next();
    if (peek().kind === 'op') {
      const op = next();
      const v = peek();
      if (v.kind !== 'word' && v.kind !== 'string') fail('expected-value', v.column, { op: op.raw });
      next();
      return { kind: 'cmp', field: t.text, column: t.column, op: op.text, opColumn: op.column, value: v };
    }
    return { kind: 'test', field: t.text, column: t.column };
  }

  const tree = expr();
  if (peek().kind !== 'end') {
    const t = peek();
    if (t.kind === 'rparen') fail('unexpected-paren', t.column);
    fail('expected-end', t.column, { text: describe(t) });
  }
  return tree;
}

function startsOperand(t: Token): boolean {
  return t.kind === 'word' || t.kind === 'lparen' || t.kind === 'not';
}
