/**
 * The control path between two paired tabs: a reliable, ordered data channel
 * beside the unreliable frame channel. It carries what is not a frame:
 *
 *   hello     who I am (host name, number, MAC, IP) and which version I run;
 *   ping/pong a clock-offset and round-trip estimate (NTP's four timestamps,
 *             reduced to three: the peer answers at once), so both tabs'
 *             events can be drawn on one timeline;
 *   link      my conditioner settings, so the peer can show my direction;
 *   sim       my simulation mode (running/paused, speed), kept in step;
 *   trace     a summary of my host's frames, TCP states and timers, for the
 *             peer's ladder diagram (format and bounds in peer-trace.ts);
 *   bye       I am leaving on purpose (not a crash, not a reload).
 *
 * Control traffic never rides the frame channel, so our TCP never sees it.
 * The peer is untrusted: every message is validated; anything else is dropped
 * with a reason, never thrown.
 */

import { parseTrace, type TraceMessage } from './peer-trace';

/** 2: adds `trace` (a version-1 tab would count every trace message as malformed). */
export const CONTROL_VERSION = 3;
/** Largest control message we accept, in characters. */
export const MAX_CONTROL_MESSAGE = 16 * 1024;

export interface HelloMessage {
  t: 'hello';
  version: number;
  name: string;
  host: 1 | 2;
  mac: string;
  ip: string;
}

export type ControlMessage =
  | HelloMessage
  | { t: 'ping'; id: number; sent: number }
  | { t: 'pong'; id: number; sent: number; at: number }
  | { t: 'link'; settings: Record<string, number | boolean | string | Record<string, number | string>> }
  | { t: 'sim'; mode: 'running' | 'paused'; speed: number }
  | TraceMessage
  | { t: 'bye' };

export type ControlParse = { ok: true; value: ControlMessage } | { ok: false; reason: string };

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Validates one control message from the peer. Never throws. */
export function parseControl(raw: unknown): ControlParse {
  if (typeof raw !== 'string') return { ok: false, reason: 'not text' };
  if (raw.length > MAX_CONTROL_MESSAGE) return { ok: false, reason: `too long (${raw.length} characters)` };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'not an object' };
  const m = v as Record<string, unknown>;
  switch (m.t) {
    case 'hello':
      if (!isNum(m.version) || !isText(m.name, 32) || (m.host !== 1 && m.host !== 2) || !isText(m.mac, 17) || !isText(m.ip, 15)) return { ok: false, reason: 'bad hello' };
      return { ok: true, value: { t: 'hello', version: m.version, name: m.name, host: m.host, mac: m.mac, ip: m.ip } };
    case 'ping':
      if (!isNum(m.id) || !isNum(m.sent)) return { ok: false, reason: 'bad ping' };
      return { ok: true, value: { t: 'ping', id: m.id, sent: m.sent } };
    case 'pong':
      if (!isNum(m.id) || !isNum(m.sent) || !isNum(m.at)) return { ok: false, reason: 'bad pong' };
      return { ok: true, value: { t: 'pong', id: m.id, sent: m.sent, at: m.at } };
    case 'link': {
      const s = m.settings;
      if (typeof s !== 'object' || s === null || Array.isArray(s)) return { ok: false, reason: 'bad link settings' };
      const out: Record<string, number | boolean | string | Record<string, number | string>> = {};
      for (const [k, val] of Object.entries(s as Record<string, unknown>).slice(0, 64)) {
        if (isNum(val) || typeof val === 'boolean' || isText(val, 32)) out[k] = val;
        else if (typeof val === 'object' && val !== null && !Array.isArray(val)) {
          const inner: Record<string, number | string> = {};
          for (const [ik, iv] of Object.entries(val as Record<string, unknown>).slice(0, 16)) if (isNum(iv) || isText(iv, 32)) inner[ik] = iv;
          out[k] = inner;
        }
      }
      return { ok: true, value: { t: 'link', settings: out } };
    }
    case 'sim':
      if ((m.mode !== 'running' && m.mode !== 'paused') || !isNum(m.speed)) return { ok: false, reason: 'bad sim' };
      return { ok: true, value: { t: 'sim', mode: m.mode, speed: Math.min(1, Math.max(0.01, m.speed)) } };
    case 'trace':
      return parseTrace(m);
    case 'bye':
      return { ok: true, value: { t: 'bye' } };
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(String(m.t)).slice(0, 40)}` };
  }
}

/**
 * Clock offset and round trip from ping/pong samples (times in ms on each
 * tab's own clock). offset = peer clock - my clock, assuming a symmetric path;
 * the sample with the smallest round trip is the most trustworthy (as NTP's
 * clock filter does), so the estimate keeps the best of the last few.
 */
export class ClockEstimator {
  private samples: { rtt: number; offset: number }[] = [];
  constructor(private readonly keep = 8) {}

  add(sent: number, peerAt: number, received: number): void {
    const rtt = received - sent;
    if (!(rtt >= 0)) return;
    this.samples.push({ rtt, offset: peerAt - (sent + received) / 2 });
    if (this.samples.length > this.keep) this.samples.shift();
  }

  /** Latest round trip, ms. */
  get rtt(): number | undefined {
    return this.samples.at(-1)?.rtt;
  }

  /** Best estimate of (peer clock - my clock), ms, with its uncertainty (half the best round trip). */
  get offset(): { offset: number; error: number } | undefined {
    if (this.samples.length === 0) return undefined;
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    return { offset: best.offset, error: best.rtt / 2 };
  }
}
