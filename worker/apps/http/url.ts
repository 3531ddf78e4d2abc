/**
 * http:// URLs for the client: `http://name-or-ip[:port]/path?query`.
 * Parsing and relative resolution (RFC 3986 5, as browsers do it) use the
 * WHATWG URL parser, which every browser and Node have and which reads no
 * clock or randomness; we only check that what it found is something our
 * stack can reach.
 */

import { parseIpv4, type Ipv4Addr } from '../../wire/addr';

export interface HttpUrl {
  /** Host name (lower case) or dotted quad, as written. */
  readonly host: string;
  readonly port: number;
  /** Path and query: the request-target in origin-form (RFC 9112 3.2.1). */
  readonly target: string;
  /** The normalised URL, without fragment. */
  readonly href: string;
  /** The address when the host is a dotted quad: no name to resolve. */
  readonly addr: Ipv4Addr | undefined;
}

export type UrlResult = { ok: true; url: HttpUrl } | { ok: false; error: string };

/** Parses `text`, relative to `base` when given (a redirect's Location). A bare "alice/x" means http://alice/x. */
export function parseHttpUrl(text: string, base?: HttpUrl): UrlResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'The address is empty; type something like http://10.0.0.2/ or http://bob/.' };
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^[^:/]+:\d/.test(trimmed);
  const input = base || hasScheme || trimmed.startsWith('//') ? trimmed : `http://${trimmed}`;
  let u: URL;
  try {
    u = base ? new URL(input, base.href) : new URL(input);
  } catch {
    return { ok: false, error: `"${short(trimmed)}" is not a valid URL; write it like http://10.0.0.2/index.html.` };
  }
  if (u.protocol === 'https:') return { ok: false, error: 'https:// needs TLS, which this stack does not speak; use http:// instead.' };
  if (u.protocol !== 'http:') return { ok: false, error: `Only http:// URLs can be fetched here, not ${u.protocol}//.` };
  if (u.username || u.password) return { ok: false, error: 'User names and passwords in URLs (user:pass@host) are not supported.' };
  const host = u.hostname;
  if (host.startsWith('[')) return { ok: false, error: 'IPv6 addresses are not supported; this lab speaks IPv4 only.' };
  if (host === '') return { ok: false, error: `"${short(trimmed)}" names no host.` };
  const port = u.port === '' ? 80 : Number(u.port);
  const target = `${u.pathname || '/'}${u.search}`;
  const href = `http://${host}${port === 80 ? '' : `:${port}`}${target}`;
  return { ok: true, url: { host, port, target, href, addr: parseIpv4(host) } };
}

/** The Host field value for a URL (RFC 9110 7.2): the port only when it is not 80. */
export function hostField(url: HttpUrl): string {
  return url.port === 80 ? url.host : `${url.host}:${url.port}`;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
