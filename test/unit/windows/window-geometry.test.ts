/**
 * The byte lines of the windows panel, from the stack's true variables: zones
 * in order and in proportion, marks where the RFC variables point, SACKed and
 * out-of-order blocks inside the right zones, sequence-number wrap handled.
 */
import { describe, expect, it } from 'vitest';
import type { TcpVarsEvent } from '../../../worker/trace/events';
import { receiverBar, senderBar, formatSsthresh } from '../../../src/panels/windows/window-geometry';

function vars(p: Partial<TcpVarsEvent>): TcpVarsEvent {
  return {
    type: 'tcp', t: 0, host: 'alice', conn: 'a:1>b:2', what: 'vars', state: 'ESTABLISHED',
    iss: 1000, irs: 5000, sndUna: 1001, sndNxt: 1001, sndMax: 1001, sndWnd: 65535, cwnd: 14480, ssthresh: 0x7fffffff,
    flight: 0, sendQueued: 0, mss: 1448, srtt: 0, rttvar: 0, rto: 1000, rcvNxt: 5001, rcvWnd: 65535, unread: 0, held: [], sacked: [], ...p,
  };
}

const width = (z: { from: number; to: number }) => z.to - z.from;

describe('sender byte line', () => {
  it('splits acknowledged | in flight | usable | not allowed, in proportion, with the marks on the boundaries', () => {
    const bar = senderBar(vars({ sndUna: 3001, sndNxt: 7001, sndMax: 7001, sndWnd: 20000, cwnd: 10000 }));
    expect(bar.zones.map((z) => z.kind)).toEqual(['acked', 'inflight', 'usable', 'blocked']);
    const [acked, inflight, usable, blocked] = bar.zones;
    for (let i = 1; i < bar.zones.length; i++) expect(bar.zones[i]!.from).toBeCloseTo(bar.zones[i - 1]!.to);
    expect(inflight!.bytes).toBe(4000);
    expect(usable!.bytes).toBe(6000); // cwnd (10000) is the tighter limit: 10000 - 4000 in flight
    expect(width(usable!) / width(inflight!)).toBeCloseTo(1.5);
    expect(acked!.from).toBe(0);
    expect(blocked!.to).toBe(1);
    const mark = (n: string) => bar.marks.find((m) => m.name === n)!;
    expect(mark('SND.UNA').value).toBe(2000);
    expect(mark('SND.NXT').value).toBe(6000);
    expect(mark('SND.UNA+SND.WND').value).toBe(22000);
    expect(mark('SND.UNA+cwnd').at).toBeCloseTo(usable!.to);
    expect(mark('SND.UNA+SND.WND').at).toBeGreaterThan(mark('SND.UNA+cwnd').at);
  });

  it('draws SACKed ranges inside the data in flight, across a sequence-number wrap', () => {
    const una = 0xffffff00;
    const bar = senderBar(vars({ iss: una - 1, sndUna: una, sndNxt: (una + 4000) >>> 0, sndMax: (una + 4000) >>> 0, sndWnd: 8000, sacked: [(una + 1000) >>> 0, (una + 2000) >>> 0] }));
    const inflight = bar.zones[1]!;
    const [b] = bar.blocks;
    expect(b!.from).toBeGreaterThan(inflight.from);
    expect(b!.to).toBeLessThan(inflight.to);
    expect(width(b!) / width(inflight)).toBeCloseTo(0.25);
    expect(bar.marks.find((m) => m.name === 'SND.NXT')!.value).toBe(4000);
  });
});

describe('receiver byte line', () => {
  it('splits read | unread | window | beyond, with out-of-order blocks held inside the window', () => {
    const bar = receiverBar(vars({ rcvNxt: 9001, unread: 2000, rcvWnd: 6000, held: [10001, 11001] }));
    expect(bar.zones.map((z) => z.kind)).toEqual(['read', 'unread', 'window', 'beyond']);
    const [, unread, window] = bar.zones;
    expect(width(window!) / width(unread!)).toBeCloseTo(3);
    const rcvNxt = bar.marks.find((m) => m.name === 'RCV.NXT')!;
    expect(rcvNxt.at).toBeCloseTo(window!.from);
    expect(rcvNxt.value).toBe(4000);
    const [b] = bar.blocks;
    expect(b!.from).toBeGreaterThan(window!.from);
    expect((b!.from - window!.from) / width(window!)).toBeCloseTo(1000 / 6000);
    expect(width(b!) / width(window!)).toBeCloseTo(1000 / 6000);
  });

  it('shows ssthresh as infinite until a loss sets it', () => {
    expect(formatSsthresh(0x7fffffff)).toBe('∞');
    expect(formatSsthresh(28960)).toBe('28960');
  });
});
