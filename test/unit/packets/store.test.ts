import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../../src/lib/filter/compile';
import { rowText } from '../../../src/lib/packets/info';
import { PacketLog } from '../../../src/lib/packets/log';
import { PacketStore } from '../../../src/lib/packets/store';
import { RowView } from '../../../src/lib/packets/view';
import { TcpExpertFlag, type FrameEvent, type TraceEvent } from '../../../worker/trace/events';
import { golden } from '../../helpers/golden-frames';

const g = golden();

/** `n` copies of the golden tx frames, renumbered, as one host's trace. */
function frames(n: number): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = g.tx[i % g.tx.length]!;
    out.push({ ...e, host: 'alice', id: i + 1, t: i });
  }
  return out;
}

function filtered(store: PacketStore, expr: string): RowView {
  const c = compileFilter(expr);
  if (!c.ok) throw new Error(c.error.code);
  const v = new RowView(store);
  v.setFilter(c.test);
  return v;
}

describe('packet store', () => {
  it('keeps the newest rows when full and numbers rows by arrival', () => {
    const log = new PacketLog(new PacketStore(100), 'pair');
    log.ingest(frames(250));
    const st = log.store;
    expect([st.count, st.first, st.size]).toEqual([250, 150, 100]);
    expect(st.live(149)).toBe(false);
    expect(st.frame(149)).toBeUndefined();
    // Row 150 is frame id 151, a copy of golden frame 150 % 14.
    expect(st.frameId[st.slot(150)]).toBe(151);
    expect(st.frame(150)).toEqual(g.tx[150 % g.tx.length]!.frame);
    expect(st.find('alice', 151)).toBe(150);
  });

  it('keeps bytes within its budget; older rows keep their text without bytes', () => {
    const budget = 2048;
    const log = new PacketLog(new PacketStore(1000, budget), 'pair');
    const evs = frames(100);
    log.ingest(evs);
    const st = log.store;
    const kept = [...Array(100).keys()].filter((a) => st.hasBytes(a));
    const keptBytes = kept.reduce((n, a) => n + st.len[st.slot(a)]!, 0);
    expect(keptBytes).toBeLessThanOrEqual(budget);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept[0]).toBeGreaterThan(0);
    // Every kept frame reads back byte-exact, including one that wraps around the ring's end.
    for (const a of kept) expect(st.frame(a)).toEqual(evs[a]!.frame);
    // A row without bytes still says what it was.
    const old = 6; // a SYN, long gone from the byte ring
    expect(st.hasBytes(old)).toBe(false);
    const fresh = new PacketLog(new PacketStore(1000), 'pair');
    fresh.ingest(evs);
    expect(rowText(st, old)).toEqual(rowText(fresh.store, old));
    expect(rowText(st, old).info).toMatch(/\[SYN\]/);
  });

  it('the window scale from the handshake applies to later windows', () => {
    const log = new PacketLog(new PacketStore(100), 'solo');
    log.ingest(g.events);
    const st = log.store;
    const data = 8;
    expect(st.wshift[st.slot(data)]).toBeGreaterThan(0);
    expect(rowText(st, data).info).toContain(`Win=${st.tcpWin[st.slot(data)]! * 2 ** st.wshift[st.slot(data)]!}`);
    expect(st.wshift[st.slot(6)]).toBe(-1); // the SYN itself: not yet agreed
  });

  it('solo: a receiver-side finding and a receiver drop land on the sender’s row', () => {
    const log = new PacketLog(new PacketStore(100), 'solo');
    const tx: FrameEvent = { type: 'frame', t: 1, host: 'alice', iface: 'eth0', dir: 'tx', id: 40, frame: g.data };
    const rx: FrameEvent = { type: 'frame', t: 2, host: 'bob', iface: 'eth0', dir: 'rx', id: 7, frame: g.data.slice() };
    const events: TraceEvent[] = [tx, rx, { type: 'tcp', t: 2, host: 'bob', conn: 'x', what: 'expert', frameId: 7, flags: TcpExpertFlag.OUT_OF_ORDER }];
    log.ingest(events);
    expect(log.store.count).toBe(1);
    expect(log.store.expert[0]).toBe(TcpExpertFlag.OUT_OF_ORDER);
    expect(rowText(log.store, 0).info).toMatch(/^\[TCP Out-Of-Order\] /);
    log.ingest([{ type: 'drop', t: 2, host: 'bob', layer: 'tcp', reason: 'bad-checksum', detail: 'checksum mismatch', frameId: 7 }]);
    expect(log.store.count).toBe(1);
    expect(log.store.dropReasons[log.store.drop[0]! - 1]).toBe('bad-checksum');
    expect(log.store.detail(0)).toBe('bob: bad-checksum: checksum mismatch');
  });

  it('pair: both directions are rows; a drop without a frame is a row of its own', () => {
    const log = new PacketLog(new PacketStore(100), 'pair');
    log.ingest([
      { type: 'frame', t: 1, host: 'alice', iface: 'eth0', dir: 'tx', id: 1, frame: g.syn },
      { type: 'frame', t: 2, host: 'alice', iface: 'eth0', dir: 'rx', id: 2, frame: g.synAck },
      { type: 'drop', t: 3, host: 'alice', layer: 'link', reason: 'nic-queue-full', detail: 'queue full', len: 60 },
    ]);
    expect(log.store.count).toBe(3);
    expect(rowText(log.store, 2)).toMatchObject({ info: 'nic-queue-full: queue full' });
  });

  it('fates: marks in display order, a delay folding its wait in the queue', () => {
    const log = new PacketLog(new PacketStore(10), 'solo');
    log.ingest([
      { type: 'frame', t: 1, host: 'alice', iface: 'eth0', dir: 'tx', id: 5, frame: g.syn },
      { type: 'fate', t: 1, host: 'alice', id: 1, frameId: 5, fate: 'queued', len: 74, delayMs: 3 },
      { type: 'fate', t: 1, host: 'alice', id: 1, frameId: 5, fate: 'delayed', len: 74, delayMs: 23 },
      { type: 'fate', t: 1, host: 'alice', id: 1, frameId: 5, fate: 'duplicated', len: 74 },
    ]);
    expect(log.store.fatesOf(0)).toEqual([
      { fate: 'duplicated', delayMs: undefined },
      { fate: 'delayed', delayMs: 23 },
    ]);
  });
});

describe('filtered view', () => {
  it('tests new rows as they come, in slices, and drops evicted matches', () => {
    const st = new PacketStore(50);
    const log = new PacketLog(st, 'pair');
    const view = filtered(st, 'tcp.flags.syn');
    log.ingest(frames(28));
    expect(view.pending).toBe(28);
    view.step(10);
    expect(view.pending).toBe(18);
    view.step();
    expect([...view.rows()]).toEqual([6, 7, 20, 21]);
    log.ingest(frames(40).slice(28));
    view.step();
    // 40 rows in all, capacity 50: nothing evicted yet.
    expect([...view.rows()]).toEqual([6, 7, 20, 21, 34, 35]);
    const more = frames(100).slice(40).map((e) => ({ ...e }));
    log.ingest(more);
    view.step();
    expect(st.first).toBe(50);
    expect([...view.rows()]).toEqual([62, 63, 76, 77, 90, 91]);
    expect(view.indexOf(76)).toBe(2);
    expect(view.indexOf(75)).toBe(-1);
  });

  it('a row that matches only after a late mark joins the view in order', () => {
    const st = new PacketStore(100);
    const log = new PacketLog(st, 'solo');
    const view = filtered(st, 'lost');
    log.onMark = (abs) => view.mark(abs);
    log.ingest(frames(10));
    view.step();
    expect(view.length).toBe(0);
    log.ingest([{ type: 'fate', t: 9, host: 'alice', id: 1, frameId: 8, fate: 'lost-random', len: 60 }]);
    log.ingest([{ type: 'fate', t: 9, host: 'alice', id: 1, frameId: 3, fate: 'dropped', len: 60 }]);
    view.step();
    expect([...view.rows()]).toEqual([2, 7]);
  });

  it('no filter: every live row, oldest first', () => {
    const st = new PacketStore(20);
    new PacketLog(st, 'pair').ingest(frames(30));
    const v = new RowView(st);
    expect([v.length, v.at(0), v.at(19), v.indexOf(10), v.indexOf(25)]).toEqual([20, 10, 29, 0, 15]);
  });
});
