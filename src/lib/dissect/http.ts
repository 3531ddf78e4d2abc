/**
 * HTTP/1.x heads, one TCP segment at a time (no reassembly across segments):
 * a segment that starts a request or response shows its start line and each
 * header field; the rest of it is the body. A segment in the middle of a
 * message stays plain data.
 */

import { REASONS } from '../../../worker/apps/http/message';
import type { AppDissector } from './apps';
import { span, type DissectState } from './state';
import { field, node, type Field } from './types';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function startsWith(b: Uint8Array, at: number, end: number, text: string): boolean {
  if (end - at < text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The lines of [start, end) up to the blank line: [offset, length without CRLF, CRLF bytes]; complete = the blank line was seen. */
function lines(b: Uint8Array, start: number, end: number): { lines: [number, number, number][]; headEnd: number; complete: boolean } {
  const out: [number, number, number][] = [];
  let at = start;
  for (let i = start; i + 1 < end; i++) {
    if (b[i] === 13 && b[i + 1] === 10) {
      if (i === at) return { lines: out, headEnd: i + 2, complete: true };
      out.push([at, i - at, 2]);
      at = i + 2;
      i++;
      if (out.length > 200) break;
    }
  }
  if (at < end) out.push([at, end - at, 0]);
  return { lines: out, headEnd: end, complete: false };
}

const text = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + Math.min(len, 4096)));

function dissectHttp(s: DissectState, start: number, end: number): Field[] | undefined {
  const b = s.buf;
  const isResponse = startsWith(b, start, end, 'HTTP/1.');
  const method = METHODS.find((m) => startsWith(b, start, end, `${m} `));
  if (!isResponse && !method) return undefined;
  const { lines: ls, headEnd, complete } = lines(b, start, end);
  const [l0, n0, crlf0] = ls[0]!;
  const first = text(b, l0, n0);
  const kids: Field[] = [];
  let summary: string;
  if (isResponse) {
    const m = /^(HTTP\/1\.\d) (\d{3}) ?(.*)$/.exec(first);
    const code = m ? Number(m[2]) : NaN;
    kids.push(
      field('http.response.line', 'Status line', l0, n0 + crlf0, JSON.stringify(first), undefined, m
        ? [
            field('http.response.version', 'Version', l0, m[1]!.length, m[1]!),
            field('http.response.code', 'Status Code', l0 + m[1]!.length + 1, 3, code, REASONS[code] ?? `${Math.floor(code / 100)}xx`),
            field('http.response.phrase', 'Reason Phrase', l0 + m[1]!.length + 5, m[3]!.length, m[3]!),
          ]
        : undefined),
    );
    summary = first;
  } else {
    const parts = first.split(' ');
    const target = parts[1] ?? '';
    kids.push(
      field('http.request.line', 'Request line', l0, n0 + crlf0, JSON.stringify(first), undefined, [
        field('http.request.method', 'Method', l0, method!.length, method!),
        field('http.request.uri', 'Request URI', l0 + method!.length + 1, target.length, target),
        ...(parts[2] !== undefined ? [field('http.request.version', 'Version', l0 + method!.length + target.length + 2, parts[2].length, parts[2])] : []),
      ]),
    );
    summary = first;
  }
  for (const [at, len, crlf] of ls.slice(1)) {
    const line = text(b, at, len);
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : line;
    const abbrev = `http.${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
    kids.push(field(abbrev, name, at, len + crlf, colon > 0 ? line.slice(colon + 1).trim() : '', colon > 0 ? undefined : s.tr('dissect.http.notHeader')));
  }
  if (complete) kids.push(node('note', 'http.end_of_head', s.tr('dissect.http.endOfHead'), headEnd - 2, 2));
  else kids.push(node('note', 'http.continued', s.tr('dissect.http.continued'), end, 0));
  const headLen = headEnd - start;
  span(s, 'HTTP', 'http', start, headLen, end - start);
  const out: Field[] = [node('layer', 'http', `Hypertext Transfer Protocol: ${summary}`, start, headLen, '', undefined, kids)];
  if (end > headEnd) {
    out.push(node('layer', 'http.file_data', `Body (${end - headEnd} bytes in this segment)`, headEnd, end - headEnd, '', undefined, [field('http.file_data', 'File data', headEnd, end - headEnd, `${end - headEnd} bytes`)]));
  }
  return out;
}

export const httpDissector: AppDissector = { name: 'HTTP', transport: 'tcp', ports: [80, 8080], dissect: dissectHttp };
