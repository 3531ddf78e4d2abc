/** Tokens of the display filter language. */

import { fail } from './errors';

export type TokenKind = 'lparen' | 'rparen' | 'not' | 'and' | 'or' | 'op' | 'word' | 'string' | 'end';

export interface Token {
  kind: TokenKind;
  /** Normalised text: for ops '==' '!=' '<' '<=' '>' '>=' 'contains'; for strings the decoded value. */
  text: string;
  /** What was typed, for messages. */
  raw: string;
  /** 1-based column. */
  column: number;
}

const WORD_OPS: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', contains: 'contains' };
const isWordChar = (c: string) => /[A-Za-z0-9_.:/\-]/.test(c);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, start: number) => out.push({ kind, text, raw: src.slice(start, i), column: start + 1 });
  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(') {
      i++;
      push('lparen', '(', start);
    } else if (c === ')') {
      i++;
      push('rparen', ')', start);
    } else if (c === '&' && src[i + 1] === '&') {
      i += 2;
      push('and', '&&', start);
    } else if (c === '|' && src[i + 1] === '|') {
      i += 2;
      push('or', '||', start);
    } else if (c === '=' && src[i + 1] === '=') {
      i += 2;
      push('op', '==', start);
    } else if (c === '!' && src[i + 1] === '=') {
      i += 2;
      push('op', '!=', start);
    } else if (c === '!') {
      i++;
      push('not', '!', start);
    } else if (c === '<' || c === '>') {
      i += src[i + 1] === '=' ? 2 : 1;
      push('op', src.slice(start, i), start);
    } else if (c === '"') {
      i++;
      let text = '';
      for (;;) {
        if (i >= src.length) fail('unterminated-string', start + 1);
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          if (e === '"' || e === '\\') {
            text += e;
            i += 2;
          } else if (e === 'n' || e === 'r' || e === 't') {
            text += e === 'n' ? '\n' : e === 'r' ? '\r' : '\t';
            i += 2;
          } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            text += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else fail('bad-escape', i + 1, { text: src.slice(i, i + 2) });
        } else {
          text += d;
          i++;
        }
      }
      push('string', text, start);
    } else if (isWordChar(c)) {
      while (i < src.length && isWordChar(src[i]!)) i++;
      const word = src.slice(start, i);
      const lower = word.toLowerCase();
      if (lower === 'and') push('and', '&&', start);
      else if (lower === 'or') push('or', '||', start);
      else if (lower === 'not') push('not', '!', start);
      else if (WORD_OPS[lower]) push('op', WORD_OPS[lower]!, start);
      else push('word', word, start);
    } else {
      fail('unexpected-char', start + 1, { char: c });
    }
  }
  out.push({ kind: 'end', text: '', raw: '', column: src.length + 1 });
  return out;
}
