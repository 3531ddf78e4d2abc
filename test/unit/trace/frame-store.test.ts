import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { captureFrames, DEFAULT_MAX_BYTES, DEFAULT_MAX_FRAMES, FrameStore, type FrameRecord } from '../../../worker/trace/frame-store';
import { Tracer } from '../../../worker/trace/events';
import { parsePcap } from '../../../worker/trace/pcap';

function rec(id: number, len = 10, host = 'a', dir: 'tx' | 'rx' = 'tx'): FrameRecord {
  return { id, t: id * 1.5, host, iface: 'eth0', dir, frame: new Uint8Array(len).fill(id & 0xff) };
}

const ids = (records: Iterable<FrameRecord>) => Array.from(records, (r) => r.id);

describe('FrameStore', () => {
  it('starts empty with the default bounds', () => {
    const s = new FrameStore();
    expect(s.maxFrames).toBe(DEFAULT_MAX_FRAMES);
    expect(s.maxBytes).toBe(DEFAULT_MAX_BYTES);
    expect(DEFAULT_MAX_FRAMES).toBe(100_000);
    expect(DEFAULT_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(s.size).toBe(0);
    expect(s.bytes).toBe(0);
    expect(s.evicted).toBe(0);
    expect(s.firstId).toBeUndefined();
    expect(s.lastId).toBeUndefined();
    expect(ids(s)).toEqual([]);
  });

  it('keeps records in the order they were added, sharing the frames', () => {
    const s = new FrameStore({ maxFrames: 10 });
    const added = [rec(1), rec(2), rec(3)];
    for (const r of added) s.add(r);
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.get(2)).toBe(added[1]);
    expect(s.get(2)!.frame).toBe(added[1].frame);
    expect(s.size).toBe(3);
    expect(s.bytes).toBe(30);
    expect(s.firstId).toBe(1);
    expect(s.lastId).toBe(3);
  });

  it('is bounded by count, evicting the oldest first', () => {
    const s = new FrameStore({ maxFrames: 3 });
    for (let id = 1; id <= 7; id++) s.add(rec(id));
    expect(ids(s)).toEqual([5, 6, 7]);
    expect(s.size).toBe(3);
    expect(s.bytes).toBe(30);
    expect(s.evicted).toBe(4);
    expect(s.firstId).toBe(5);
    expect(s.lastId).toBe(7);
  });

  it('is bounded by bytes, evicting as many of the oldest as needed', () => {
    const s = new FrameStore({ maxFrames: 100, maxBytes: 100 });
    s.add(rec(1, 40));
    s.add(rec(2, 40));
    s.add(rec(3, 20)); // exactly 100: nothing evicted
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.bytes).toBe(100);
    s.add(rec(4, 70)); // needs 70 free: 1 and 2 go
    expect(ids(s)).toEqual([3, 4]);
    expect(s.bytes).toBe(90);
    expect(s.evicted).toBe(2);
  });

  it('keeps a single frame larger than maxBytes alone', () => {
    const s = new FrameStore({ maxBytes: 50 });
    s.add(rec(1, 10));
    s.add(rec(2, 80));
    expect(ids(s)).toEqual([2]);
    expect(s.bytes).toBe(80);
    s.add(rec(3, 10));
    expect(ids(s)).toEqual([3]);
    expect(s.bytes).toBe(10);
  });

  it('get by id returns undefined once the frame is evicted', () => {
    const s = new FrameStore({ maxFrames: 2 });
    s.add(rec(10));
    s.add(rec(11));
    s.add(rec(12));
    expect(s.get(10)).toBeUndefined();
    expect(s.get(11)?.id).toBe(11);
    expect(s.get(12)?.id).toBe(12);
    expect(s.get(13)).toBeUndefined();
  });

  it('looks ids up per host, since each host numbers its own frames', () => {
    const s = new FrameStore({ maxFrames: 3 });
    const a1 = rec(1, 10, 'alice');
    const b1 = rec(1, 10, 'bob');
    s.add(a1);
    s.add(b1);
    expect(s.get(1, 'alice')).toBe(a1);
    expect(s.get(1, 'bob')).toBe(b1);
    expect(s.get(1)).toBe(b1); // without a host: the newest with that id
    expect(s.get(1, 'carol')).toBeUndefined();
    s.add(rec(2, 10, 'alice'));
    s.add(rec(3, 10, 'alice')); // evicts alice#1
    expect(s.get(1, 'alice')).toBeUndefined();
    expect(s.get(1)).toBe(b1);
  });

  it('a host that restarts its numbering does not lose the new frame when the old one is evicted', () => {
    const s = new FrameStore({ maxFrames: 2 });
    s.add(rec(1));
    const again = rec(1);
    s.add(again);
    s.add(rec(2)); // evicts the first #1
    expect(s.get(1)).toBe(again);
  });

  it('slice indexes from the oldest retained record, like Array.prototype.slice', () => {
    const s = new FrameStore({ maxFrames: 5 });
    for (let id = 1; id <= 8; id++) s.add(rec(id)); // retains 4..8, wrapped around the ring
    expect(ids(s.slice())).toEqual([4, 5, 6, 7, 8]);
    expect(ids(s.slice(1, 3))).toEqual([5, 6]);
    expect(ids(s.slice(3))).toEqual([7, 8]);
    expect(ids(s.slice(-2))).toEqual([7, 8]);
    expect(ids(s.slice(2, -1))).toEqual([6, 7]);
    expect(ids(s.slice(4, 100))).toEqual([8]);
    expect(ids(s.slice(3, 1))).toEqual([]);
    expect(ids(s.slice(-100, 1))).toEqual([4]);
    expect(s.at(0)?.id).toBe(4);
    expect(s.at(4)?.id).toBe(8);
    expect(s.at(5)).toBeUndefined();
    expect(s.at(-1)).toBeUndefined();
    // a virtualised list keeps absolute rows: evicted + index
    expect(s.evicted + 0).toBe(3);
  });

  it('clear forgets everything and the store is usable again', () => {
    const s = new FrameStore({ maxFrames: 2 });
    for (let id = 1; id <= 5; id++) s.add(rec(id));
    s.clear();
    expect(s.size).toBe(0);
    expect(s.bytes).toBe(0);
    expect(s.evicted).toBe(0);
    expect(s.get(5)).toBeUndefined();
    expect(s.firstId).toBeUndefined();
    s.add(rec(9));
    expect(ids(s)).toEqual([9]);
    expect(s.get(9)?.id).toBe(9);
  });

  it('toPcap writes the retained frames, filtered, and the file parses back', () => {
    const s = new FrameStore({ maxFrames: 4 });
    for (let id = 1; id <= 6; id++) s.add(rec(id, 20 + id, id % 2 ? 'alice' : 'bob', id % 3 ? 'tx' : 'rx'));
    const all = parsePcap(s.toPcap());
    expect(all.ok).toBe(true);
    if (!all.ok) return;
    expect(all.value.records.map((r) => r.frame.length)).toEqual([23, 24, 25, 26]);
    expect(all.value.records.map((r) => r.t)).toEqual([4.5, 6, 7.5, 9]);
    expect(all.value.records[0].frame).toEqual(s.get(3)!.frame);

    const bobs = parsePcap(s.toPcap((r) => r.host === 'bob', { epochMs: 1000, snaplen: 24 }));
    expect(bobs.ok).toBe(true);
    if (!bobs.ok) return;
    expect(bobs.value.snaplen).toBe(24);
    expect(bobs.value.records.map((r) => [r.t, r.frame.length, r.origLen])).toEqual([
      [1006, 24, 24],
      [1009, 24, 26],
    ]);
  });

  it('rejects impossible bounds', () => {
    expect(() => new FrameStore({ maxFrames: 0 })).toThrow(RangeError);
    expect(() => new FrameStore({ maxFrames: 2.5 })).toThrow(RangeError);
    expect(() => new FrameStore({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => new FrameStore({ maxBytes: Infinity })).toThrow(RangeError);
  });

  it('agrees with a naive list model under random adds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.constantFrom('a', 'b')), { maxLength: 60 }),
        (maxFrames, maxBytes, adds) => {
          const s = new FrameStore({ maxFrames, maxBytes });
          const model: FrameRecord[] = [];
          let evicted = 0;
          const nextId: Record<string, number> = { a: 0, b: 0 };
          for (const [len, host] of adds) {
            const r = rec(nextId[host]++, len, host);
            const bytes = () => model.reduce((n, m) => n + m.frame.length, 0);
            while (model.length > 0 && (model.length >= maxFrames || bytes() + len > maxBytes)) {
              model.shift();
              evicted++;
            }
            model.push(r);
            s.add(r);
            expect(s.size).toBe(model.length);
            expect(s.bytes).toBe(bytes());
            expect(s.evicted).toBe(evicted);
            expect(s.slice()).toEqual(model);
            expect(s.firstId).toBe(model[0].id);
            expect(s.lastId).toBe(model[model.length - 1].id);
          }
          for (const host of ['a', 'b']) {
            for (let id = 0; id < nextId[host]; id++) {
              expect(s.get(id, host)).toBe(model.find((m) => m.host === host && m.id === id));
            }
          }
        },
      ),
    );
  });
});

describe('captureFrames', () => {
  function frameEvent(host: string, id: number) {
    return { type: 'frame' as const, t: id, host, iface: 'eth0', dir: 'rx' as const, id, frame: new Uint8Array([id]) };
  }

  it('adds every frame event and nothing else, until unsubscribed', () => {
    const tracer = new Tracer();
    const store = new FrameStore();
    const stop = captureFrames(tracer, store);
    const e1 = frameEvent('alice', 1);
    tracer.emit(e1);
    tracer.emit({ type: 'host', t: 0, host: 'alice', what: 'up', detail: 'eth0 up' });
    tracer.emit(frameEvent('bob', 1));
    expect(store.size).toBe(2);
    const r = store.get(1, 'alice')!;
    expect(r).toEqual({ id: 1, t: 1, host: 'alice', iface: 'eth0', dir: 'rx', frame: e1.frame });
    expect(r.frame).toBe(e1.frame);
    stop();
    expect(tracer.enabled).toBe(false);
    tracer.emit(frameEvent('alice', 2));
    expect(store.size).toBe(2);
  });

  it('can capture only one host', () => {
    const tracer = new Tracer();
    const store = new FrameStore();
    captureFrames(tracer, store, 'bob');
    tracer.emit(frameEvent('alice', 1));
    tracer.emit(frameEvent('bob', 1));
    tracer.emit(frameEvent('bob', 2));
    expect(Array.from(store, (r) => `${r.host}#${r.id}`)).toEqual(['bob#1', 'bob#2']);
  });
});
