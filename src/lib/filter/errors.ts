/**
 * Filter errors for people: a code (its sentence lives in the dictionaries
 * under `filter.error.<code>`), the parameters, and the 1-based column where
 * the problem starts.
 */

export type FilterErrorCode =
  | 'unexpected-char' // {char}
  | 'unterminated-string'
  | 'bad-escape' // {text}
  | 'expected-value' // {op}
  | 'expected-expression' // {after}
  | 'expected-end' // {text}
  | 'missing-paren'
  | 'unexpected-paren'
  | 'unknown-field' // {field}
  | 'bad-number' // {text}
  | 'bad-ipv4' // {text}
  | 'bad-mac' // {text}
  | 'bad-bool' // {text}
  | 'op-not-allowed' // {op}, {field}
  | 'empty';

export interface FilterError {
  code: FilterErrorCode;
  column: number;
  params: Record<string, string>;
}

export class FilterSyntaxError extends Error {
  constructor(readonly info: FilterError) {
    super(`${info.code} at column ${info.column}`);
  }
}

export function fail(code: FilterErrorCode, column: number, params: Record<string, string> = {}): never {
  throw new FilterSyntaxError({ code, column, params });
}
