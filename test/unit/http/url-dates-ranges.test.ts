import { describe, expect, it } from 'vitest';
import { parseHttpUrl, hostField } from '../../../worker/apps/http/url';
import { formatHttpDate, parseHttpDate, HTTP_EPOCH_MS } from '../../../worker/apps/http/dates';
import { parseRanges } from '../../../worker/apps/http/site';
import { inflateSync } from 'node:zlib';
import { encodePng, crc32 } from '../../../worker/apps/http/png';

describe('http:// URLs', () => {
  it('parses names, addresses, ports, paths and queries; drops the fragment', () => {
    const r = parseHttpUrl('http://Bob:8080/a/b?x=1#top');
    expect(r).toEqual({ ok: true, url: { host: 'bob', port: 8080, target: '/a/b?x=1', href: 'http://bob:8080/a/b?x=1', addr: undefined } });
    const q = parseHttpUrl('10.0.0.2');
    expect(q.ok && q.url).toMatchObject({ host: '10.0.0.2', port: 80, target: '/', addr: 0x0a000002 });
    const p = parseHttpUrl('alice:81/x');
    expect(p.ok && p.url.href).toBe('http://alice:81/x');
    expect(p.ok && hostField(p.url)).toBe('alice:81');
  });

  it('resolves redirect locations against the current URL (RFC 3986 5)', () => {
    const base = (parseHttpUrl('http://bob/dir/page.html') as { ok: true; url: Parameters<typeof parseHttpUrl>[1] & object }).url;
    const hrefs = ['/abs', 'rel', '../up', '?q=1', '//alice/x', 'http://10.0.0.1:8080/'].map((l) => {
      const r = parseHttpUrl(l, base);
      return r.ok ? r.url.href : r.error;
    });
    expect(hrefs).toEqual(['http://bob/abs', 'http://bob/dir/rel', 'http://bob/up', 'http://bob/dir/page.html?q=1', 'http://alice/x', 'http://10.0.0.1:8080/']);
  });

  it('refuses what this stack cannot fetch, saying why', () => {
    const err = (s: string) => {
      const r = parseHttpUrl(s);
      return r.ok ? '' : r.error;
    };
    expect(err('https://bob/')).toMatch(/TLS/);
    expect(err('ftp://bob/')).toMatch(/Only http:\/\//);
    expect(err('http://user:pw@bob/')).toMatch(/passwords/);
    expect(err('http://[::1]/')).toMatch(/IPv6/);
    expect(err('')).toMatch(/empty/);
    expect(err('http://bob:99999/')).toMatch(/not a valid URL/);
  });
});

describe('HTTP dates', () => {
  it('formats IMF-fixdate on the fixed epoch', () => {
    expect(formatHttpDate(HTTP_EPOCH_MS)).toBe('Wed, 01 Jan 2025 09:00:00 GMT');
    expect(formatHttpDate(HTTP_EPOCH_MS + 61_999)).toBe('Wed, 01 Jan 2025 09:01:01 GMT');
  });

  it('parses the three formats of RFC 9110 5.6.7 and rejects others', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t);
    expect(parseHttpDate('yesterday')).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Foo 1994 08:49:37 GMT')).toBeUndefined();
  });
});

describe('Range header (RFC 9110 14.1.2)', () => {
  it('reads first-last, open-ended and suffix ranges, clipped to the length', () => {
    expect(parseRanges('bytes=0-99', 1000)).toEqual([[0, 99]]);
    expect(parseRanges('bytes=900-', 1000)).toEqual([[900, 999]]);
    expect(parseRanges('bytes=-100', 1000)).toEqual([[900, 999]]);
    expect(parseRanges('bytes=990-2000', 1000)).toEqual([[990, 999]]);
    expect(parseRanges('bytes=0-0, -1', 1000)).toEqual([
      [0, 0],
      [999, 999],
    ]);
  });

  it('unsatisfiable → 416; malformed → ignored (undefined)', () => {
    expect(parseRanges('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRanges('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRanges(`bytes=${Array(17).fill('0-1').join(',')}`, 1000)).toBe('unsatisfiable');
    expect(parseRanges('bytes=5-1', 1000)).toBeUndefined();
    expect(parseRanges('items=0-1', 1000)).toBeUndefined();
    expect(parseRanges('bytes=a-b', 1000)).toBeUndefined();
    expect(parseRanges('bytes=-', 1000)).toBeUndefined();
  });
});

describe('PNG encoder', () => {
  it('writes the signature, IHDR with the size, and chunks whose CRC-32 checks', () => {
    const png = encodePng(2, 3, () => [255, 0, 0]);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer);
    expect(dv.getUint32(16)).toBe(2);
    expect(dv.getUint32(20)).toBe(3);
    // Walk the chunks: each CRC covers type + data.
    const types: string[] = [];
    for (let o = 8; o < png.length; ) {
      const len = dv.getUint32(o);
      types.push(String.fromCharCode(...png.subarray(o + 4, o + 8)));
      expect(dv.getUint32(o + 8 + len)).toBe(crc32(png, o + 4, o + 8 + len));
      o += 12 + len;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
    // zlib (Node's) inflates the image data: 3 scanlines of filter byte + 2 red pixels.
    const idatLen = dv.getUint32(33);
    expect(Array.from(inflateSync(png.subarray(41, 41 + idatLen)))).toEqual([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
