/**
 * A storm of random and mutated frames must leave a host working, with every
 * drop counted by reason and traced once.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { Rng } from '../../worker/sim/rng';
import type { DropEvent, FrameEvent } from '../../worker/trace/events';
import { pair, utf8 } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const STORM = 10_000;

describe('frame storm', () => {
  it('10,000 random and mutated frames: no throw, host still works, every drop counted by reason', () => {
    const seed = 0x5eed;
    const net = pair({ mtu: 576, seed });
    const rng = new Rng(seed).fork('storm');

    // Legitimate traffic to learn real frames from: ARP, ping, UDP, fragments.
    const echo = net.b.udp.bind(7);
    echo.onMessage = (m) => echo.sendTo(m.from.addr, m.from.port, m.data);
    const client = net.a.udp.bind(40000);
    net.a.ping('10.0.0.2', { count: 2 });
    client.sendTo(ip('10.0.0.2'), 7, utf8('hello'));
    client.sendTo(ip('10.0.0.2'), 7, new Uint8Array(1500)); // fragmented
    client.sendTo(ip('10.0.0.2'), 9, utf8('closed port'));
    net.run(3000);
    const samples = net.events.filter((e): e is FrameEvent => e.type === 'frame' && e.dir === 'tx').map((e) => e.frame);
    expect(samples.length).toBeGreaterThan(10);

    const rxBefore = net.b.counters.get('link', 'rx');
    const dropEventsBefore = net.events.filter((e) => e.type === 'drop' && e.host === 'bob').length;
    const dropsBefore = net.b.counters.totalDrops();

    for (let i = 0; i < STORM; i++) {
      const frame = rng.chance(0.2) ? randomFrame(rng) : mutate(rng, samples[rng.int(samples.length)]);
      net.b.nics[0].receive(frame);
      if (i % 100 === 99) net.run(50);
    }
    net.run(60_000);

    // Every frame reached the NIC, every drop was counted once and traced once, with a reason and a sentence.
    expect(net.b.counters.get('link', 'rx') - rxBefore).toBe(STORM);
    const drops = net.events.filter((e): e is DropEvent => e.type === 'drop' && e.host === 'bob').slice(dropEventsBefore);
    expect(drops.length).toBe(net.b.counters.totalDrops() - dropsBefore);
    for (const d of drops) {
      expect(d.reason).toMatch(/^[a-z0-9-]+$/);
      expect(d.detail.length).toBeGreaterThan(5);
    }
    // A received frame is dropped at most once.
    const ids = drops.filter((d) => d.frameId !== undefined).map((d) => d.frameId);
    expect(new Set(ids).size).toBe(ids.length);
    // The storm exercised many kinds of rejection.
    const reasons = new Set(drops.map((d) => `${d.layer}:${d.reason}`));
    for (const r of ['ethernet:not-for-us', 'ethernet:truncated', 'ethernet:unsupported', 'ipv4:bad-checksum', 'ipv4:bad-version', 'ipv4:truncated', 'udp:bad-checksum', 'icmp:bad-checksum', 'arp:unsupported']) {
      expect(reasons, `expected some ${r} drops; saw ${[...reasons].join(', ')}`).toContain(r);
    }

    // State stayed bounded.
    expect(net.b.iface().arp.size).toBeLessThanOrEqual(512);
    expect(net.b.ip.reassembler.size).toBe(0);

    // And the host still works.
    const ping = net.a.ping('10.0.0.2', { count: 3 });
    const got: string[] = [];
    client.onMessage = (m) => got.push(new TextDecoder().decode(m.data));
    client.sendTo(ip('10.0.0.2'), 7, utf8('still there?'));
    net.run(5000);
    expect(ping.summary().received).toBe(3);
    expect(got).toContain('still there?');
  });
});

function randomFrame(rng: Rng): Uint8Array {
  const f = rng.fill(new Uint8Array(rng.int(1600)));
  // Half of them addressed to bob, so they get past the MAC filter.
  if (f.length >= 6 && rng.chance(0.5)) f.set([0x02, 0, 0, 0, 0, 0x02]);
  if (f.length >= 14 && rng.chance(0.5)) f.set(rng.chance(0.5) ? [0x08, 0x00] : [0x08, 0x06], 12);
  return f;
}

/** A real frame, re-addressed to bob, with a few bytes damaged, cut or extended. */
function mutate(rng: Rng, original: Uint8Array): Uint8Array {
  let f = original.slice();
  f.set(rng.chance(0.9) ? [0x02, 0, 0, 0, 0, 0x02] : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    switch (rng.int(5)) {
      case 0: // flip a bit anywhere after the MAC
        if (f.length > 6) f[6 + rng.int(f.length - 6)] ^= 1 << rng.int(8);
        break;
      case 1: // damage the IP/ARP header region
        if (f.length > 34) f[14 + rng.int(20)] = rng.int(256);
        break;
      case 2: // truncate
        f = f.subarray(0, rng.int(f.length + 1));
        break;
      case 3: {
        // extend with garbage
        const g = new Uint8Array(f.length + rng.int(64));
        g.set(f);
        rng.fill(g.subarray(f.length));
        f = g;
        break;
      }
      case 4: // damage the transport header region
        if (f.length > 42) f[34 + rng.int(8)] = rng.int(256);
        break;
    }
  }
  return f;
}
