/**
 * The hidden ladder's backlog: batches wait unprocessed, the newest `keep`
 * events in full and of older ones only what keeps the diagram right (states,
 * SYNs, long timers); when the view opens the model takes them and draws the
 * same recent arrows, with the same relative numbers, as a model that saw all.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TraceEvent } from '../../../worker/trace/events';
import { LadderModel, arrowLabel, type LadderItem, type StateItem } from '../../../src/panels/ladder/ladder-model';
import { LadderBacklog, isSynFrame } from '../../../src/panels/ladder/ladder-backlog';
import type { PeerEvent } from '../../../src/lib/peer/peer-trace';
import { pair } from '../../helpers/lan';

const HOSTS = ['alice', 'bob'] as const;
const all = (m: LadderModel): LadderItem[] => m.visible(-Infinity, Infinity);

/** alice sends 200 KB to bob; the trace, cut into batches of 50 events as the worker would batch it. */
function transfer(): TraceEvent[][] {
  const net = pair({ delayMs: 2 });
  net.run(5);
  const l = net.b.tcp.listen(7000);
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => s.read();
  };
  const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 7000);
  net.run(20);
  c.write(new Uint8Array(200_000));
  net.run(3000);
  const batches: TraceEvent[][] = [];
  for (let i = 0; i < net.events.length; i += 50) batches.push(net.events.slice(i, i + 50));
  return batches;
}

describe('ladder backlog', () => {
  it('hands back everything, in order, ours and the peer’s interleaved, while under its bound', () => {
    const b = new LadderBacklog(100);
    const own1 = [{ type: 'host', t: 1, host: 'alice', what: 'up' }] as unknown as TraceEvent[];
    const peer1: PeerEvent[] = [{ kind: 'rx', t: 2, id: 7 }];
    const own2 = [{ type: 'host', t: 3, host: 'alice', what: 'up' }] as unknown as TraceEvent[];
    b.own(own1);
    b.peer(peer1);
    b.own(own2);
    expect(b.size).toBe(3);
    const got: unknown[] = [];
    expect(
      b.drain(
        (x) => got.push(['own', x]),
        (x) => got.push(['peer', x]),
      ),
    ).toBe(0);
    expect(got).toEqual([
      ['own', own1],
      ['peer', peer1],
      ['own', own2],
    ]);
    expect(b.size).toBe(0);
  });

  it('past its bound keeps the newest events and the durable older ones, counts the rest, and the ladder still reads right', () => {
    const batches = transfer();
    const total = batches.reduce((n, x) => n + x.length, 0);
    expect(total).toBeGreaterThan(1000);
    const full = new LadderModel({ hosts: HOSTS, local: HOSTS });
    for (const x of batches) full.apply(x);

    const keep = 400;
    const backlog = new LadderBacklog(keep);
    for (const x of batches) backlog.own(x);
    const late = new LadderModel({ hosts: HOSTS, local: HOSTS });
    let applied = 0;
    const left = backlog.drain(
      (x) => {
        applied += x.length;
        late.apply(x);
      },
      () => {},
    );
    expect(left).toBeGreaterThan(total / 2);
    expect(applied + left).toBe(total);
    // The newest arrows are the same arrows with the same labels, relative numbers included (the SYNs were kept).
    const last = (m: LadderModel) => m.arrows().slice(-20).map((a) => `${a.from}>${a.to} ${arrowLabel(a, true)} ${a.fate}`);
    expect(last(late)).toEqual(last(full));
    const acks = late.arrows().filter((a) => a.from === 'bob' && a.tcp && !(a.tcp.flags & 0x02)).map((a) => arrowLabel(a, true));
    expect(acks.length).toBeGreaterThan(10);
    for (const s of acks) expect(Number(/ack=(\d+)/.exec(s)![1])).toBeLessThanOrEqual(200_001); // relative to alice's ISN, kept with her SYN
    // The handshake and every state change are still there, before the cut.
    const states = (m: LadderModel) => all(m).filter((i): i is StateItem => i.kind === 'state').map((s) => `${s.host} ${s.to}`);
    expect(states(late)).toEqual(states(full));
    expect(late.arrows().filter((a) => a.tcp && a.tcp.flags & 0x02).length).toBe(2); // SYN and SYN+ACK
    expect(late.size).toBeLessThan(full.size);
  });

  it('cuts the front off a single batch bigger than its bound (the worker batches tens of thousands of events under load)', () => {
    const events = transfer().flat();
    const b = new LadderBacklog(300);
    b.own(events);
    const got: TraceEvent[] = [];
    const left = b.drain(
      (x) => got.push(...x),
      () => {},
    );
    expect(got.slice(-300)).toEqual(events.slice(-300));
    expect(got.length).toBeLessThan(300 + 50); // the newest 300, and the few durable ones from before
    expect(left + got.length).toBe(events.length);
  });

  it('recognises SYN segments from their bytes, and never throws on anything else', () => {
    const batches = transfer();
    const frames = batches.flat().filter((e): e is Extract<TraceEvent, { type: 'frame' }> => e.type === 'frame');
    expect(frames.filter((f) => isSynFrame(f.frame)).length).toBe(4); // SYN, SYN+ACK; each sent and received
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => typeof isSynFrame(bytes) === 'boolean'));
  });
});
