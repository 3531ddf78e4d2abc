import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseEthernet, EtherType } from '../../../worker/wire/ethernet';
import { parseIpv4, IpProtocol } from '../../../worker/wire/ipv4';
import { EmitError } from '../../../worker/wire/result';
import {
  TCP,
  TcpFlag,
  TcpView,
  TcpOptionsScratch,
  emitTcp,
  flagsToString,
  formatOptions,
  parseFlagString,
  parseTcp,
  readTcpOptions,
  tcpEncodingLength,
  tcpHeaderLen,
  tcpOptionsLength,
  type PseudoHeader,
  type TcpOption,
  type TcpRepr,
} from '../../../worker/wire/tcp';

const HOST_1 = 0x0a000001; // 10.0.0.1
const HOST_2 = 0x0a000002; // 10.0.0.2
const PH_1_TO_2: PseudoHeader = { src: HOST_1, dst: HOST_2 };
const PH_2_TO_1: PseudoHeader = { src: HOST_2, dst: HOST_1 };

// A SYN in the exact layout Linux sends (tcp_connect with the default sysctls: options
// in Linux's order, DF, TTL 64), as one 74-byte Ethernet frame. The addresses, ISS and
// TS val are ours, not from a capture (a real captured SYN is in linux-syn.test.ts).
// Checksums were computed once, outside the code under test, with a Python one-off
// (RFC 1071 sum over the pseudo-header and segment).
// prettier-ignore
const LINUX_SYN_FRAME = new Uint8Array([
  // Ethernet II
  0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // destination MAC 02:00:00:00:00:02
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // source MAC 02:00:00:00:00:01
  0x08, 0x00,                         // EtherType IPv4
  // IPv4
  0x45,                               // version 4, IHL 5 (20 bytes)
  0x00,                               // DSCP 0, ECN 0
  0x00, 0x3c,                         // total length 60
  0x8a, 0x3f,                         // identification 0x8a3f
  0x40, 0x00,                         // flags DF, fragment offset 0
  0x40,                               // TTL 64
  0x06,                               // protocol TCP
  0x9c, 0x7a,                         // header checksum
  0x0a, 0x00, 0x00, 0x01,             // source 10.0.0.1
  0x0a, 0x00, 0x00, 0x02,             // destination 10.0.0.2
  // TCP
  0xb2, 0x6e,                         // source port 45678
  0x00, 0x50,                         // destination port 80
  0x6d, 0x2f, 0x1e, 0x47,             // sequence number 0x6d2f1e47 (ISS)
  0x00, 0x00, 0x00, 0x00,             // acknowledgment number 0 (no ACK flag)
  0xa0,                               // data offset 10 (40 bytes), reserved 0
  0x02,                               // flags SYN
  0xfa, 0xf0,                         // window 64240 (44 * 1460)
  0xc4, 0x7c,                         // checksum
  0x00, 0x00,                         // urgent pointer 0
  0x02, 0x04, 0x05, 0xb4,             // MSS 1460
  0x04, 0x02,                         // SACK permitted
  0x08, 0x0a,                         // timestamps, length 10
  0x0a, 0x1b, 0x2c, 0x3d,             //   TS val 169552957
  0x00, 0x00, 0x00, 0x00,             //   TS ecr 0
  0x01,                               // NOP (aligns the window scale option)
  0x03, 0x03, 0x0a,                   // window scale, shift 10
]);
const SYN_TCP_START = 34;
const LINUX_SYN_TCP = LINUX_SYN_FRAME.subarray(SYN_TCP_START);

// The server's first data segment, 10.0.0.2:80 -> 10.0.0.1:45678, 17 bytes of payload
// (odd, so the checksum pads a byte). Checksum computed independently as above.
// prettier-ignore
const HTTP_DATA_TCP = new Uint8Array([
  0x00, 0x50,                         // source port 80
  0xb2, 0x6e,                         // destination port 45678
  0x1c, 0x8f, 0x3a, 0x01,             // sequence number 0x1c8f3a01
  0x6d, 0x2f, 0x1e, 0x96,             // acknowledgment number 0x6d2f1e96
  0x80,                               // data offset 8 (32 bytes), reserved 0
  0x18,                               // flags PSH ACK
  0x01, 0xfd,                         // window 509 (scaled by the peer's shift)
  0x73, 0x68,                         // checksum
  0x00, 0x00,                         // urgent pointer 0
  0x01, 0x01,                         // NOP NOP
  0x08, 0x0a,                         // timestamps, length 10
  0x00, 0xbc, 0x61, 0x4e,             //   TS val 12345678
  0x0a, 0x1b, 0x2c, 0x3d,             //   TS ecr 169552957
  // payload "HTTP/1.1 200 OK\r\n"
  0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x20, 0x32, 0x30, 0x30, 0x20, 0x4f, 0x4b, 0x0d, 0x0a,
]);

const text = new TextEncoder();

function mustParse(buf: Uint8Array, ph?: PseudoHeader): TcpRepr {
  const r = parseTcp(buf, 0, buf.length, ph);
  if (!r.ok) throw new Error(`expected a valid segment: ${r.error.detail}`);
  return r.value;
}

/** Emits at a non-zero offset into a patterned buffer, checks the surroundings, returns the segment's bytes. */
function emitPatterned(repr: TcpRepr, ph: PseudoHeader, offset = 7): Uint8Array {
  const len = tcpEncodingLength(repr);
  const out = new Uint8Array(offset + len + 9).fill(0xaa);
  expect(emitTcp(repr, out, offset, ph)).toBe(len);
  expect(out.subarray(0, offset).every((b) => b === 0xaa)).toBe(true);
  expect(out.subarray(offset + len).every((b) => b === 0xaa)).toBe(true);
  return out.subarray(offset, offset + len);
}

/** What a receiver parses back: the padding after options that do not end on a 4-byte boundary reads as EOL. */
function asParsed(options: TcpOption[]): TcpOption[] {
  const padded = tcpOptionsLength(options) % 4 !== 0;
  return padded && options.at(-1)?.kind !== 'eol' ? [...options, { kind: 'eol' }] : options;
}

function expectRoundTrip(repr: TcpRepr, ph: PseudoHeader): void {
  const bytes = emitPatterned(repr, ph);
  expect(new TcpView().wrap(bytes).check(ph)).toBeNull();
  const back = mustParse(bytes, ph);
  expect(back).toEqual({ ...repr, options: asParsed(repr.options), checksum: new TcpView().wrap(bytes).checksum });
}

/** A segment whose options area is exactly `options` (a multiple of 4 bytes), with a valid checksum. */
function segmentWithOptions(options: number[]): Uint8Array {
  const seg = new Uint8Array(TCP.MIN_HEADER_LEN + options.length);
  seg.set(LINUX_SYN_TCP.subarray(0, TCP.MIN_HEADER_LEN));
  seg[TCP.DATA_OFF] = (seg.length / 4) << 4;
  seg.set(options, TCP.MIN_HEADER_LEN);
  new TcpView().wrap(seg).fillChecksum(PH_1_TO_2);
  return seg;
}

describe('golden bytes', () => {
  it('parses a Linux SYN frame through Ethernet, IPv4 and TCP', () => {
    const eth = parseEthernet(LINUX_SYN_FRAME);
    if (!eth.ok) throw new Error(eth.error.detail);
    expect(eth.value.ethertype).toBe(EtherType.IPV4);
    const ip = parseIpv4(eth.value.payload);
    if (!ip.ok) throw new Error(ip.error.detail);
    expect(ip.value).toMatchObject({ src: HOST_1, dst: HOST_2, protocol: IpProtocol.TCP, ttl: 64, ident: 0x8a3f, dontFrag: true });

    const tcp = mustParse(ip.value.payload, { src: ip.value.src, dst: ip.value.dst });
    expect(tcp).toEqual({
      srcPort: 45678,
      dstPort: 80,
      seq: 0x6d2f1e47,
      ack: 0,
      flags: TcpFlag.SYN,
      window: 64240,
      urgent: 0,
      checksum: 0xc47c,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sack-permitted' },
        { kind: 'timestamp', tsVal: 169552957, tsEcr: 0 },
        { kind: 'nop' },
        { kind: 'wscale', shift: 10 },
      ],
      payload: new Uint8Array(0),
    });
    expect(tcp.payload.buffer).toBe(LINUX_SYN_FRAME.buffer); // zero-copy
    expect(flagsToString(tcp.flags)).toBe('[S]');
    expect(formatOptions(tcp.options)).toBe('mss 1460,sackOK,TS val 169552957 ecr 0,nop,wscale 10');
  });

  it('reads every field of the Linux SYN through the view', () => {
    const v = new TcpView().wrap(LINUX_SYN_FRAME, SYN_TCP_START, LINUX_SYN_FRAME.length);
    expect(v.check(PH_1_TO_2)).toBeNull();
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffset, v.reserved, v.flags]).toEqual([45678, 80, 0x6d2f1e47, 0, 10, 0, TcpFlag.SYN]);
    expect([v.window, v.checksum, v.urgent, v.headerLen, v.optionsStart]).toEqual([64240, 0xc47c, 0, 40, SYN_TCP_START + 20]);
    expect([v.payloadStart, v.payloadEnd, v.payloadLen]).toEqual([74, 74, 0]);
  });

  it('emits the Linux SYN byte-exact', () => {
    const repr = mustParse(LINUX_SYN_TCP, PH_1_TO_2);
    expect(tcpHeaderLen(repr)).toBe(40);
    expect(emitPatterned(repr, PH_1_TO_2)).toEqual(LINUX_SYN_TCP);
  });

  it('parses and emits a PSH|ACK data segment with an odd-length payload byte-exact', () => {
    const repr = mustParse(HTTP_DATA_TCP, PH_2_TO_1);
    expect(repr).toMatchObject({ srcPort: 80, dstPort: 45678, seq: 0x1c8f3a01, ack: 0x6d2f1e96, flags: TcpFlag.PSH | TcpFlag.ACK, window: 509 });
    expect(repr.options).toEqual([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsVal: 12345678, tsEcr: 169552957 }]);
    expect(new TextDecoder().decode(repr.payload)).toBe('HTTP/1.1 200 OK\r\n');
    expect(flagsToString(repr.flags)).toBe('[P.]');
    expect(emitPatterned(repr, PH_2_TO_1)).toEqual(HTTP_DATA_TCP);
  });
});

describe('round trips', () => {
  const base = { srcPort: 80, dstPort: 45678, seq: 0xfffffff0, ack: 0x6d2f1e48, urgent: 0, payload: new Uint8Array(0) };

  it('SYN-ACK with Linux options', () => {
    expectRoundTrip(
      {
        ...base,
        flags: TcpFlag.SYN | TcpFlag.ACK,
        window: 65160,
        options: [
          { kind: 'mss', value: 1460 },
          { kind: 'sack-permitted' },
          { kind: 'timestamp', tsVal: 0xdeadbeef, tsEcr: 169552957 },
          { kind: 'nop' },
          { kind: 'wscale', shift: 7 },
        ],
      },
      PH_2_TO_1,
    );
  });

  it('PSH|ACK data segment with payload', () => {
    expectRoundTrip({ ...base, flags: TcpFlag.PSH | TcpFlag.ACK, window: 502, options: [], payload: text.encode('hello, wiretab\n') }, PH_2_TO_1);
  });

  it('ACK with 2 SACK blocks after timestamps', () => {
    const options: TcpOption[] = [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'timestamp', tsVal: 1, tsEcr: 2 },
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'sack', blocks: [[1000, 2000], [0xffffff00, 0x00000100]] },
    ];
    expect(tcpHeaderLen({ options })).toBe(52);
    expectRoundTrip({ ...base, flags: TcpFlag.ACK, window: 1000, options }, PH_1_TO_2);
  });

  it('ACK with 4 SACK blocks and an unknown option', () => {
    const options: TcpOption[] = [
      { kind: 'sack', blocks: [[1, 2], [3, 4], [5, 6], [7, 8]] },
      { kind: 'unknown', code: 253, data: new Uint8Array([0xbe, 0xef]) }, // RFC 4727 experiment
    ];
    expect(tcpHeaderLen({ options })).toBe(60);
    expectRoundTrip({ ...base, flags: TcpFlag.ACK, window: 1000, options, payload: new Uint8Array([1, 2, 3]) }, PH_1_TO_2);
    expect(formatOptions(options)).toBe('sack 4 {1:2}{3:4}{5:6}{7:8},opt-253:beef');
  });

  it('pads options to 4 bytes with EOL, which parses back as an eol entry', () => {
    const repr: TcpRepr = { ...base, flags: TcpFlag.SYN, window: 1, options: [{ kind: 'mss', value: 536 }, { kind: 'nop' }] };
    const bytes = emitPatterned(repr, PH_1_TO_2);
    expect([...bytes.subarray(20, 28)]).toEqual([2, 4, 2, 24, 1, 0, 0, 0]);
    expect(mustParse(bytes, PH_1_TO_2).options).toEqual([{ kind: 'mss', value: 536 }, { kind: 'nop' }, { kind: 'eol' }]);
    expect(formatOptions(mustParse(bytes).options)).toBe('mss 536,nop,eol');
  });

  it('keeps a window-scale shift over 14 as received', () => {
    const repr = mustParse(segmentWithOptions([3, 3, 15, 1]), PH_1_TO_2);
    expect(repr.options).toEqual([{ kind: 'wscale', shift: 15 }, { kind: 'nop' }]);
  });
});

describe('TcpView setters', () => {
  it('rewrites ack, window and flags in place and fills the checksum', () => {
    const seg = HTTP_DATA_TCP.slice();
    const v = new TcpView().wrap(seg);
    v.ack = 0xffffffff;
    v.window = 0;
    v.flags = TcpFlag.FIN | TcpFlag.ACK;
    v.seq = 7;
    expect(v.check(PH_2_TO_1)?.reason).toBe('bad-checksum');
    v.fillChecksum(PH_2_TO_1);
    expect(v.check(PH_2_TO_1)).toBeNull();
    expect(mustParse(seg, PH_2_TO_1)).toMatchObject({ seq: 7, ack: 0xffffffff, window: 0, flags: TcpFlag.FIN | TcpFlag.ACK });
    v.checksum = 0x1234;
    expect(v.checksum).toBe(0x1234);
  });

  it('shows the reserved bits but ignores them, and emits them as zero', () => {
    const seg = HTTP_DATA_TCP.slice();
    seg[TCP.DATA_OFF] |= 0x0f;
    const v = new TcpView().wrap(seg);
    v.fillChecksum(PH_2_TO_1);
    expect(v.reserved).toBe(0x0f);
    expect(v.headerLen).toBe(32);
    expect(emitPatterned(mustParse(seg, PH_2_TO_1), PH_2_TO_1)).toEqual(HTTP_DATA_TCP);
  });
});

describe('rejects bad input without throwing', () => {
  it('every prefix of the SYN header is an error', () => {
    for (let n = 0; n < LINUX_SYN_TCP.length; n++) {
      const r = parseTcp(LINUX_SYN_TCP, 0, n, PH_1_TO_2);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toBe(n < 20 ? 'truncated' : 'bad-offset');
    }
  });

  it.each([
    [0x00, /data offset 0 \(x4 = 0 bytes\) is below the minimum of 5/],
    [0x40, /data offset 4 .* below the minimum/],
    [0xf0, /data offset 15 says the header is 60 bytes, but the segment has only 40/],
  ])('data offset byte %i is bad-offset', (byte, detail) => {
    const seg = LINUX_SYN_TCP.slice();
    seg[TCP.DATA_OFF] = byte;
    const r = parseTcp(seg);
    expect(r.ok ? null : r.error).toMatchObject({ layer: 'tcp', reason: 'bad-offset', detail: expect.stringMatching(detail) });
  });

  it('a flipped payload bit is bad-checksum, but parses without a pseudo-header', () => {
    const seg = HTTP_DATA_TCP.slice();
    seg[seg.length - 3] ^= 0x10;
    const r = parseTcp(seg, 0, seg.length, PH_2_TO_1);
    expect(r.ok ? null : r.error).toMatchObject({ layer: 'tcp', reason: 'bad-checksum', detail: 'checksum 0x7368 does not verify' });
    expect(parseTcp(seg).ok).toBe(true);
  });

  it('a zero checksum is checked like any other value (never "no checksum")', () => {
    const seg = HTTP_DATA_TCP.slice();
    new TcpView().wrap(seg).checksum = 0;
    expect(new TcpView().wrap(seg).check(PH_2_TO_1)?.reason).toBe('bad-checksum');
  });

  it('the pseudo-header is covered: another destination address is bad-checksum', () => {
    expect(parseTcp(HTTP_DATA_TCP, 0, HTTP_DATA_TCP.length, { src: HOST_2, dst: 0x0a000003 }).ok).toBe(false);
    expect(parseTcp(HTTP_DATA_TCP, 0, HTTP_DATA_TCP.length, PH_2_TO_1).ok).toBe(true);
  });

  const malformed: [string, number[], RegExp][] = [
    ['MSS with length 0', [2, 0, 0, 0], /^MSS option \(kind 2\) at byte 20 .* has length 0; every option but EOL and NOP is at least 2/],
    ['unknown kind with length 1', [1, 0xfe, 1, 0], /^unknown option \(kind 254\) at byte 21 .* has length 1;/],
    ['kind with no length byte', [1, 1, 1, 2], /^MSS option \(kind 2\) at byte 23 .* has no length byte/],
    ['MSS running past the header', [1, 2, 4, 5], /^MSS option \(kind 2\) at byte 21 .* has length 4 but runs past the end of the header \(3 bytes left\)/],
    ['unknown kind running past the header', [0xfe, 10, 0, 0], /^unknown option \(kind 254\) at byte 20 .* runs past/],
    ['timestamps running past the header', [1, 1, 1, 8, 10, 0, 0, 0], /^timestamps option \(kind 8\) at byte 23 .* runs past/],
    ['MSS of length 3', [2, 3, 5, 0], /^MSS option \(kind 2\) at byte 20 .* has length 3; it must be 4/],
    ['window scale of length 4', [3, 4, 7, 0], /^window scale option \(kind 3\) .* has length 4; it must be 3/],
    ['SACK-permitted of length 3', [4, 3, 0, 0], /^SACK-permitted option \(kind 4\) .* has length 3; it must be 2/],
    ['timestamps of length 8', [8, 8, 0, 0, 0, 0, 0, 0], /^timestamps option \(kind 8\) .* has length 8; it must be 10/],
    ['SACK with no blocks', [5, 2, 0, 0], /^SACK option \(kind 5\) .* has length 2; it must be 2 \+ 8n for 1 to 4 blocks/],
    ['SACK of length 11', [5, 11, ...new Array<number>(10).fill(0)], /^SACK option .* has length 11; it must be 2 \+ 8n/],
    ['SACK of length 6', [5, 6, 0, 0, 0, 0, 0, 0], /^SACK option .* has length 6; it must be 2 \+ 8n/],
    ['SACK with 5 blocks', [5, 42, ...new Array<number>(38).fill(0)], /^SACK option .* has length 42; it must be 2 \+ 8n/],
  ];
  it.each(malformed)('%s is bad-option', (_name, options, detail) => {
    const seg = segmentWithOptions(options);
    const r = parseTcp(seg, 0, seg.length, PH_1_TO_2);
    const expected = { layer: 'tcp', reason: 'bad-option', detail: expect.stringMatching(detail) };
    expect(r.ok ? null : r.error).toMatchObject(expected);
    expect(readTcpOptions(seg, TCP.MIN_HEADER_LEN, seg.length, new TcpOptionsScratch())).toEqual(r.ok ? null : r.error);
  });

  it('bytes after EOL are padding, even if they look malformed', () => {
    const seg = segmentWithOptions([2, 4, 5, 0xb4, 0, 2, 0, 0]);
    expect(mustParse(seg, PH_1_TO_2).options).toEqual([{ kind: 'mss', value: 1280 + 0xb4 }, { kind: 'eol' }]);
    expect(readTcpOptions(seg, 20, seg.length, new TcpOptionsScratch())).toBeNull();
  });
});

describe('emit errors are caller bugs', () => {
  const repr: TcpRepr = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };

  it('throws RangeError for options over 40 bytes or an impossible SACK', () => {
    const tooMany: TcpOption[] = new Array<TcpOption>(4).fill({ kind: 'timestamp', tsVal: 0, tsEcr: 0 }).concat([{ kind: 'nop' }]);
    expect(() => tcpHeaderLen({ options: tooMany })).toThrow(RangeError);
    expect(() => emitTcp({ ...repr, options: [{ kind: 'sack', blocks: [] }] }, new Uint8Array(100), 0, PH_1_TO_2)).toThrow(RangeError);
    expect(() => emitTcp({ ...repr, options: [{ kind: 'unknown', code: 1, data: new Uint8Array(1) }] }, new Uint8Array(100), 0, PH_1_TO_2)).toThrow(RangeError);
  });

  it('throws EmitError when the buffer is too small', () => {
    expect(() => emitTcp(repr, new Uint8Array(25), 6, PH_1_TO_2)).toThrow(EmitError);
  });
});

/** What readTcpOptions should report for a parsed option list: the last option of each kind wins. */
function scratchFromOptions(options: TcpOption[]): Omit<TcpOptionsScratch, 'reset'> {
  const s = new TcpOptionsScratch();
  for (const o of options) {
    if (o.kind === 'mss') s.mss = o.value;
    if (o.kind === 'wscale') [s.wscaleRaw, s.wscale] = [o.shift, Math.min(o.shift, 14)];
    if (o.kind === 'sack-permitted') s.sackPermitted = true;
    if (o.kind === 'timestamp') [s.hasTimestamp, s.tsVal, s.tsEcr] = [true, o.tsVal, o.tsEcr];
    if (o.kind === 'sack') {
      s.sackCount = o.blocks.length;
      o.blocks.forEach(([l, r], k) => s.sackBlocks.set([l, r], 2 * k));
    }
  }
  return s;
}

function scratchValues(s: TcpOptionsScratch) {
  const { mss, wscale, wscaleRaw, sackPermitted, hasTimestamp, tsVal, tsEcr, sackCount } = s;
  return { mss, wscale, wscaleRaw, sackPermitted, hasTimestamp, tsVal, tsEcr, sackCount, sackBlocks: [...s.sackBlocks.subarray(0, 2 * sackCount)] };
}

describe('readTcpOptions', () => {
  it('reads the Linux SYN like parseTcp does', () => {
    const v = new TcpView().wrap(LINUX_SYN_TCP);
    const scratch = new TcpOptionsScratch();
    expect(readTcpOptions(v.buf, v.optionsStart, v.payloadStart, scratch)).toBeNull();
    expect(scratchValues(scratch)).toEqual({
      mss: 1460,
      wscale: 10,
      wscaleRaw: 10,
      sackPermitted: true,
      hasTimestamp: true,
      tsVal: 169552957,
      tsEcr: 0,
      sackCount: 0,
      sackBlocks: [],
    });
    expect(scratchValues(scratch)).toEqual(scratchValues(scratchFromOptions(mustParse(LINUX_SYN_TCP).options) as TcpOptionsScratch));
  });

  it('is reusable: each call starts from a reset scratch', () => {
    const scratch = new TcpOptionsScratch();
    readTcpOptions(LINUX_SYN_TCP, 20, 40, scratch);
    const sack = segmentWithOptions([1, 1, 5, 34, ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [0xff, 0, 0, n]), 3, 3, 15, 0]);
    expect(readTcpOptions(sack, 20, sack.length, scratch)).toBeNull();
    expect(scratchValues(scratch)).toEqual({
      mss: -1,
      wscale: 14, // RFC 7323 2.3: a shift over 14 is used as 14
      wscaleRaw: 15,
      sackPermitted: false,
      hasTimestamp: false,
      tsVal: 0,
      tsEcr: 0,
      sackCount: 4,
      sackBlocks: [1, 2, 3, 4, 5, 6, 7, 8].map((n) => 0xff000000 + n),
    });
    readTcpOptions(HTTP_DATA_TCP, 20, 32, scratch);
    expect(scratchValues(scratch)).toMatchObject({ sackCount: 0, wscale: -1, hasTimestamp: true, tsVal: 12345678 });
    scratch.reset();
    expect(scratchValues(scratch)).toEqual(scratchValues(new TcpOptionsScratch()));
  });
});

const u16Arb = fc.integer({ min: 0, max: 0xffff });
const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const KNOWN_KINDS = new Set([0, 1, 2, 3, 4, 5, 8]);
const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16Arb.map((value): TcpOption => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sack-permitted' }),
  fc.array(fc.tuple(u32Arb, u32Arb), { minLength: 1, maxLength: 4 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  fc.tuple(u32Arb, u32Arb).map(([tsVal, tsEcr]): TcpOption => ({ kind: 'timestamp', tsVal, tsEcr })),
  fc
    .tuple(fc.integer({ min: 2, max: 255 }).filter((c) => !KNOWN_KINDS.has(c)), fc.uint8Array({ maxLength: 10 }))
    .map(([code, data]): TcpOption => ({ kind: 'unknown', code, data })),
);

/** The longest prefix of `options` that fits in 40 bytes, optionally ended by EOL (EOL only ever comes last). */
const optionListArb = fc.tuple(fc.array(optionArb, { maxLength: 12 }), fc.boolean()).map(([options, endWithEol]) => {
  const fitting: TcpOption[] = [];
  for (const o of options) {
    if (tcpOptionsLength([...fitting, o]) > 40) break;
    fitting.push(o);
  }
  if (endWithEol && tcpOptionsLength(fitting) < 40) fitting.push({ kind: 'eol' });
  return fitting;
});

const reprArb: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: u16Arb,
  dstPort: u16Arb,
  seq: u32Arb,
  ack: u32Arb,
  flags: fc.integer({ min: 0, max: 0xff }),
  window: u16Arb,
  urgent: u16Arb,
  options: optionListArb,
  payload: fc.uint8Array({ maxLength: 2000 }),
});

const phArb = fc.record({ src: u32Arb, dst: u32Arb });

describe('properties', () => {
  it('emit then parse gives back the repr, and the checksum verifies', () => {
    fc.assert(fc.property(reprArb, phArb, (repr, ph) => expectRoundTrip(repr, ph)));
  });

  it('arbitrary bytes never throw, with or without a pseudo-header', () => {
    const scratch = new TcpOptionsScratch();
    const view = new TcpView();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.option(phArb, { nil: undefined }), (bytes, ph) => {
        const r = parseTcp(bytes, 0, bytes.length, ph);
        if (!r.ok) expect(r.error.layer).toBe('tcp');
        view.wrap(bytes).check(ph);
        readTcpOptions(bytes, 0, bytes.length, scratch);
        readTcpOptions(bytes, Math.min(20, bytes.length), bytes.length, scratch);
      }),
    );
  });

  it('readTcpOptions accepts exactly what parseTcp accepts, with the same values', () => {
    // Option areas built from valid encodings and random bytes, so both paths get exercised.
    const chunkArb = fc.oneof(
      optionArb.map((o) => {
        const bytes = emitPatterned({ srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: [o], payload: new Uint8Array(0) }, PH_1_TO_2);
        return [...bytes.subarray(20, 20 + tcpOptionsLength([o]))];
      }),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 3 }),
    );
    const areaArb = fc.array(chunkArb, { maxLength: 8 }).map((chunks) => {
      const bytes = chunks.flat().slice(0, 40);
      while (bytes.length % 4 !== 0) bytes.push(1);
      return bytes;
    });
    const scratch = new TcpOptionsScratch();
    fc.assert(
      fc.property(areaArb, (area) => {
        const seg = segmentWithOptions(area);
        const r = parseTcp(seg, 0, seg.length, PH_1_TO_2);
        const e = readTcpOptions(seg, 20, seg.length, scratch);
        if (!r.ok) {
          expect(e).toEqual(r.error);
        } else {
          expect(e).toBeNull();
          expect(scratchValues(scratch)).toEqual(scratchValues(scratchFromOptions(r.value.options) as TcpOptionsScratch));
        }
      }),
    );
  });
});

describe('flags as text', () => {
  it.each([
    [TcpFlag.SYN, '[S]'],
    [TcpFlag.SYN | TcpFlag.ACK, '[S.]'],
    [TcpFlag.PSH | TcpFlag.ACK, '[P.]'],
    [TcpFlag.FIN | TcpFlag.ACK, '[F.]'],
    [TcpFlag.FIN | TcpFlag.PSH | TcpFlag.ACK, '[FP.]'],
    [TcpFlag.RST, '[R]'],
    [TcpFlag.RST | TcpFlag.ACK, '[R.]'],
    [TcpFlag.ACK, '[.]'],
    [TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, '[SEW]'],
    [0, '[none]'],
  ])('flags %i print as %s', (flags, printed) => {
    expect(flagsToString(flags)).toBe(printed);
  });

  it('parseFlagString inverts flagsToString for every flag byte', () => {
    for (let f = 0; f < 256; f++) expect(parseFlagString(flagsToString(f))).toBe(f);
  });

  it('parseFlagString takes script letters in any order, without brackets', () => {
    expect(parseFlagString('S.')).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(parseFlagString('.S')).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(parseFlagString('P.')).toBe(TcpFlag.PSH | TcpFlag.ACK);
    expect(parseFlagString('.')).toBe(TcpFlag.ACK);
    expect(parseFlagString('FSRPUEW.')).toBe(0xff);
    expect(parseFlagString('A')).toBeUndefined();
    expect(parseFlagString('')).toBeUndefined();
  });
});
