import { describe, expect, it } from 'vitest';
import { formatMac, parseIpv4, parseMac } from '../../worker/wire/addr';
import type { ArpEvent, IcmpEvent, TraceEvent } from '../../worker/trace/events';
import type { PingEvent } from '../../worker/net/ping';
import { FilterPort, pair } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

function arpEvents(events: TraceEvent[], host?: string): ArpEvent[] {
  return events.filter((e): e is ArpEvent => e.type === 'arp' && (host === undefined || e.host === host));
}

describe('ping between two hosts', () => {
  it('the first echo waits for ARP, and none of four is lost', () => {
    const net = pair({ delayMs: 1 });
    net.run(10); // let the gratuitous ARPs of start-up pass
    net.events.length = 0;
    const seen: PingEvent[] = [];
    const session = net.a.ping('10.0.0.2', { count: 4 }, (e) => seen.push(e));
    net.run(5000);

    expect(session.done).toBe(true);
    const s = session.summary();
    expect(s).toMatchObject({ transmitted: 4, received: 4, lossPercent: 0, errors: 0, duplicates: 0 });

    // ARP first: who-has from alice; bob learns alice from it and answers is-at; the queued echo goes out.
    const arp = arpEvents(net.events).map((e) => `${e.host} ${e.what}`);
    expect(arp.slice(0, 4)).toEqual(['alice request-sent', 'bob learned', 'bob reply-sent', 'alice resolved']);
    const resolved = arpEvents(net.events, 'alice').find((e) => e.what === 'resolved')!;
    expect(resolved.packets).toBe(1); // the first echo request had been queued
    expect(resolved.mac).toBe(parseMac('02:00:00:00:00:02'));

    // With 1 ms each way: the first RTT includes the ARP round trip, the others do not.
    const rtts = seen.filter((e) => e.kind === 'reply').map((e) => (e as { rttMs: number }).rttMs);
    expect(rtts).toEqual([4, 2, 2, 2]);
    expect(session.lines).toEqual([
      'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.',
      '64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=4.00 ms',
      '64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=2.00 ms',
      '64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=2.00 ms',
      '64 bytes from 10.0.0.2: icmp_seq=4 ttl=64 time=2.00 ms',
      '--- 10.0.0.2 ping statistics ---',
      '4 packets transmitted, 4 received, 0% packet loss, time 3002ms',
      'rtt min/avg/max/mdev = 2.000/2.500/4.000/0.866 ms',
    ]);
    // Only one ARP exchange: the cache answers after that.
    expect(net.a.counters.get('arp', 'requests')).toBe(1);
  });

  it('the target learns the requester from the ARP request (RFC 826 merge rule)', () => {
    const net = pair();
    net.run(10);
    net.a.ping('10.0.0.2', { count: 1 });
    net.run(100);
    expect(net.b.iface().arp.lookup(ip('10.0.0.1'))).toBe(parseMac('02:00:00:00:00:01'));
    // bob never had to ask
    expect(net.b.counters.get('arp', 'requests')).toBe(0);
  });

  it('echo requests are answered both ways', () => {
    const net = pair();
    const ab = net.a.ping('10.0.0.2', { count: 3 });
    const ba = net.b.ping('10.0.0.1', { count: 3 });
    net.run(5000);
    expect(ab.summary().received).toBe(3);
    expect(ba.summary().received).toBe(3);
  });

  it('an address nobody has: ARP retries 3 times, then ping reports Destination Host Unreachable', () => {
    const net = pair();
    net.run(10);
    net.events.length = 0;
    const session = net.a.ping('10.0.0.99', { count: 1 });
    net.run(20_000);
    const requests = arpEvents(net.events, 'alice').filter((e) => e.what === 'request-sent');
    expect(requests.map((e) => e.t)).toEqual([10, 1010, 2010]);
    const failed = arpEvents(net.events, 'alice').find((e) => e.what === 'failed')!;
    expect(failed.t).toBe(3010);
    expect(failed.packets).toBe(1);
    expect(session.lines[1]).toBe('From 10.0.0.1 icmp_seq=1 Destination Host Unreachable');
    const s = session.summary();
    expect(s).toMatchObject({ transmitted: 1, received: 0, errors: 1, lossPercent: 100 });
    expect(s.text.split('\n')[1]).toBe('1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 3000ms');
    expect(net.a.counters.drops('arp', 'arp-failed')).toBe(1);
  });

  it('packets waiting for ARP are bounded: the oldest is dropped', () => {
    const net = pair();
    net.run(10);
    const sock = net.a.udp.bind();
    for (let i = 0; i < 20; i++) sock.sendTo(ip('10.0.0.77'), 9, new Uint8Array([i]));
    expect(net.a.iface().arp.snapshot()).toEqual([expect.objectContaining({ ip: ip('10.0.0.77'), state: 'incomplete', queued: 16 })]);
    expect(net.a.counters.drops('arp', 'arp-queue-full')).toBe(4);
  });

  it('cache entries expire, and the next packet resolves again', () => {
    const net = pair();
    net.a.ping('10.0.0.2', { count: 1 });
    net.run(100);
    expect(net.a.iface().arp.lookup(ip('10.0.0.2'))).toBeDefined();
    net.run(60_000);
    expect(net.a.iface().arp.lookup(ip('10.0.0.2'))).toBeUndefined();
    expect(arpEvents(net.events, 'alice').some((e) => e.what === 'expired')).toBe(true);
    const again = net.a.ping('10.0.0.2', { count: 1 });
    net.run(100);
    expect(again.summary().received).toBe(1);
    expect(net.a.counters.get('arp', 'requests')).toBe(2);
  });

  it('a peer that restarts with a new MAC repairs our cache with its gratuitous ARP', () => {
    const net = pair();
    net.a.ping('10.0.0.2', { count: 1 });
    net.run(100);
    expect(net.a.iface().arp.lookup(ip('10.0.0.2'))).toBe(parseMac('02:00:00:00:00:02'));
    const newMac = parseMac('02:00:00:00:00:22')!;
    net.b.restart([newMac]);
    net.run(10);
    const updated = arpEvents(net.events, 'alice').find((e) => e.what === 'updated');
    expect(updated && formatMac(updated.mac!)).toBe('02:00:00:00:00:22');
    const after = net.a.ping('10.0.0.2', { count: 2 });
    net.run(3000);
    expect(after.summary().received).toBe(2);
    // no new request was needed
    expect(net.a.counters.get('arp', 'requests')).toBe(1);
  });

  it('when the gratuitous ARP is lost, the stale entry fails until it expires, then traffic recovers', () => {
    const net = pair();
    net.a.ping('10.0.0.2', { count: 1 });
    net.run(100);
    // bob restarts with a new MAC while its announcements are lost
    const filter = FilterPort.insert(net.b.nics[0], () => true);
    net.b.restart([parseMac('02:00:00:00:00:22')!]);
    net.run(10);
    filter.drop = () => false;
    const during = net.a.ping('10.0.0.2', { count: 3, timeoutMs: 1000 });
    net.run(5000);
    expect(during.summary().received).toBe(0); // frames go to the old MAC and bob ignores them
    expect(net.b.counters.drops('ethernet', 'not-for-us')).toBeGreaterThanOrEqual(3);
    net.run(60_000); // alice's entry expires
    const after = net.a.ping('10.0.0.2', { count: 2 });
    net.run(3000);
    expect(after.summary().received).toBe(2);
  });

  it('broadcast echo requests are ignored, like Linux (icmp_echo_ignore_broadcasts)', () => {
    const net = pair();
    const s = net.a.ping('10.0.0.255', { count: 1, timeoutMs: 1000 });
    net.run(2000);
    expect(s.summary().received).toBe(0);
    expect(net.b.counters.drops('icmp', 'broadcast-echo')).toBe(1);
  });

  it('a host pings its own address without touching the wire', () => {
    const net = pair();
    net.run(10);
    const tx = net.a.counters.get('link', 'tx');
    const s = net.a.ping('10.0.0.1', { count: 2 });
    net.run(3000);
    expect(s.summary().received).toBe(2);
    expect(net.a.counters.get('link', 'tx')).toBe(tx);
  });

  it('icmp trace events pair requests with replies', () => {
    const net = pair();
    net.a.ping('10.0.0.2', { count: 2 });
    net.run(3000);
    const icmp = net.events.filter((e): e is IcmpEvent => e.type === 'icmp').map((e) => `${e.host} ${e.what} ${e.seq}`);
    expect(icmp).toEqual([
      'alice echo-request-sent 1',
      'bob echo-reply-sent 1',
      'alice echo-reply-received 1',
      'alice echo-request-sent 2',
      'bob echo-reply-sent 2',
      'alice echo-reply-received 2',
    ]);
  });
});
