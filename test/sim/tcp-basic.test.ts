import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseIpv4 } from '../../worker/wire/addr';
import type { TcpSocket } from '../../worker/transport/tcp/tcb';
import type { TcpEvent, FrameEvent } from '../../worker/trace/events';
import { summarizeFrame } from '../../src/lib/frame-summary';
import { pair } from '../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function states(events: unknown[], host: string): string[] {
  return (events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.what === 'state' && e.host === host).map((e) => (e as { to: string }).to);
}

function echoServer(net: ReturnType<typeof pair>, port = 7) {
  const l = net.b.tcp.listen(port);
  const accepted: TcpSocket[] = [];
  l.onConnection = () => {
    const s = l.accept()!;
    accepted.push(s);
    s.onData = () => s.write(s.read());
    s.onEnd = () => s.close();
  };
  return accepted;
}

describe('TCP between two hosts', () => {
  it('traces every RTT sample with the estimator after it (RFC 6298 2.2-2.3)', () => {
    const net = pair({ delayMs: 5 });
    echoServer(net);
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7);
    c.onConnect = () => c.write(new Uint8Array(4000));
    c.onData = () => c.read();
    net.run(500);
    const rtts = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'alice' && e.what === 'rtt') as Extract<TcpEvent, { what: 'rtt' }>[];
    expect(rtts.length).toBeGreaterThan(0);
    // 5 ms each way: the handshake's SYN is timed, its sample is the first (RTT 10 ms, transmission time included)
    const first = rtts[0]!;
    expect(first.sample).toBeGreaterThanOrEqual(10);
    expect(first.sample).toBeLessThan(12);
    // RFC 6298 2.2: after the first sample SRTT = R, RTTVAR = R/2, RTO = max(min, SRTT + 4 RTTVAR)
    expect(first.srtt).toBe(first.sample);
    expect(first.rttvar).toBe(first.sample / 2);
    expect(first.rto).toBe(Math.max(200, first.sample * 3));
    // every sample is what the connection's estimator then held
    expect(rtts[rtts.length - 1]!.srtt).toBe(c.info().srtt);
  });

  it('three-way handshake, echo, and the four-way close through TIME_WAIT', () => {
    const net = pair({ delayMs: 1 });
    echoServer(net);
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7);
    const got: number[] = [];
    let connected = false;
    c.onConnect = () => {
      connected = true;
      c.write(new TextEncoder().encode('hello, bob'));
    };
    c.onData = () => got.push(...c.read());
    net.run(50);
    expect(connected).toBe(true);
    expect(new TextDecoder().decode(new Uint8Array(got))).toBe('hello, bob');
    c.close();
    net.run(100);
    expect(states(net.events, 'alice')).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(states(net.events, 'bob')).toEqual(['SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    // TIME_WAIT lasts 2 MSL (60 s by default)
    net.run(59_000);
    expect(c.state).toBe('TIME_WAIT');
    net.run(2_000);
    expect(c.state).toBe('CLOSED');
    // The handshake on the wire, as a packet analyser shows it
    const tcpLines = net.events
      .filter((e): e is FrameEvent => e.type === 'frame' && e.host === 'alice' && e.dir === 'tx')
      .map((e) => summarizeFrame(e.frame))
      .filter((s) => s.protocol === 'TCP')
      .map((s) => s.info.replace(/Seq=\d+ Ack=\d+ /, ''));
    expect(tcpLines[0]).toMatch(/^\d+ → 7 \[S\] Win=65535 Len=0$/);
  });

  it('connect to a closed port is refused at once', () => {
    const net = pair();
    const c = net.a.tcp.connect(ip('10.0.0.2'), 81);
    const errors: string[] = [];
    c.onError = (e) => errors.push(e.code);
    net.run(100);
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(c.state).toBe('CLOSED');
  });

  it('1 MB each way at once over a lossy, jittery link arrives byte-exact', () => {
    const net = pair({ seed: 7 });
    const bad = { delayMs: 10, jitterMs: 3, loss: { model: 'random' as const, percent: 5, correlation: 0 } };
    net.a.condition(bad);
    net.b.condition(bad);
    const size = 1 << 20;
    const dataA = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    const dataB = new Uint8Array(size).map((_, i) => (i * 13 + 5) & 0xff);
    const l = net.b.tcp.listen(9000);
    const atB: Uint8Array[] = [];
    const atA: Uint8Array[] = [];
    const pump = (s: TcpSocket, data: Uint8Array, sent: { n: number }) => {
      while (sent.n < data.length) {
        const k = s.write(data.subarray(sent.n, Math.min(data.length, sent.n + 65536)));
        sent.n += k;
        if (k === 0) return;
      }
      s.shutdown();
    };
    const sentA = { n: 0 };
    const sentB = { n: 0 };
    l.onConnection = () => {
      const s = l.accept()!;
      s.onData = () => atB.push(s.read());
      s.onWritable = () => pump(s, dataB, sentB);
      pump(s, dataB, sentB);
    };
    const c = net.a.tcp.connect(ip('10.0.0.2'), 9000);
    c.onConnect = () => pump(c, dataA, sentA);
    c.onWritable = () => pump(c, dataA, sentA);
    c.onData = () => atA.push(c.read());
    net.run(120_000);
    const joined = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
    expect(joined(atB).length).toBe(size);
    expect(sha(joined(atB))).toBe(sha(dataA));
    expect(sha(joined(atA))).toBe(sha(dataB));
    expect(c.retransmits).toBeGreaterThan(0);
  });
});

describe('per-packet fate with TCP', () => {
  it('a held FIN that is dropped is retransmitted on RTO, and the close completes', () => {
    const net = pair({ delayMs: 5 });
    echoServer(net);
    const ca = net.a.condition();
    const c = net.a.tcp.connect(ip('10.0.0.2'), 7);
    net.run(100);
    expect(c.state).toBe('ESTABLISHED');
    ca.hold(1, { tcpFlags: 'F' });
    c.close();
    net.run(10);
    const held = ca.inFlight();
    expect(held).toHaveLength(1);
    expect(held[0].state).toBe('held');
    expect(c.state).toBe('FIN_WAIT_1');
    ca.act(held[0].id, { action: 'drop' });
    // Bob never saw the FIN; after one RTO alice sends it again.
    net.run(1500);
    const rexmit = (net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.what === 'retransmit' && e.host === 'alice');
    expect(rexmit).toHaveLength(1);
    expect(rexmit[0]).toMatchObject({ cause: 'rto' });
    expect(states(net.events, 'alice')).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(states(net.events, 'bob')).toEqual(['SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(ca.counters).toMatchObject({ held: 1, dropped: 1 });
  });
});
