/**
 * The 'vars' trace event: the connection's true variables, as the windows
 * panel draws them. Checked against the socket's own state at the same moment
 * and against what a transfer must leave behind (everything acknowledged,
 * bytes unread at the receiver, out-of-order data held as blocks).
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TcpSocket } from '../../../worker/transport/tcp/tcb';
import type { TcpVarsEvent, TraceEvent } from '../../../worker/trace/events';
import { FilterPort, pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const u32 = (f: Uint8Array, o: number) => ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
const TCP_AT = 34;

const vars = (events: TraceEvent[], host: string): TcpVarsEvent[] =>
  events.filter((e): e is TcpVarsEvent => e.type === 'tcp' && e.what === 'vars' && e.host === host);

function connected(net: ReturnType<typeof pair>): { client: TcpSocket; server: () => TcpSocket } {
  const l = net.b.tcp.listen(7000);
  let server: TcpSocket | undefined;
  l.onConnection = () => (server = l.accept()!);
  const client = net.a.tcp.connect(ip('10.0.0.2'), 7000);
  net.run(20);
  return { client, server: () => server! };
}

describe("TCP 'vars' trace event", () => {
  it('after the handshake both sides report the initial sequence numbers plus one', () => {
    const net = pair({ delayMs: 1 });
    const { client, server } = connected(net);
    const a = vars(net.events, 'alice').at(-1)!;
    expect(a.state).toBe('ESTABLISHED');
    expect(a.sndUna).toBe((client.iss + 1) >>> 0);
    expect(a.sndNxt).toBe(a.sndUna);
    expect(a.rcvNxt).toBe((server().iss + 1) >>> 0);
    expect(a.flight).toBe(0);
    const b = vars(net.events, 'bob').at(-1)!;
    expect(b.rcvNxt).toBe(a.sndNxt);
    expect(b.sndNxt).toBe(a.rcvNxt);
  });

  it('a write reports the data in flight, and the last ACK reports it all acknowledged and unread at the receiver', () => {
    const net = pair({ delayMs: 5 });
    const { client, server } = connected(net);
    const before = net.events.length;
    client.write(new Uint8Array(3000));
    const afterWrite = vars(net.events.slice(before), 'alice')[0]!;
    expect(afterWrite.flight).toBeGreaterThan(0);
    expect(afterWrite.sndNxt).toBe((afterWrite.sndUna + afterWrite.flight) >>> 0);
    expect(afterWrite.sendQueued).toBe(3000);
    net.run(1000); // past the delayed ACK of the last, short segment
    const a = vars(net.events, 'alice').at(-1)!;
    expect(a.sndUna).toBe((client.iss + 1 + 3000) >>> 0);
    expect(a.flight).toBe(0);
    expect([a.cwnd, a.ssthresh, a.srtt, a.rto]).toEqual([client.cwnd, client.ssthresh, client.rtt.srtt, client.rtt.rto]);
    expect(a.srtt).toBeGreaterThan(0);
    const b = vars(net.events, 'bob').at(-1)!;
    expect(b.unread).toBe(3000);
    expect(b.rcvWnd).toBe(server().info().rcvWnd);
    server().read();
    expect(vars(net.events, 'bob').at(-1)!.unread).toBe(0);
  });

  it('a lost segment leaves the data after it held out of order at the receiver and SACKed at the sender', () => {
    const net = pair({ delayMs: 5 });
    const { client } = connected(net);
    const mss = client.sendMss;
    const first = (client.iss + 1) >>> 0;
    let dropped = false;
    // Lose the first data segment once.
    FilterPort.insert(net.a.nics[0], (f) => {
      if (dropped || f[23] !== 6 || f.length - TCP_AT - (f[TCP_AT + 12] >> 4) * 4 <= 0) return false;
      if (u32(f, TCP_AT + 4) !== first) return false;
      dropped = true;
      return true;
    });
    client.write(new Uint8Array(3 * mss));
    net.run(8); // the two later segments arrived; the SACKs have not come back yet
    const b = vars(net.events, 'bob').at(-1)!;
    expect(b.rcvNxt).toBe(first);
    expect(b.held).toEqual([(first + mss) >>> 0, (first + 3 * mss) >>> 0]);
    net.run(4); // the duplicate ACKs with SACK blocks are back
    const a = vars(net.events, 'alice').at(-1)!;
    expect(a.sacked).toEqual([(first + mss) >>> 0, (first + 3 * mss) >>> 0]);
  });

});
