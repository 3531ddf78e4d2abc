/**
 * The worker API over a fake wall clock: what the UI drives through comlink,
 * without a worker. Time only moves when the test moves it.
 */
import { describe, expect, it } from 'vitest';
import { createApi } from '../../worker/api';
import type { TraceEvent } from '../../worker/trace/events';
import type { PingEvent } from '../../worker/net/ping';
import { parsePcap } from '../../worker/trace/pcap';

class FakeWall {
  t = 0;
  timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  cancelTimer = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Moves wall time forward, firing timers in order. */
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}

function setup() {
  const wall = new FakeWall();
  const flushes: (() => void)[] = [];
  const api = createApi({ wall, epochMs: () => 1_700_000_000_000, schedulerFlush: (f) => flushes.push(f) });
  const batches: TraceEvent[][] = [];
  api.onTrace((b) => batches.push(b));
  const flushAll = () => flushes.splice(0).forEach((f) => f());
  return { wall, api, batches, flushAll };
}

describe('worker API (solo mode)', () => {
  it('starts two hosts and pings in real time', async () => {
    const { wall, api, batches, flushAll } = setup();
    const hosts = api.startSolo(7);
    expect(hosts.map((h) => h.name)).toEqual(['alice', 'bob']);
    wall.advance(10); // let the start-up gratuitous ARPs pass (one arriving mid-resolution would resolve it early)
    const events: PingEvent[] = [];
    const done = api.ping('alice', '10.0.0.2', 3, (e) => events.push(e));
    wall.advance(5000);
    const summary = await done;
    expect(summary).toMatchObject({ transmitted: 3, received: 3 });
    // solo segment: 0.5 ms each way; the first includes ARP
    expect(events.filter((e) => e.kind === 'reply').map((e) => (e as { rttMs: number }).rttMs)).toEqual([2, 1, 1]);
    flushAll();
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.flat().some((e) => e.type === 'frame')).toBe(true);
    expect(api.arp('alice')).toEqual([expect.objectContaining({ state: 'reachable' })]);
    const pcap = parsePcap(api.pcap('alice'));
    expect(pcap.ok && pcap.value.records.length).toBeGreaterThanOrEqual(8);
  });

  it('slow motion: at 0.1x, stack time advances a tenth of wall time', () => {
    const { wall, api } = setup();
    api.startSolo(1);
    api.setSpeed(0.1);
    const before = api.state().now;
    wall.advance(1000);
    expect(api.state().now - before).toBeCloseTo(100, 6);
    expect(api.setSpeed(5).speed).toBe(1);
  });

  it('paused: a ping waits until stepped, one event at a time', async () => {
    const { wall, api } = setup();
    api.startSolo(1);
    wall.advance(10);
    api.pause();
    const events: PingEvent[] = [];
    api.ping('alice', '10.0.0.2', 1, (e) => events.push(e));
    wall.advance(10_000);
    expect(events).toEqual([]); // nothing moves while paused
    let steps = 0;
    while (!events.some((e) => e.kind === 'reply') && steps < 50) {
      api.step();
      steps++;
    }
    // inject ping; ARP request; ARP reply in flight...; echo; reply
    expect(events.some((e) => e.kind === 'reply')).toBe(true);
    expect(steps).toBeGreaterThan(3);
  });

  it('commands before a lab exists fail with a sentence', () => {
    const { api } = setup();
    expect(() => api.state()).toThrow('Start a lab first');
  });
});
