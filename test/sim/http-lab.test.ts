/**
 * The lab starts a web server on every host, in solo mode, and keeps a page a
 * person edited across a crash and reboot.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../worker/lab';
import { HttpClient, type HttpFetchResult } from '../../worker/apps/http/client';
import type { WallClock } from '../../worker/sim/driver';

/** A wall clock that never fires: the test drives the lab's scheduler directly. */
const still: WallClock = { now: () => 0, setTimer: () => 0, cancelTimer: () => {} };

describe('HTTP in the lab', () => {
  it('alice and bob each serve their own site on port 80; an edited page survives a crash', () => {
    const lab = new Lab(still, { seed: 3 }).start();
    lab.driver.pause();
    lab.scheduler.advance(10);
    const [alice, bob] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]];
    const results: HttpFetchResult[] = [];
    new HttpClient(alice).request('http://10.0.0.2/', {}, (r) => results.push(r));
    new HttpClient(bob).request('http://10.0.0.1/', {}, (r) => results.push(r));
    lab.scheduler.advance(1000);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const bodies = results.map((r) => new TextDecoder().decode(r.body));
    expect(bodies.some((b) => b.includes("Welcome to bob's web site"))).toBe(true);
    expect(bodies.some((b) => b.includes("Welcome to alice's web site"))).toBe(true);

    const before = lab.httpServers.get('bob')!;
    before.setPage('/', '<h1>edited by a student</h1>');
    lab.crash('bob');
    lab.driver.step();
    lab.scheduler.advance(10);
    expect(lab.httpServers.get('bob')).not.toBe(before); // a new server after the reboot
    expect(lab.httpServers.get('bob')!.getPage('/')).toBe('<h1>edited by a student</h1>');
    const after: HttpFetchResult[] = [];
    new HttpClient(alice).request('http://10.0.0.2/', {}, (r) => after.push(r));
    lab.scheduler.advance(1000);
    expect(new TextDecoder().decode(after[0]!.body)).toBe('<h1>edited by a student</h1>');
  });
});
