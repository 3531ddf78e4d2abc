import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { summarizeFrame } from '../../src/lib/frame-summary';
import type { FrameEvent } from '../../worker/trace/events';
import { pair, utf8 } from '../helpers/lan';
import { parseIpv4 } from '../../worker/wire/addr';

describe('frame summaries', () => {
  it('describe a real exchange the way a packet analyser does', () => {
    const net = pair({ mtu: 576 });
    net.run(10);
    net.events.length = 0;
    net.a.ping('10.0.0.2', { count: 1 });
    net.a.udp.bind(40000).sendTo(parseIpv4('10.0.0.2')!, 9, utf8('x'.repeat(600)));
    net.run(100);
    const lines = net.events.filter((e): e is FrameEvent => e.type === 'frame' && e.host === 'alice').map((e) => {
      const s = summarizeFrame(e.frame);
      return `${e.dir} ${s.protocol} ${s.source} > ${s.destination}: ${s.info}`.replace(/id=0x[0-9a-f]{4}/, 'id=ID').replace(/id 0x[0-9a-f]{4}/g, 'id ID');
    });
    expect(lines).toEqual([
      'tx ARP 02:00:00:00:00:01 > Broadcast: Who has 10.0.0.2? Tell 10.0.0.1',
      'rx ARP 02:00:00:00:00:02 > 02:00:00:00:00:01: 10.0.0.2 is at 02:00:00:00:00:02',
      'tx ICMP 10.0.0.1 > 10.0.0.2: Echo (ping) request  id=ID, seq=1, ttl=64',
      'tx UDP 10.0.0.1 > 10.0.0.2: 40000 → 9 Len=600 [first fragment, id ID]',
      'tx IPv4 10.0.0.1 > 10.0.0.2: Fragment of UDP datagram id ID, offset 552, 56 bytes, last',
      'rx ICMP 10.0.0.2 > 10.0.0.1: Echo (ping) reply  id=ID, seq=1, ttl=64',
      'rx ICMP 10.0.0.2 > 10.0.0.1: Destination Port Unreachable',
    ]);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = summarizeFrame(bytes);
        expect(typeof s.info).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
