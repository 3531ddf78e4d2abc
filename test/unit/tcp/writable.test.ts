/**
 * onWritable runs after the whole segment is processed, so what the
 * application writes from it is sent against the peer's new window, not the
 * old window slid forward by the ACK (RFC 9293 3.8.6.2.1: never send beyond
 * SND.UNA + SND.WND; 3.10.7.4 "fifth" updates SND.WND from the same segment).
 *
 * Found against Linux (test/interop/linux.test.ts): a busy echo (socat + cat)
 * ACKed our data while its receive buffer filled, so each ACK advanced
 * SND.UNA and cut the window. Our bulk sender, woken by onWritable in the
 * middle of that ACK's processing, sent up to the old right edge plus the
 * acknowledged bytes: 78 KB beyond Linux's window. Linux dropped the data,
 * and also ignored our ACKs, whose SEG.SEQ (our SND.NXT) was now outside its
 * window, so it never learned we had its data and the transfer hung.
 */
import { describe, expect, it } from 'vitest';
import { Harness } from '../../conformance/runner/harness';
import { TcpFlag } from '../../../worker/wire/tcp';
import { seqDiff } from '../../../worker/wire/seq';

const MSS = 1000;
const PEER_ISN = 5000;

function connected(sendBuffer: number) {
  const h = new Harness({ mtu: 1500, seed: 7, tcp: { sendBuffer, nagle: false, timestamps: false, sack: false, windowScaling: false } });
  const s = h.host.tcp.connect(h.peerAddr, 40000, { localPort: 8080 });
  h.scheduler.advance(1);
  const syn = h.sent.shift()!;
  const iss = syn.tcp.seq;
  let written = 0;
  const chunk = new Uint8Array(4096);
  const fill = () => {
    for (;;) {
      const n = s.write(chunk);
      written += n;
      if (n < chunk.length) return;
    }
  };
  s.onConnect = fill;
  let writable = 0;
  s.onWritable = () => {
    writable++;
    fill();
  };
  const peer = (ack: number, window: number, flags = TcpFlag.ACK) =>
    h.injectTcp({ srcPort: 40000, dstPort: 8080, seq: PEER_ISN + 1, ack: (iss + 1 + ack) >>> 0, flags, window, urgent: 0, options: [], payload: new Uint8Array(0) });
  h.injectTcp({
    srcPort: 40000,
    dstPort: 8080,
    seq: PEER_ISN,
    ack: (iss + 1) >>> 0,
    flags: TcpFlag.SYN | TcpFlag.ACK,
    window: 10 * MSS,
    urgent: 0,
    options: [{ kind: 'mss', value: MSS }],
    payload: new Uint8Array(0),
  });
  /** Relative end of each data segment sent since the last call. */
  const sentEnds = () =>
    h.sent.splice(0).filter((x) => x.tcp.payload.length > 0).map((x) => seqDiff(x.tcp.seq, iss + 1) + x.tcp.payload.length);
  return { h, s, peer, sentEnds, written: () => written, writable: () => writable };
}

describe('TCP: the application is told it may write only after the ACK is fully processed', () => {
  it('writes_from_onWritable_respect_the_window_of_the_ack_that_freed_the_buffer', () => {
    const t = connected(10 * MSS);
    // The initial window (10 segments) and the peer's window (10 000) both fill the send buffer.
    expect(t.sentEnds().at(-1)).toBe(10 * MSS);
    expect(t.written()).toBe(10 * MSS);
    // Half acknowledged, but the peer's buffer is full: the right edge stays at 10 000.
    t.peer(5 * MSS, 5 * MSS);
    expect(t.written()).toBeGreaterThan(10 * MSS); // the application did refill the buffer
    expect(t.sentEnds()).toEqual([]); // and nothing went beyond the window
    // The window opens by 3 segments: exactly those go.
    t.peer(5 * MSS, 8 * MSS);
    expect(t.sentEnds()).toEqual([11 * MSS, 12 * MSS, 13 * MSS]);
  });

  it('no_onWritable_after_close_even_when_an_ack_frees_the_buffer', () => {
    // Found by bench/interop.ts: the Linux receiver closed (FIN), our sender closed in onEnd with a
    // full send buffer, the next ACK freed space and onWritable made it write to a closed socket (EBADF).
    const t = connected(10 * MSS);
    expect(t.written()).toBe(10 * MSS);
    t.s.close();
    t.peer(5 * MSS, 10 * MSS);
    expect(t.writable()).toBe(0);
    expect(t.s.state).toBe('FIN_WAIT_1');
  });

  it('no_onWritable_after_shutdown', () => {
    const t = connected(10 * MSS);
    t.s.shutdown();
    t.peer(5 * MSS, 10 * MSS);
    expect(t.writable()).toBe(0);
  });
});
