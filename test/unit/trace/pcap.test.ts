import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_SNAPLEN,
  GLOBAL_HEADER_LEN,
  LINKTYPE_ETHERNET,
  MAX_RECORD_LEN,
  PcapWriter,
  RECORD_HEADER_LEN,
  parsePcap,
  splitMicros,
  writePcap,
  type PcapFile,
} from '../../../worker/trace/pcap';

const bytes = (...b: number[]) => new Uint8Array(b);

function parsed(file: Uint8Array): PcapFile {
  const r = parsePcap(file);
  if (!r.ok) throw new Error(`expected a valid pcap, got ${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

/** The timestamp fields of the first record of a file written by us (little-endian). */
function firstRecordTs(file: Uint8Array): { sec: number; usec: number } {
  const v = new DataView(file.buffer, file.byteOffset + GLOBAL_HEADER_LEN);
  return { sec: v.getUint32(0, true), usec: v.getUint32(4, true) };
}

const FRAME = bytes(0xde, 0xad, 0xbe, 0xef, 0x42);

// A little-endian global header exactly as tcpdump on x86 writes it.
// prettier-ignore
const GOLDEN_HEADER = bytes(
  0xd4, 0xc3, 0xb2, 0xa1, // magic 0xa1b2c3d4, little-endian: microsecond timestamps
  0x02, 0x00,             // version_major 2
  0x04, 0x00,             // version_minor 4
  0x00, 0x00, 0x00, 0x00, // thiszone 0 (UTC)
  0x00, 0x00, 0x00, 0x00, // sigfigs 0
  0x00, 0x00, 0x04, 0x00, // snaplen 262144 = 0x00040000
  0x01, 0x00, 0x00, 0x00, // network 1 = LINKTYPE_ETHERNET
);

describe('pcap writer', () => {
  it('writes the global header byte for byte', () => {
    expect(new PcapWriter().header()).toEqual(GOLDEN_HEADER);
  });

  it('writes one record byte for byte, anchored at epochMs', () => {
    const epochMs = 1_700_000_000_000; // 2023-11-14T22:13:20Z
    const rec = new PcapWriter({ epochMs }).record(12.345, FRAME);
    // prettier-ignore
    expect(rec).toEqual(bytes(
      0x00, 0xf1, 0x53, 0x65, // ts_sec 1700000000 = 0x6553f100
      0x39, 0x30, 0x00, 0x00, // ts_usec 12345 = 0x3039 (12.345 ms)
      0x05, 0x00, 0x00, 0x00, // incl_len 5
      0x05, 0x00, 0x00, 0x00, // orig_len 5
      0xde, 0xad, 0xbe, 0xef, 0x42, // the frame
    ));
  });

  it('writePcap is the header followed by the records, in one buffer', () => {
    const w = new PcapWriter({ epochMs: 5 });
    const a = bytes(1, 2, 3);
    const b = new Uint8Array(60).fill(7);
    const file = writePcap(
      [
        { t: 0, frame: a },
        { t: 1.5, frame: b },
      ],
      { epochMs: 5 },
    );
    const expected = new Uint8Array([...w.header(), ...w.record(0, a), ...w.record(1.5, b)]);
    expect(file).toEqual(expected);
    expect(file.length).toBe(GLOBAL_HEADER_LEN + 2 * RECORD_HEADER_LEN + 3 + 60);
  });

  it('accepts a one-shot iterable such as a generator', () => {
    function* gen() {
      yield { t: 1, frame: bytes(1) };
      yield { t: 2, frame: bytes(2, 2) };
    }
    const file = writePcap(gen());
    expect(parsed(file).records.map((r) => Array.from(r.frame))).toEqual([[1], [2, 2]]);
  });

  it('writes an empty capture as just the header', () => {
    expect(writePcap([])).toEqual(GOLDEN_HEADER);
  });

  describe('timestamp rounding', () => {
    const ts = (t: number, epochMs = 0) => firstRecordTs(writePcap([{ t, frame: FRAME }], { epochMs }));

    it('rounds to the nearest microsecond', () => {
      expect(ts(1.9999999)).toEqual({ sec: 0, usec: 2000 });
      expect(ts(1.0004)).toEqual({ sec: 0, usec: 1000 });
      expect(ts(1.0006)).toEqual({ sec: 0, usec: 1001 });
    });

    it('carries into the seconds instead of writing usec = 1000000', () => {
      expect(ts(999.9999)).toEqual({ sec: 1, usec: 0 });
      expect(ts(1999.99999)).toEqual({ sec: 2, usec: 0 });
      expect(ts(0.9999996, 999)).toEqual({ sec: 1, usec: 0 });
    });

    it('adds epochMs before rounding once', () => {
      // 1000.5 + 0.4996 = 1000.9996 ms -> 1000999.6 us -> 1001000 us
      expect(ts(0.4996, 1000.5)).toEqual({ sec: 1, usec: 1000 });
      expect(ts(250, 1_700_000_000_750)).toEqual({ sec: 1_700_000_001, usec: 0 });
    });

    it('clamps times before the epoch to zero', () => {
      expect(ts(-5)).toEqual({ sec: 0, usec: 0 });
      expect(splitMicros(Number.NaN)).toEqual({ sec: 0, usec: 0 });
    });

    it('never produces usec outside [0, 1e6)', () => {
      fc.assert(
        fc.property(fc.double({ min: 0, max: 4e12, noNaN: true }), (ms) => {
          const { sec, usec } = splitMicros(ms);
          expect(Number.isInteger(sec) && Number.isInteger(usec)).toBe(true);
          expect(usec).toBeGreaterThanOrEqual(0);
          expect(usec).toBeLessThan(1_000_000);
          expect(sec * 1_000_000 + usec).toBe(Math.round(ms * 1000));
        }),
      );
    });
  });

  describe('snaplen', () => {
    it('truncates longer frames and keeps orig_len', () => {
      const frame = Uint8Array.from({ length: 20 }, (_, i) => i);
      const file = writePcap([{ t: 0, frame }], { snaplen: 8 });
      const v = new DataView(file.buffer);
      expect(v.getUint32(16, true)).toBe(8); // snaplen in the header
      expect(v.getUint32(GLOBAL_HEADER_LEN + 8, true)).toBe(8); // incl_len
      expect(v.getUint32(GLOBAL_HEADER_LEN + 12, true)).toBe(20); // orig_len
      expect(file.length).toBe(GLOBAL_HEADER_LEN + RECORD_HEADER_LEN + 8);
      const r = parsed(file).records[0];
      expect(Array.from(r.frame)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(r.origLen).toBe(20);
    });

    it('keeps a frame exactly snaplen long whole', () => {
      const frame = new Uint8Array(8).fill(9);
      const r = parsed(writePcap([{ t: 0, frame }], { snaplen: 8 })).records[0];
      expect(r.frame).toEqual(frame);
      expect(r.origLen).toBe(8);
    });

    it('defaults to 262144', () => {
      expect(new PcapWriter().snaplen).toBe(DEFAULT_SNAPLEN);
      expect(DEFAULT_SNAPLEN).toBe(262_144);
    });

    it('rejects impossible options (our own bug, not input)', () => {
      expect(() => new PcapWriter({ snaplen: 0 })).toThrow(RangeError);
      expect(() => new PcapWriter({ snaplen: 1.5 })).toThrow(RangeError);
      expect(() => new PcapWriter({ epochMs: Number.NaN })).toThrow(RangeError);
    });
  });
});

// prettier-ignore
const BIG_ENDIAN_FILE = bytes(
  0xa1, 0xb2, 0xc3, 0xd4, // magic, big-endian, microseconds
  0x00, 0x02, 0x00, 0x04, // version 2.4
  0x00, 0x00, 0x00, 0x00, // thiszone
  0x00, 0x00, 0x00, 0x00, // sigfigs
  0x00, 0x00, 0xff, 0xff, // snaplen 65535
  0x00, 0x00, 0x00, 0x01, // network 1 (Ethernet)
  // record 1
  0x00, 0x00, 0x00, 0x02, // ts_sec 2
  0x00, 0x00, 0x01, 0xf4, // ts_usec 500
  0x00, 0x00, 0x00, 0x03, // incl_len 3
  0x00, 0x00, 0x00, 0x05, // orig_len 5 (truncated by the capture)
  0xaa, 0xbb, 0xcc,
  // record 2
  0x00, 0x00, 0x00, 0x03, // ts_sec 3
  0x00, 0x00, 0x00, 0x00, // ts_usec 0
  0x00, 0x00, 0x00, 0x01, // incl_len 1
  0x00, 0x00, 0x00, 0x01, // orig_len 1
  0x11,
);

// prettier-ignore
const NANOSECOND_LE_FILE = bytes(
  0x4d, 0x3c, 0xb2, 0xa1, // magic 0xa1b23c4d little-endian: nanoseconds
  0x02, 0x00, 0x04, 0x00, // version 2.4
  0x00, 0x00, 0x00, 0x00, // thiszone
  0x00, 0x00, 0x00, 0x00, // sigfigs
  0x00, 0x00, 0x04, 0x00, // snaplen 262144
  0x01, 0x00, 0x00, 0x00, // network 1
  0x01, 0x00, 0x00, 0x00, // ts_sec 1
  0x15, 0xcd, 0x5b, 0x07, // ts_nsec 123456789 = 0x075bcd15
  0x02, 0x00, 0x00, 0x00, // incl_len 2
  0x02, 0x00, 0x00, 0x00, // orig_len 2
  0x01, 0x02,
);

// prettier-ignore
const NANOSECOND_BE_FILE = bytes(
  0xa1, 0xb2, 0x3c, 0x4d, // magic 0xa1b23c4d big-endian: nanoseconds
  0x00, 0x02, 0x00, 0x04,
  0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x60, // snaplen 96
  0x00, 0x00, 0x00, 0x71, // network 113 (Linux cooked capture)
  0x00, 0x00, 0x00, 0x00, // ts_sec 0
  0x00, 0x00, 0x03, 0xe8, // ts_nsec 1000 (1 us)
  0x00, 0x00, 0x00, 0x00, // incl_len 0
  0x00, 0x00, 0x00, 0x00, // orig_len 0
);

describe('pcap reader', () => {
  it('reads a big-endian microsecond file', () => {
    const f = parsed(BIG_ENDIAN_FILE);
    expect(f.linkType).toBe(LINKTYPE_ETHERNET);
    expect(f.snaplen).toBe(65535);
    expect(f.nanosecond).toBe(false);
    expect(f.records).toHaveLength(2);
    expect(f.records[0].t).toBe(2000.5);
    expect(Array.from(f.records[0].frame)).toEqual([0xaa, 0xbb, 0xcc]);
    expect(f.records[0].origLen).toBe(5);
    expect(f.records[1].t).toBe(3000);
    expect(Array.from(f.records[1].frame)).toEqual([0x11]);
  });

  it('reads a little-endian nanosecond file', () => {
    const f = parsed(NANOSECOND_LE_FILE);
    expect(f.nanosecond).toBe(true);
    expect(f.snaplen).toBe(262144);
    expect(f.records[0].t).toBeCloseTo(1123.456789, 9);
    expect(Array.from(f.records[0].frame)).toEqual([1, 2]);
  });

  it('reads a big-endian nanosecond file with another link type and an empty record', () => {
    const f = parsed(NANOSECOND_BE_FILE);
    expect(f.nanosecond).toBe(true);
    expect(f.linkType).toBe(113);
    expect(f.snaplen).toBe(96);
    expect(f.records).toEqual([{ t: 0.001, frame: new Uint8Array(0), origLen: 0 }]);
  });

  it('returns frames as views into the input, not copies', () => {
    const file = writePcap([{ t: 1, frame: FRAME }]);
    const frame = parsed(file).records[0].frame;
    expect(frame.buffer).toBe(file.buffer);
    expect(frame.byteOffset).toBe(file.byteOffset + GLOBAL_HEADER_LEN + RECORD_HEADER_LEN);
  });

  it('reads a file that sits at an offset inside a larger buffer', () => {
    const file = writePcap([{ t: 7, frame: FRAME }]);
    const big = new Uint8Array(file.length + 13);
    big.set(file, 13);
    const f = parsed(big.subarray(13));
    expect(f.records[0].frame).toEqual(FRAME);
    expect(f.records[0].t).toBe(7);
  });

  it('ignores the FCS bits in the upper part of the network field', () => {
    const file = writePcap([]);
    file[23] = 0x14; // FCS-length bits set on LINKTYPE_ETHERNET
    expect(parsed(file).linkType).toBe(LINKTYPE_ETHERNET);
  });

  describe('errors', () => {
    function error(file: Uint8Array) {
      const r = parsePcap(file);
      if (r.ok) throw new Error('expected an error');
      expect(r.error.layer).toBe('pcap');
      return r.error;
    }

    it('a file shorter than the global header is truncated', () => {
      expect(error(new Uint8Array(0)).reason).toBe('truncated');
      expect(error(GOLDEN_HEADER.subarray(0, 3)).reason).toBe('truncated');
      const e = error(GOLDEN_HEADER.subarray(0, 23));
      expect(e.reason).toBe('truncated');
      expect(e.detail).toContain('23 bytes');
    });

    it('an unknown magic is not a pcap file', () => {
      const e = error(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n'));
      expect(e.reason).toBe('unsupported');
      expect(e.detail).toMatch(/not a pcap file/);
      expect(e.detail).not.toMatch(/pcapng/);
    });

    it('a pcapng file is recognised and the way out is explained', () => {
      // Section Header Block: block type, total length, byte-order magic 0x1a2b3c4d
      // prettier-ignore
      const pcapng = bytes(0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00, 0x00);
      const e = error(pcapng);
      expect(e.reason).toBe('unsupported');
      expect(e.detail).toMatch(/not a pcap file/);
      expect(e.detail).toMatch(/pcapng is not supported yet/);
      expect(e.detail).toContain('Wireshark/tcpdump - pcap');
    });

    it('a format version other than 2.x is unsupported', () => {
      const file = writePcap([]);
      file[4] = 1; // version_major 1
      expect(error(file).reason).toBe('unsupported');
    });

    it('incl_len larger than the snaplen is a bad length', () => {
      const file = writePcap([{ t: 0, frame: FRAME }], { snaplen: 100 });
      new DataView(file.buffer).setUint32(16, 4, true); // snaplen now 4 < incl_len 5
      const e = error(file);
      expect(e.reason).toBe('bad-length');
      expect(e.detail).toContain('0 complete records were read');
    });

    it('incl_len over 256 KiB is a bad length even with a huge snaplen', () => {
      const file = writePcap([{ t: 0, frame: FRAME }], { snaplen: 0xffffffff });
      new DataView(file.buffer).setUint32(GLOBAL_HEADER_LEN + 8, MAX_RECORD_LEN + 1, true);
      expect(error(file).reason).toBe('bad-length');
      // exactly the maximum is fine as far as the length check goes (then it is truncated)
      new DataView(file.buffer).setUint32(GLOBAL_HEADER_LEN + 8, MAX_RECORD_LEN, true);
      expect(error(file).reason).toBe('truncated');
    });

    it('a record running past the end is truncated and says how many records were complete', () => {
      const file = writePcap([
        { t: 0, frame: FRAME },
        { t: 1, frame: FRAME },
        { t: 2, frame: FRAME },
      ]);
      const e = error(file.subarray(0, file.length - 1));
      expect(e.reason).toBe('truncated');
      expect(e.detail).toContain('2 complete records were read');
      const h = error(file.subarray(0, GLOBAL_HEADER_LEN + RECORD_HEADER_LEN + FRAME.length + 10));
      expect(h.reason).toBe('truncated');
      expect(h.detail).toContain('1 complete record was read');
    });
  });
});

const frameArb = fc.uint8Array({ maxLength: 1600 });
/** Records with non-decreasing times (ms, sub-microsecond fractions included). */
const recordsArb = fc
  .array(fc.tuple(fc.double({ min: 0, max: 10_000, noNaN: true }), frameArb), { maxLength: 30 })
  .map((items) => {
    let t = 0;
    return items.map(([dt, frame]) => ({ t: (t += dt), frame }));
  });

describe('pcap properties', () => {
  it('write then parse gives back the frames and the times to the microsecond', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 0, max: 2_000_000_000_000 }), (records, epochMs) => {
        const f = parsed(writePcap(records, { epochMs }));
        expect(f.linkType).toBe(LINKTYPE_ETHERNET);
        expect(f.nanosecond).toBe(false);
        expect(f.records).toHaveLength(records.length);
        for (let i = 0; i < records.length; i++) {
          const { sec, usec } = splitMicros(epochMs + records[i].t);
          expect(f.records[i].t).toBe(sec * 1000 + usec / 1000);
          // half a microsecond of rounding, plus the float error of ms values near 2e12
          const total = epochMs + records[i].t;
          expect(Math.abs(f.records[i].t - total)).toBeLessThanOrEqual(0.0005 + 4 * Number.EPSILON * total);
          expect(f.records[i].frame).toEqual(records[i].frame);
          expect(f.records[i].origLen).toBe(records[i].frame.length);
          if (i > 0) expect(f.records[i].t).toBeGreaterThanOrEqual(f.records[i - 1].t);
        }
      }),
    );
  });

  it('streamed chunks equal the one-buffer file', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 1, max: 2000 }), (records, snaplen) => {
        const w = new PcapWriter({ snaplen });
        const chunks = [w.header(), ...records.map((r) => w.record(r.t, r.frame))];
        const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let o = 0;
        for (const c of chunks) {
          joined.set(c, o);
          o += c.length;
        }
        expect(writePcap(records, { snaplen })).toEqual(joined);
      }),
    );
  });

  it('every prefix of a valid file is an error or the records that fit, and never throws', () => {
    const frames = [bytes(1, 2, 3), new Uint8Array(0), new Uint8Array(70).fill(5), bytes(9)];
    const file = writePcap(frames.map((frame, i) => ({ t: i * 1.25, frame })));
    const boundaries = new Map<number, number>([[GLOBAL_HEADER_LEN, 0]]);
    let end = GLOBAL_HEADER_LEN;
    frames.forEach((f, i) => boundaries.set((end += RECORD_HEADER_LEN + f.length), i + 1));
    for (let len = 0; len <= file.length; len++) {
      const r = parsePcap(file.subarray(0, len));
      const complete = boundaries.get(len);
      if (complete === undefined) {
        expect(r.ok, `prefix of ${len} bytes`).toBe(false);
        if (!r.ok) expect(r.error.reason).toBe('truncated');
      } else {
        expect(r.ok, `prefix of ${len} bytes`).toBe(true);
        if (r.ok) expect(r.value.records.map((x) => x.frame)).toEqual(frames.slice(0, complete));
      }
    }
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const r = parsePcap(input);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid header never throw', () => {
    const headers = [GOLDEN_HEADER, BIG_ENDIAN_FILE.subarray(0, 24), NANOSECOND_LE_FILE.subarray(0, 24)];
    fc.assert(
      fc.property(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 300 }), (header, tail) => {
        const input = new Uint8Array(header.length + tail.length);
        input.set(header);
        input.set(tail, header.length);
        const r = parsePcap(input);
        if (r.ok) {
          for (const rec of r.value.records) expect(rec.frame.buffer).toBe(input.buffer);
        } else {
          expect(['truncated', 'bad-length']).toContain(r.error.reason);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
