/**
 * DNS as the lab runs it: started on every host at boot, in solo mode and in a
 * pairing of two labs (two tabs) joined by their frame channels.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../worker/lab';
import { formatIpv4 } from '../../worker/wire/addr';
import type { Resolution } from '../../worker/apps/dns/resolver';
import { FakeWall } from '../helpers/fake-wall';


async function settle(wall: FakeWall, promise: Promise<Resolution>, ms = 500): Promise<Resolution> {
  let done: Resolution | undefined;
  void promise.then((r) => (done = r));
  for (let t = 0; t < ms && !done; t += 10) {
    wall.advance(10);
    await Promise.resolve();
  }
  if (!done) throw new Error('no resolution');
  return done;
}

describe('DNS in the lab', () => {
  it('solo mode: every host serves its zone, the root and lab. on its own addresses', async () => {
    const wall = new FakeWall();
    const lab = new Lab(wall, { seed: 3 }).start();
    wall.advance(10);
    expect(lab.host('alice').iface().describe()).toBe('eth0 10.0.0.1/24 + 10.0.0.11 + 10.0.0.21');
    expect(lab.host('bob').iface().describe()).toBe('eth0 10.0.0.2/24 + 10.0.0.12 + 10.0.0.22');
    const it = await settle(wall, lab.resolve('alice', 'www.bob.lab', { mode: 'iterative' }));
    expect(it.ok && it.addresses.map(formatIpv4)).toEqual(['10.0.0.2']);
    expect(it.steps.map((s) => formatIpv4(s.server))).toEqual(['10.0.0.12', '10.0.0.22', '10.0.0.2']);
    const stub = await settle(wall, lab.resolve('bob', 'alice'));
    expect(stub.ok && [stub.name, stub.steps.map((s) => formatIpv4(s.server))]).toEqual(['alice.lab', ['10.0.0.1']]);
    expect(lab.dnsCache('bob').map((e) => e.name)).toContain('alice.lab');
    lab.flushDns('bob');
    wall.advance(1);
    expect(lab.dnsCache('bob')).toEqual([]);
  });

  it('a crashed host comes back with its DNS running', async () => {
    const wall = new FakeWall();
    const lab = new Lab(wall, { seed: 4 }).start();
    wall.advance(10);
    lab.crash('bob');
    wall.advance(10);
    const r = await settle(wall, lab.resolve('alice', 'bob.lab'));
    expect(r.ok).toBe(true);
  });

  it('pair mode: two tabs each run one host, and the iterative lookup crosses the channel three times', async () => {
    const wall = new FakeWall();
    let labA: Lab | undefined;
    let labB: Lab | undefined;
    let outA = 0;
    let outB = 0;
    labA = new Lab(wall, {
      seed: 1,
      mode: {
        kind: 'pair',
        role: 1,
        send: (f) => {
          outA += f.length;
          labB?.deliver(f.slice());
          labA?.reportDrained(outA);
        },
      },
    });
    labB = new Lab(wall, {
      seed: 2,
      mode: {
        kind: 'pair',
        role: 2,
        send: (f) => {
          outB += f.length;
          labA?.deliver(f.slice());
          labB?.reportDrained(outB);
        },
      },
    });
    labA.start();
    labB.start();
    labA.setCarrier(true);
    labB.setCarrier(true);
    wall.advance(20);
    const r = await settle(wall, labA.resolve('alice', 'www.bob.lab', { mode: 'iterative' }));
    expect(r.ok && r.addresses.map(formatIpv4)).toEqual(['10.0.0.2']);
    expect(r.steps.map((s) => [formatIpv4(s.server), s.outcome])).toEqual([
      ['10.0.0.12', 'referral'],
      ['10.0.0.22', 'referral'],
      ['10.0.0.2', 'answer'],
    ]);
    // And bob's tab looks up alice's name through alice's recursive server.
    const back = await settle(wall, labB.resolve('bob', 'www.alice.lab'));
    expect(back.ok && back.addresses.map(formatIpv4)).toEqual(['10.0.0.1']);
  });
});
