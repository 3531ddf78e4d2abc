import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../worker/wire/addr';
import { startServices, CHARGEN_PORT } from '../../worker/apps/services';
import { pair, utf8 } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** RFC 864's sample, first lines. */
const RFC864_LINES = [
  '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh',
  '"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi',
  '#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij',
];

function withServices() {
  const net = pair({ delayMs: 1 });
  startServices(net.b);
  return net;
}

describe('chargen (RFC 864)', () => {
  it('TCP: 72-character lines of the rotating pattern, CR LF after each, wrapping after 95 lines', () => {
    const net = withServices();
    const c = net.a.tcp.connect(ip('10.0.0.2'), CHARGEN_PORT);
    const got: number[] = [];
    c.onData = () => {
      if (got.length < 95 * 74 + 74) got.push(...c.read());
    };
    net.run(200);
    const lines = text(new Uint8Array(got)).split('\r\n');
    expect(lines.slice(0, 3)).toEqual(RFC864_LINES);
    for (const l of lines.slice(0, 96)) expect(l).toHaveLength(72);
    // Line 95 is line 0 again; line 94 starts with the space that line 0 skipped.
    expect(lines[95]).toBe(lines[0]);
    expect(lines[94].startsWith(' !"#')).toBe(true);
  });

  it('TCP: stops when the reader stops (the window closes), goes on when it reads, and ends on the reader\'s FIN', () => {
    const net = withServices();
    const c = net.a.tcp.connect(ip('10.0.0.2'), CHARGEN_PORT);
    net.run(5_000);
    // Nobody reads: what arrived is bounded by alice's receive buffer, and bob stopped sending.
    const stalled = c.readable;
    expect(stalled).toBeGreaterThan(0);
    const server = net.b.tcp.connections()[0];
    const acked = server.info().sndUna;
    net.run(5_000);
    expect(c.readable).toBe(stalled);
    expect(server.info().sndUna).toBe(acked);
    // Bob's send buffer holds what could not go: that is the backpressure, not an ever-growing queue.
    expect(server.info().sendQueued).toBeGreaterThan(0);
    // Reading opens the window and the flow resumes, still in the pattern.
    const first = c.read();
    expect(text(first.subarray(0, 72))).toBe(RFC864_LINES[0]);
    // (Bob may wait for his retransmission timer before the first new segment: data sent as the window closed is outstanding.)
    net.run(5_000);
    expect(c.readable).toBeGreaterThan(0);
    c.onData = () => c.read();
    c.close();
    net.run(2_000);
    expect(server.state === 'CLOSED' || server.state === 'LAST_ACK').toBe(true);
  });

  it('UDP: one datagram of 0..512 pattern bytes back for each datagram received', () => {
    const net = withServices();
    const s = net.a.udp.bind(40000);
    const sizes: number[] = [];
    const starts: string[] = [];
    s.onMessage = (m) => {
      sizes.push(m.data.length);
      starts.push(text(m.data.subarray(0, 3)));
    };
    // One at a time: 40 at once would overflow ARP's queue of 16 before bob's MAC is known.
    for (let i = 0; i < 40; i++) {
      s.sendTo(ip('10.0.0.2'), CHARGEN_PORT, utf8('go'));
      net.run(10);
    }
    expect(sizes).toHaveLength(40);
    for (const n of sizes) expect(n >= 0 && n <= 512).toBe(true);
    expect(new Set(sizes).size).toBeGreaterThan(20);
    // Each datagram starts one line further along the pattern.
    for (let i = 0; i < 3; i++) expect(RFC864_LINES[i].startsWith(starts[i])).toBe(true);
  });

  it('UDP: never answers the echo or chargen ports (no ping-pong), nor a broadcast', () => {
    const net = withServices();
    let answers = 0;
    for (const port of [7, 19]) {
      const s = net.a.udp.bind(port);
      s.onMessage = () => answers++;
      s.sendTo(ip('10.0.0.2'), CHARGEN_PORT, utf8('loop?'));
    }
    const b = net.a.udp.bind(40001);
    b.onMessage = () => answers++;
    b.sendTo(ip('10.0.0.255'), CHARGEN_PORT, utf8('everyone?'));
    net.run(100);
    expect(answers).toBe(0);
    expect(net.b.counters.get('udp', 'delivered')).toBe(3);
  });
});
