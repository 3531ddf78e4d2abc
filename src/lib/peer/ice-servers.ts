/**
 * STUN/TURN servers for the WebRTC link, as a person types them on the start
 * page: one URL per line, one TURN username and credential for every turn:
 * line, and "relay only". None by default: two tabs on one LAN reach each
 * other with host candidates and need no server.
 *
 * The check is strict on purpose. Chromium's RTCPeerConnection constructor
 * throws on a URL it cannot parse (SyntaxError) and on a TURN server without a
 * username or credential (InvalidAccessError), so nothing reaches it that we
 * have not accepted here. Accepted, per line (RFC 7064 for stun:/stuns:, RFC
 * 7065 for turn:/turns:):
 *
 *   scheme ":" host [":" port] ["?transport=" ("udp" | "tcp")]     (transport: TURN only)
 *
 * with host a DNS name (ASCII letters, digits, hyphens), a dotted IPv4 address
 * or a bracketed IPv6 address, and port 1..65535. Schemes, hosts and the
 * transport are case-insensitive and come out in lower case.
 *
 * Nothing here throws, whatever the input (typed, pasted or read back from
 * localStorage, where anything may have been left): problems come back as
 * values for the UI to put into sentences.
 */

/** At most this many servers: each one adds candidates to gather and pairs to check. */
export const MAX_ICE_SERVERS = 5;
/** Characters per URL line. */
export const MAX_URL_LENGTH = 256;
/** Characters in the whole list, blank lines included. */
export const MAX_URLS_TEXT = 2048;
/** Characters in the TURN username and in the credential. */
export const MAX_SECRET_LENGTH = 256;

export type IceScheme = 'stun' | 'stuns' | 'turn' | 'turns';
export type IceTransport = 'udp' | 'tcp';

/** What a person typed. */
export interface IceForm {
  /** Server URLs, one per line; blank lines are ignored. */
  urls: string;
  /** For every turn:/turns: server. */
  username: string;
  credential: string;
  /** iceTransportPolicy 'relay': only relayed (TURN) candidates. */
  relayOnly: boolean;
}

export const EMPTY_ICE_FORM: Readonly<IceForm> = { urls: '', username: '', credential: '', relayOnly: false };

/** One accepted server URL. */
export interface IceUrl {
  scheme: IceScheme;
  /** Lower case; an IPv6 address keeps its brackets. */
  host: string;
  port?: number;
  transport?: IceTransport;
  /** The normalised URL, as given to the browser. */
  url: string;
}

export type IceUrlError =
  /** Not stun:, stuns:, turn: or turns:. */
  | 'scheme'
  /** "stun://host": these URIs have no "//". */
  | 'slashes'
  | 'host'
  /** An IPv6 address without its brackets. */
  | 'brackets'
  | 'port'
  /** A query other than ?transport=udp|tcp, or any query on stun:/stuns:. */
  | 'query'
  | 'line-too-long';

export type IceProblem =
  | { field: 'urls'; line: number; code: IceUrlError | 'duplicate' | 'too-many' }
  | { field: 'urls'; line?: undefined; code: 'too-long' }
  | { field: 'username' | 'credential'; code: 'missing' | 'too-long' | 'control' }
  | { field: 'relayOnly'; code: 'needs-turn' };

export type IceField = IceProblem['field'];

/** What the pairing is started with. */
export interface IceConfig {
  /** One RTCIceServer per URL, in the order typed; TURN ones carry the username and credential. */
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

export type IceCheck =
  | { ok: true; config: IceConfig; urls: IceUrl[]; form: IceForm }
  | { ok: false; problems: IceProblem[] };

export const NO_ICE: Readonly<IceConfig> = { iceServers: [], iceTransportPolicy: 'all' };

const SCHEMES: readonly IceScheme[] = ['stun', 'stuns', 'turn', 'turns'];
const isTurn = (scheme: IceScheme): boolean => scheme === 'turn' || scheme === 'turns';
// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Parses one line (already trimmed). */
export function parseIceUrl(text: string): { ok: true; value: IceUrl } | { ok: false; error: IceUrlError } {
  if (text.length > MAX_URL_LENGTH) return { ok: false, error: 'line-too-long' };
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) return { ok: false, error: 'scheme' };
  const s = scheme as IceScheme;
  let rest = text.slice(colon + 1);
  if (rest.startsWith('//')) return { ok: false, error: 'slashes' };

  let transport: IceTransport | undefined;
  const question = rest.indexOf('?');
  if (question >= 0) {
    const query = rest.slice(question + 1).toLowerCase();
    rest = rest.slice(0, question);
    if (!isTurn(s) || (query !== 'transport=udp' && query !== 'transport=tcp')) return { ok: false, error: 'query' };
    transport = query === 'transport=udp' ? 'udp' : 'tcp';
  }

  // host [":" port], where an IPv6 host is bracketed and holds colons of its own.
  let hostText: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { ok: false, error: 'host' };
    hostText = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { ok: false, error: 'host' };
      portText = after.slice(1);
    }
  } else {
    if (rest.indexOf(':') !== rest.lastIndexOf(':')) return { ok: false, error: 'brackets' };
    const portColon = rest.indexOf(':');
    hostText = portColon < 0 ? rest : rest.slice(0, portColon);
    portText = portColon < 0 ? undefined : rest.slice(portColon + 1);
  }

  const host = normaliseHost(hostText);
  if (host === undefined) return { ok: false, error: 'host' };
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return { ok: false, error: 'port' };
    port = Number(portText);
    if (port < 1 || port > 65535) return { ok: false, error: 'port' };
  }
  const url = `${s}:${host}${port === undefined ? '' : `:${port}`}${transport === undefined ? '' : `?transport=${transport}`}`;
  const value: IceUrl = { scheme: s, host, url };
  if (port !== undefined) value.port = port;
  if (transport !== undefined) value.transport = transport;
  return { ok: true, value };
}

/** A host in lower case, or undefined when it is not a DNS name, an IPv4 address or a bracketed IPv6 address. */
function normaliseHost(text: string): string | undefined {
  const host = text.toLowerCase();
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return undefined;
    return isIpv6(host.slice(1, -1)) ? host : undefined;
  }
  if (host.length === 0 || host.length > 253) return undefined;
  const labels = host.split('.');
  // All digits and dots: an IPv4 address or nothing (not a name like "999.1.1.1").
  if (/^[0-9.]+$/.test(host)) return isIpv4(host) ? host : undefined;
  // A top-level label is never all digits (RFC 1123 §2.1, as URL parsers read it).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) ? host : undefined;
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  // Decimal octets without leading zeros (those read as octal in some parsers).
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 §2.2 text forms, without zone identifiers. */
function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let groups = text;
  let tail = 0;
  // An embedded IPv4 address at the end counts as two groups.
  const lastColon = groups.lastIndexOf(':');
  if (lastColon >= 0 && groups.slice(lastColon + 1).includes('.')) {
    if (!isIpv4(groups.slice(lastColon + 1))) return false;
    groups = groups.slice(0, lastColon + 1) + '0';
    tail = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const hex = /^[0-9a-f]{1,4}$/;
  const count = (half: string): number | undefined => {
    if (half === '') return 0;
    const parts = half.split(':');
    return parts.every((p) => hex.test(p)) ? parts.length : undefined;
  };
  const counts = halves.map(count);
  if (counts.some((c) => c === undefined)) return false;
  const total = (counts as number[]).reduce((a, b) => a + b, 0) + tail;
  return halves.length === 2 ? total <= 7 : total === 8;
}

/** Checks a whole form; on success, the configuration to pair with. */
export function checkIceForm(form: IceForm): IceCheck {
  const problems: IceProblem[] = [];
  const urls: IceUrl[] = [];
  const text = typeof form.urls === 'string' ? form.urls : '';
  if (text.length > MAX_URLS_TEXT) {
    problems.push({ field: 'urls', code: 'too-long' });
  } else {
    const seen = new Set<string>();
    let servers = 0;
    text.split(/\r\n|\r|\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      const at = i + 1;
      if (++servers > MAX_ICE_SERVERS) {
        // Said once, at the first line over.
        if (servers === MAX_ICE_SERVERS + 1) problems.push({ field: 'urls', line: at, code: 'too-many' });
        return;
      }
      const parsed = parseIceUrl(line);
      if (!parsed.ok) {
        problems.push({ field: 'urls', line: at, code: parsed.error });
      } else if (seen.has(parsed.value.url)) {
        problems.push({ field: 'urls', line: at, code: 'duplicate' });
      } else {
        seen.add(parsed.value.url);
        urls.push(parsed.value);
      }
    });
  }

  const anyTurn = urls.some((u) => isTurn(u.scheme)) || /^\s*turns?:/im.test(text.slice(0, MAX_URLS_TEXT));
  const username = checkSecret('username', form.username, anyTurn, problems);
  const credential = checkSecret('credential', form.credential, anyTurn, problems);
  const relayOnly = form.relayOnly === true;
  if (relayOnly && !anyTurn) problems.push({ field: 'relayOnly', code: 'needs-turn' });

  if (problems.length > 0) return { ok: false, problems };
  const iceServers = urls.map((u): RTCIceServer => (isTurn(u.scheme) ? { urls: u.url, username, credential } : { urls: u.url }));
  return {
    ok: true,
    config: { iceServers, iceTransportPolicy: relayOnly ? 'relay' : 'all' },
    urls,
    form: { urls: urls.map((u) => u.url).join('\n'), username, credential, relayOnly },
  };
}

/** A TURN username or credential, trimmed; required when any TURN server is listed. */
function checkSecret(field: 'username' | 'credential', value: unknown, required: boolean, problems: IceProblem[]): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length > MAX_SECRET_LENGTH) problems.push({ field, code: 'too-long' });
  else if (CONTROL.test(text)) problems.push({ field, code: 'control' });
  else if (required && text === '') problems.push({ field, code: 'missing' });
  return text;
}

/** The first field with a problem, in the order of the form (where to put the focus). */
export function firstProblemField(problems: readonly IceProblem[]): IceField | undefined {
  const order: IceField[] = ['urls', 'username', 'credential', 'relayOnly'];
  return order.find((f) => problems.some((p) => p.field === f));
}

// --- Remembered settings (localStorage) ---

const STORED_VERSION = 1;

/** The settings to remember: only ever a form that passed checkIceForm (so already normalised). */
export function encodeStoredIce(form: IceForm): string {
  return JSON.stringify({
    version: STORED_VERSION,
    urls: form.urls.split('\n').filter((l) => l !== ''),
    username: form.username,
    credential: form.credential,
    relayOnly: form.relayOnly,
  });
}

/**
 * Settings read back from storage. Nothing stored: no form and no note. Stored
 * but unusable (not ours, an older format, edited by hand or by a hostile
 * page on the same origin): no form, and a note saying why, for the console.
 */
export function decodeStoredIce(text: string | undefined | null): { form?: IceForm; note?: string } {
  if (text === undefined || text === null) return {};
  if (typeof text !== 'string' || text.length > MAX_URLS_TEXT + 2 * MAX_SECRET_LENGTH + 256) return { note: 'too long to be ours' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { note: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { note: 'not an object' };
  const v = value as Record<string, unknown>;
  if (v.version !== STORED_VERSION) return { note: `unknown version ${JSON.stringify(v.version) ?? 'undefined'}` };
  if (!Array.isArray(v.urls) || !v.urls.every((u) => typeof u === 'string')) return { note: 'urls is not a list of strings' };
  if (typeof v.username !== 'string' || typeof v.credential !== 'string' || typeof v.relayOnly !== 'boolean') return { note: 'a field has the wrong type' };
  if (v.urls.length > MAX_ICE_SERVERS) return { note: `more than ${MAX_ICE_SERVERS} servers` };
  // One URL per entry: an entry with a line break would smuggle in a second line.
  if (v.urls.some((u: string) => /[\r\n]/.test(u))) return { note: 'a URL holds a line break' };
  const checked = checkIceForm({ urls: v.urls.join('\n'), username: v.username, credential: v.credential, relayOnly: v.relayOnly });
  if (!checked.ok) {
    const p = checked.problems[0]!;
    return { note: `the settings do not pass the check (${p.field}: ${p.code})` };
  }
  return { form: checked.form };
}

// --- Reading a configuration back (the pair view) ---

/** Every server URL of a configuration, in order. */
export function iceUrlsOf(servers: readonly RTCIceServer[]): string[] {
  return servers.flatMap((s) => (typeof s.urls === 'string' ? [s.urls] : [...s.urls]));
}

/**
 * What to suggest when ICE fails: no server at all (across networks, a STUN
 * server, or TURN), STUN only (a TURN server to relay), or TURN already
 * configured (check that server and its credentials).
 */
export function iceFailureAdvice(servers: readonly RTCIceServer[]): 'none' | 'stun' | 'turn' {
  const urls = iceUrlsOf(servers);
  if (urls.length === 0) return 'none';
  return urls.some((u) => /^turns?:/i.test(u)) ? 'turn' : 'stun';
}

/**
 * The RTCConfiguration for simple-peer. It always names iceServers, even when
 * empty: simple-peer merges its own defaults (public STUN servers) under
 * whatever is not given, and a LAN pairing must not call out to them.
 */
export function rtcConfiguration(config: Partial<IceConfig> = {}): RTCConfiguration {
  return { iceServers: [...(config.iceServers ?? [])], iceTransportPolicy: config.iceTransportPolicy ?? 'all' };
}
