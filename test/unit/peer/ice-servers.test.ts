/**
 * The STUN/TURN settings check (src/lib/peer/ice-servers.ts): what a person
 * may type, what the browser is given, what comes back from localStorage, and
 * that no input whatever makes it throw.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkIceForm,
  decodeStoredIce,
  EMPTY_ICE_FORM,
  encodeStoredIce,
  firstProblemField,
  iceFailureAdvice,
  iceUrlsOf,
  MAX_ICE_SERVERS,
  MAX_URL_LENGTH,
  MAX_URLS_TEXT,
  parseIceUrl,
  rtcConfiguration,
  type IceForm,
} from '../../../src/lib/peer/ice-servers';

const form = (patch: Partial<IceForm>): IceForm => ({ ...EMPTY_ICE_FORM, ...patch });
const urlError = (text: string) => {
  const r = parseIceUrl(text);
  return r.ok ? undefined : r.error;
};
const normalised = (text: string) => {
  const r = parseIceUrl(text);
  return r.ok ? r.value.url : undefined;
};

describe('one server URL', () => {
  it('accepts the four schemes with a name, IPv4 or IPv6 host, an optional port and a TURN transport', () => {
    expect(parseIceUrl('stun:stun.example.org:3478')).toEqual({ ok: true, value: { scheme: 'stun', host: 'stun.example.org', port: 3478, url: 'stun:stun.example.org:3478' } });
    expect(parseIceUrl('turn:turn.example.org:3478?transport=udp')).toEqual({
      ok: true,
      value: { scheme: 'turn', host: 'turn.example.org', port: 3478, transport: 'udp', url: 'turn:turn.example.org:3478?transport=udp' },
    });
    expect(normalised('stuns:stun.example.org')).toBe('stuns:stun.example.org');
    expect(normalised('turns:turn.example.org:443?transport=tcp')).toBe('turns:turn.example.org:443?transport=tcp');
    expect(normalised('turn:turn.example.org?transport=tcp')).toBe('turn:turn.example.org?transport=tcp');
    expect(normalised('stun:192.168.1.20:3478')).toBe('stun:192.168.1.20:3478');
    expect(normalised('stun:[2001:db8::1]:3478')).toBe('stun:[2001:db8::1]:3478');
    expect(normalised('stun:[::1]')).toBe('stun:[::1]');
    expect(normalised('stun:[::ffff:10.0.0.1]:19302')).toBe('stun:[::ffff:10.0.0.1]:19302');
    expect(normalised('stun:[1:2:3:4:5:6:7:8]')).toBe('stun:[1:2:3:4:5:6:7:8]');
    expect(normalised('turn:turnbox:3478')).toBe('turn:turnbox:3478'); // a LAN host name
    expect(normalised('stun:xn--bcher-kva.example')).toBe('stun:xn--bcher-kva.example');
  });

  it('lower-cases scheme, host and transport (Chromium compares schemes exactly)', () => {
    expect(normalised('STUN:Stun.Example.ORG:3478')).toBe('stun:stun.example.org:3478');
    expect(normalised('TURN:[2001:DB8::A]?TRANSPORT=UDP')).toBe('turn:[2001:db8::a]?transport=udp');
  });

  it('names what is wrong', () => {
    expect(urlError('http://stun.example.org')).toBe('scheme');
    expect(urlError('stun.example.org:3478')).toBe('scheme');
    expect(urlError('turnx:turn.example.org')).toBe('scheme');
    expect(urlError('')).toBe('scheme');
    expect(urlError('stun://stun.example.org')).toBe('slashes');
    expect(urlError('stun:')).toBe('host');
    expect(urlError('stun::3478')).toBe('host');
    expect(urlError('stun:-bad.example.org')).toBe('host');
    expect(urlError('stun:bad-.example.org')).toBe('host');
    expect(urlError('stun:a..b')).toBe('host');
    expect(urlError('stun:example.org.')).toBe('host');
    expect(urlError('stun:under_score.example.org')).toBe('host');
    expect(urlError('stun:bücher.example')).toBe('host');
    expect(urlError('turn:user@turn.example.org')).toBe('host');
    expect(urlError('stun:999.1.1.1')).toBe('host');
    expect(urlError('stun:1.2.3')).toBe('host');
    expect(urlError('stun:010.0.0.1')).toBe('host');
    expect(urlError('stun:example.123')).toBe('host');
    expect(urlError(`stun:${'a'.repeat(64)}.org`)).toBe('host');
    expect(urlError('stun:[2001:db8::1')).toBe('host');
    expect(urlError('stun:[2001:db8::1]x')).toBe('host');
    expect(urlError('stun:[1::2::3]')).toBe('host');
    expect(urlError('stun:[1:2:3:4:5:6:7:8:9]')).toBe('host');
    expect(urlError('stun:[1:2:3:4:5:6:7]')).toBe('host');
    expect(urlError('stun:[fe80::1%eth0]')).toBe('host');
    expect(urlError('stun:2001:db8::1')).toBe('brackets');
    expect(urlError('stun:::1')).toBe('brackets');
    expect(urlError('stun:stun.example.org:0')).toBe('port');
    expect(urlError('stun:stun.example.org:65536')).toBe('port');
    expect(urlError('stun:stun.example.org:123456')).toBe('port');
    expect(urlError('stun:stun.example.org:')).toBe('port');
    expect(urlError('stun:stun.example.org:+3478')).toBe('port');
    expect(urlError('stun:stun.example.org:34 78')).toBe('port');
    expect(urlError('stun:stun.example.org:3478?transport=udp')).toBe('query');
    expect(urlError('turn:turn.example.org?transport=sctp')).toBe('query');
    expect(urlError('turn:turn.example.org?transport=udp&x=1')).toBe('query');
    expect(urlError('turn:turn.example.org?')).toBe('query');
    expect(urlError(`stun:${'a'.repeat(MAX_URL_LENGTH)}`)).toBe('line-too-long');
  });

  it('takes the port edges 1 and 65535', () => {
    expect(normalised('stun:h:1')).toBe('stun:h:1');
    expect(normalised('stun:h:65535')).toBe('stun:h:65535');
    expect(normalised('stun:h:03478')).toBe('stun:h:3478');
  });
});

describe('the whole form', () => {
  it('is empty by default: no server, all candidates (LAN use)', () => {
    const r = checkIceForm(EMPTY_ICE_FORM);
    expect(r.ok && r.config).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });

  it('gives one RTCIceServer per line, in order, with the TURN username and credential on TURN lines only', () => {
    const r = checkIceForm(form({ urls: '\n  stun:stun.example.org:3478  \r\n\nTURN:turn.example.org:3478?transport=udp\n', username: ' alice ', credential: 's3cret', relayOnly: true }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toEqual({
      iceServers: [{ urls: 'stun:stun.example.org:3478' }, { urls: 'turn:turn.example.org:3478?transport=udp', username: 'alice', credential: 's3cret' }],
      iceTransportPolicy: 'relay',
    });
    expect(r.form).toEqual({ urls: 'stun:stun.example.org:3478\nturn:turn.example.org:3478?transport=udp', username: 'alice', credential: 's3cret', relayOnly: true });
  });

  it('reports problems per line, numbered as the person sees them (blank lines count)', () => {
    const r = checkIceForm(form({ urls: 'stun:ok.example.org\n\nhttp://x\nstun:ok.example.org\nturn:t.example.org:99999' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { field: 'urls', line: 3, code: 'scheme' },
      { field: 'urls', line: 4, code: 'duplicate' },
      { field: 'urls', line: 5, code: 'port' },
      { field: 'username', code: 'missing' },
      { field: 'credential', code: 'missing' },
    ]);
    expect(firstProblemField(r.problems)).toBe('urls');
  });

  it('wants a username and a credential as soon as a TURN server is listed, and not before', () => {
    const stunOnly = checkIceForm(form({ urls: 'stun:stun.example.org' }));
    expect(stunOnly.ok).toBe(true);
    const turn = checkIceForm(form({ urls: 'turns:turn.example.org', username: 'alice' }));
    expect(!turn.ok && turn.problems).toEqual([{ field: 'credential', code: 'missing' }]);
    const blank = checkIceForm(form({ urls: 'turn:turn.example.org', username: '   ', credential: '\t' }));
    expect(!blank.ok && blank.problems).toEqual([
      { field: 'username', code: 'missing' },
      { field: 'credential', code: 'missing' },
    ]);
  });

  it('refuses control characters and overlong secrets', () => {
    const r = checkIceForm(form({ urls: 'turn:t.example.org', username: 'a\u0000b', credential: 'x'.repeat(257) }));
    expect(!r.ok && r.problems).toEqual([
      { field: 'username', code: 'control' },
      { field: 'credential', code: 'too-long' },
    ]);
    expect(checkIceForm(form({ urls: 'turn:t.example.org', username: 'a\u2028b', credential: 'c' })).ok).toBe(false);
  });

  it('says "relay only" needs a TURN server', () => {
    const r = checkIceForm(form({ urls: 'stun:stun.example.org', relayOnly: true }));
    expect(!r.ok && r.problems).toEqual([{ field: 'relayOnly', code: 'needs-turn' }]);
    expect(checkIceForm(form({ relayOnly: true })).ok).toBe(false);
  });

  it(`takes at most ${MAX_ICE_SERVERS} servers, and says so once, at the first line over`, () => {
    const lines = Array.from({ length: 8 }, (_, i) => `stun:s${i}.example.org`);
    expect(checkIceForm(form({ urls: lines.slice(0, MAX_ICE_SERVERS).join('\n') })).ok).toBe(true);
    const r = checkIceForm(form({ urls: lines.join('\n') }));
    expect(!r.ok && r.problems).toEqual([{ field: 'urls', line: MAX_ICE_SERVERS + 1, code: 'too-many' }]);
  });

  it(`refuses a list over ${MAX_URLS_TEXT} characters as a whole`, () => {
    const r = checkIceForm(form({ urls: 'stun:a.example.org\n' + ' '.repeat(MAX_URLS_TEXT) }));
    expect(!r.ok && r.problems).toEqual([{ field: 'urls', code: 'too-long' }]);
  });

  it('survives fields of the wrong type (a form built from stored JSON)', () => {
    const r = checkIceForm({ urls: 42, username: null, credential: {}, relayOnly: 'yes' } as unknown as IceForm);
    expect(r.ok && r.config).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });
});

// Arbitraries for valid servers.
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const name = fc.tuple(fc.array(label, { minLength: 0, maxLength: 3 }), fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/)).map(([ls, tld]) => [...ls, tld].join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => `[${g.map((x) => x.toString(16)).join(':')}]`);
const server = fc.record({
  scheme: fc.constantFrom('stun', 'stuns', 'turn', 'turns'),
  host: fc.oneof(name, ipv4, ipv6),
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  transport: fc.option(fc.constantFrom('udp', 'tcp'), { nil: undefined }),
});
const serverUrl = server.map(({ scheme, host, port, transport }) => {
  const turn = scheme.startsWith('turn');
  return `${scheme}:${host}${port === undefined ? '' : `:${port}`}${turn && transport ? `?transport=${transport}` : ''}`;
});
// Anything a person or a hostile page could leave in the fields.
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.array(fc.oneof(serverUrl, fc.string({ maxLength: 40 }), fc.constantFrom('stun:', 'turn:[', 'turn:x?transport=', '\r', '\u2028', ':', '?', ']')), { maxLength: 12 }).map((parts) => parts.join('\n')),
);
const anyForm = fc.record({ urls: hostileText, username: hostileText, credential: hostileText, relayOnly: fc.boolean() });

describe('properties', () => {
  it('a generated valid URL is accepted and comes back unchanged', () => {
    fc.assert(
      fc.property(serverUrl, (url) => {
        expect(normalised(url)).toBe(url);
      }),
      { numRuns: 500 },
    );
  });

  it('normalising twice changes nothing', () => {
    fc.assert(
      fc.property(serverUrl, fc.boolean(), (url, upper) => {
        const once = normalised(upper ? url.toUpperCase() : url);
        expect(once).toBeDefined();
        expect(normalised(once!)).toBe(once);
      }),
    );
  });

  it('never throws, and what it accepts is what the browser can take', () => {
    const accepted = /^(stuns?:[a-z0-9.\-[\]:]+(:\d{1,5})?|turns?:[a-z0-9.\-[\]:]+(:\d{1,5})?(\?transport=(udp|tcp))?)$/;
    fc.assert(
      fc.property(anyForm, (f) => {
        const r = checkIceForm(f);
        if (!r.ok) {
          expect(r.problems.length).toBeGreaterThan(0);
          return;
        }
        expect(r.config.iceServers.length).toBeLessThanOrEqual(MAX_ICE_SERVERS);
        for (const s of r.config.iceServers) {
          expect(s.urls).toMatch(accepted);
          if (/^turns?:/.test(s.urls as string)) {
            expect(s.username).toBeTruthy();
            expect(s.credential).toBeTruthy();
          }
        }
        if (r.config.iceTransportPolicy === 'relay') expect(r.config.iceServers.some((s) => /^turns?:/.test(s.urls as string))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid form survives storage unchanged', () => {
    const validForm = fc
      .record({
        urls: fc.uniqueArray(serverUrl, { maxLength: MAX_ICE_SERVERS }),
        username: fc.stringMatching(/^[A-Za-z0-9:._-]{1,32}$/),
        credential: fc.stringMatching(/^[ -~]{0,20}[!-~]$/),
        relayOnly: fc.boolean(),
      })
      .map((f) => ({ ...f, urls: f.urls.join('\n'), credential: f.credential.trim() || 'x', relayOnly: f.relayOnly && f.urls.some((u) => u.startsWith('turn')) }));
    fc.assert(
      fc.property(validForm, (f) => {
        const r = checkIceForm(f);
        if (!r.ok) return; // e.g. two generated URLs equal after lower-casing
        expect(decodeStoredIce(encodeStoredIce(r.form))).toEqual({ form: r.form });
      }),
    );
  });

  it('reading storage never throws, and gives either a valid form or a note', () => {
    const stored = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ version: fc.constantFrom(1, 2, '1'), urls: fc.oneof(fc.array(hostileText, { maxLength: 7 }), fc.jsonValue()), username: fc.oneof(hostileText, fc.jsonValue()), credential: fc.oneof(hostileText, fc.jsonValue()), relayOnly: fc.oneof(fc.boolean(), fc.jsonValue()) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(stored, (text) => {
        const r = decodeStoredIce(text);
        if (r.form) {
          expect(r.note).toBeUndefined();
          expect(checkIceForm(r.form).ok).toBe(true);
        } else {
          expect(typeof r.note).toBe('string');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('stored settings', () => {
  it('nothing stored: nothing to say', () => {
    expect(decodeStoredIce(undefined)).toEqual({});
    expect(decodeStoredIce(null)).toEqual({});
  });

  it('ignores hostile or old data with a reason', () => {
    const v1 = (o: object) => JSON.stringify({ version: 1, urls: [], username: '', credential: '', relayOnly: false, ...o });
    expect(decodeStoredIce('stun:stun.example.org').note).toBe('not JSON');
    expect(decodeStoredIce('null').note).toBe('not an object');
    expect(decodeStoredIce('[1]').note).toBe('not an object');
    expect(decodeStoredIce('{"urls":["stun:a.org"]}').note).toMatch(/version/);
    expect(decodeStoredIce(v1({ version: 2 })).note).toMatch(/version 2/);
    expect(decodeStoredIce(v1({ urls: 'stun:a.org' })).note).toMatch(/urls/);
    expect(decodeStoredIce(v1({ relayOnly: 'true' })).note).toMatch(/wrong type/);
    expect(decodeStoredIce(v1({ urls: ['javascript:alert(1)'] })).note).toMatch(/urls: scheme/);
    expect(decodeStoredIce(v1({ urls: ['stun:a.org\nturn:b.org'] })).note).toMatch(/line break/);
    expect(decodeStoredIce(v1({ urls: Array.from({ length: 6 }, (_, i) => `stun:s${i}.org`) })).note).toMatch(/more than 5/);
    expect(decodeStoredIce(v1({ urls: ['turn:t.org'] })).note).toMatch(/username: missing/);
    expect(decodeStoredIce('x'.repeat(100_000)).note).toMatch(/too long/);
  });

  it('reads good settings back, normalised', () => {
    const text = JSON.stringify({ version: 1, urls: ['STUN:S.Example.org'], username: '', credential: '', relayOnly: false });
    expect(decodeStoredIce(text)).toEqual({ form: { urls: 'stun:s.example.org', username: '', credential: '', relayOnly: false } });
  });
});

describe('for the connection status and simple-peer', () => {
  it('lists the URLs of a configuration', () => {
    expect(iceUrlsOf([])).toEqual([]);
    expect(iceUrlsOf([{ urls: 'stun:a.org' }, { urls: ['turn:b.org', 'turns:b.org'], username: 'u', credential: 'c' }])).toEqual(['stun:a.org', 'turn:b.org', 'turns:b.org']);
  });

  it('suggests STUN/TURN with no server, TURN with STUN only, checking the TURN server otherwise', () => {
    expect(iceFailureAdvice([])).toBe('none');
    expect(iceFailureAdvice([{ urls: 'stun:a.org' }])).toBe('stun');
    expect(iceFailureAdvice([{ urls: 'stun:a.org' }, { urls: 'turns:b.org', username: 'u', credential: 'c' }])).toBe('turn');
  });

  it('always names iceServers, so simple-peer never falls back to its public STUN defaults', () => {
    expect(rtcConfiguration()).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
    expect(rtcConfiguration({ iceTransportPolicy: 'relay', iceServers: [{ urls: 'turn:t.org', username: 'u', credential: 'c' }] })).toEqual({
      iceServers: [{ urls: 'turn:t.org', username: 'u', credential: 'c' }],
      iceTransportPolicy: 'relay',
    });
  });
});
