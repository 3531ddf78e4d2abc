/**
 * SYN floods and SYN cookies (RFC 4987). Mallory, on the same LAN, sends SYNs
 * from spoofed addresses of hosts that do not exist (so nobody answers the
 * SYN,ACKs, not even with RST). The listener's SYN backlog fills; without
 * cookies further SYNs are dropped (counted and traced), while a connection
 * already established on the same host goes on transferring; with cookies a
 * legitimate client still gets in. Half-open entries time out after the
 * SYN,ACK retries, so a flood holds at most `backlog` of them.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseIpv4, parseMac } from '../../worker/wire/addr';
import { TcpFlag } from '../../worker/wire/tcp';
import type { TcpSocket } from '../../worker/transport/tcp/tcb';
import type { DropEvent, TcpEvent } from '../../worker/trace/events';
import { FilterPort, network, utf8 } from '../helpers/lan';
import { tcpFrame } from '../helpers/raw';

const ip = (s: string) => parseIpv4(s)!;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const { SYN, ACK } = TcpFlag;
const BOB_MAC = parseMac('02:00:00:00:00:02')!;

function lan(seed = 1) {
  const net = network(
    [
      { name: 'alice', interfaces: [{ mac: '02:00:00:00:00:01', address: '10.0.0.1/24', segment: 'lan' }] },
      { name: 'bob', interfaces: [{ mac: '02:00:00:00:00:02', address: '10.0.0.2/24', segment: 'lan' }] },
      { name: 'mallory', interfaces: [{ mac: '02:00:00:00:00:66', address: '10.0.0.66/24', segment: 'lan' }] },
    ],
    { seed, delayMs: 1 },
  );
  return { net, alice: net.host('alice'), bob: net.host('bob'), mallory: net.host('mallory') };
}

/** A SYN from 10.0.0.(100 + n % 100), a host that does not exist, to bob. */
function spoofedSyn(n: number, dstPort: number): Uint8Array {
  return tcpFrame({
    srcMac: 0x02_00_00_00_10_00 + (n % 100),
    dstMac: BOB_MAC,
    src: ip('10.0.0.100') + (n % 100),
    dst: ip('10.0.0.2'),
    srcPort: 1024 + ((n * 7919) % 60000),
    dstPort,
    seq: (n * 2654435761) >>> 0,
    flags: SYN,
    options: [{ kind: 'mss', value: 1460 }],
    ident: n & 0xffff,
  });
}

/** Mallory sends one spoofed SYN every `everyMs` from `from` for `count` SYNs. */
function flood(l: ReturnType<typeof lan>, dstPort: number, count: number, everyMs: number, from = l.net.scheduler.now): void {
  for (let n = 0; n < count; n++) l.net.scheduler.at(from + n * everyMs, () => l.mallory.nics[0].send(spoofedSyn(n, dstPort)), 'flood');
}

/** 1 MB each way between alice and bob's port 9000; resolves the two received streams. */
function bulk(l: ReturnType<typeof lan>, size: number) {
  const data = (k: number) => new Uint8Array(size).map((_, i) => (i * k + 11) & 0xff);
  const dataA = data(7);
  const dataB = data(13);
  const atA: Uint8Array[] = [];
  const atB: Uint8Array[] = [];
  const pump = (s: TcpSocket, d: Uint8Array, sent: { n: number }) => {
    while (sent.n < d.length) {
      const k = s.write(d.subarray(sent.n, Math.min(d.length, sent.n + 65536)));
      sent.n += k;
      if (k === 0) return;
    }
  };
  const lst = l.bob.tcp.listen(9000);
  const sentA = { n: 0 };
  const sentB = { n: 0 };
  lst.onConnection = () => {
    const s = lst.accept()!;
    s.onData = () => atB.push(s.read());
    s.onWritable = () => pump(s, dataB, sentB);
    pump(s, dataB, sentB);
  };
  const c = l.alice.tcp.connect(ip('10.0.0.2'), 9000);
  c.onConnect = () => pump(c, dataA, sentA);
  c.onWritable = () => pump(c, dataA, sentA);
  c.onData = () => atA.push(c.read());
  const join = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
  return {
    c,
    done: () => join(atA).length === size && join(atB).length === size,
    exact: () => sha(join(atB)) === sha(dataA) && sha(join(atA)) === sha(dataB),
  };
}

/** An echo server on bob's port; returns the listener. */
function echo(l: ReturnType<typeof lan>, port: number, backlog: number, synCookies: boolean) {
  const lst = l.bob.tcp.listen(port, backlog, { synCookies });
  const accepted: TcpSocket[] = [];
  lst.onConnection = () => {
    for (let s = lst.accept(); s; s = lst.accept()) {
      const sock = s;
      accepted.push(sock);
      sock.onData = () => sock.write(sock.read());
      sock.onEnd = () => sock.close();
    }
  };
  return { lst, accepted };
}

/** alice connects to bob's port, says `text`, and collects the echo. */
function client(l: ReturnType<typeof lan>, port: number, text: string) {
  const c = l.alice.tcp.connect(ip('10.0.0.2'), port);
  let got = '';
  let error = '';
  c.onConnect = () => c.write(utf8(text));
  c.onData = () => (got += new TextDecoder().decode(c.read()));
  c.onError = (e) => (error = e.code);
  return { c, got: () => got, error: () => error };
}

describe('SYN flood without SYN cookies', () => {
  it('fills the backlog, drops and counts the rest, while an established connection keeps transferring', () => {
    const l = lan();
    // A 10 Mbit/s link each way, so 1 MB each way takes about a second: the flood runs all through it.
    const slow = { delayMs: 5, rateBps: 10e6, overheadBytes: 24, queueFrames: 100 };
    l.alice.condition(slow);
    l.bob.condition(slow);
    const server = echo(l, 80, 8, false);
    const t = bulk(l, 1 << 20);
    l.net.run(50); // the bulk connection is up before the flood starts
    expect(t.c.state).toBe('ESTABLISHED');
    const start = l.net.scheduler.now;
    flood(l, 80, 2000, 2); // 500 SYN/s for 4 s
    let maxHalfOpen = 0;
    let maxConns = 0;
    let doneAt = -1;
    for (let ms = 0; ms < 4_100; ms += 10) {
      l.net.run(10);
      maxHalfOpen = Math.max(maxHalfOpen, server.lst.halfOpenCount);
      maxConns = Math.max(maxConns, l.bob.tcp.connections().length);
      if (doneAt < 0 && t.done()) doneAt = l.net.scheduler.now - start;
    }
    // The transfer finished during the flood, byte-exact, within a bound of virtual time.
    expect(doneAt).toBeGreaterThan(500);
    expect(doneAt).toBeLessThan(3_000);
    expect(t.exact()).toBe(true);
    // Bounded: never more half-open entries than the backlog; every SYN past it dropped, counted and traced.
    expect(maxHalfOpen).toBe(8);
    expect(maxConns).toBeLessThanOrEqual(8 + 1);
    expect(server.lst.halfOpenCount).toBe(8);
    expect(server.lst.synDrops).toBe(2000 - 8);
    expect(l.bob.tcp.stats['syn-backlog-drops']).toBe(server.lst.synDrops);
    const drops = l.net.events.filter((e): e is DropEvent => e.type === 'drop' && e.host === 'bob' && e.reason === 'socket-queue-full');
    expect(drops.length).toBe(server.lst.synDrops);
    expect(drops[0].detail).toMatch(/SYN backlog of port 80 is full \(8\)/);
  });

  it('half-open entries are freed after the SYN,ACK retries, so the backlog empties once the flood stops', () => {
    const l = lan();
    const server = echo(l, 80, 8, false);
    flood(l, 80, 8, 1);
    l.net.run(100);
    expect(server.lst.halfOpenCount).toBe(8);
    // SYN,ACK at 0, resent after 1, 2, 4, 8, 16 s (synAckRetries 5); freed when the next 32 s timer fires: 63 s.
    l.net.run(62_000);
    expect(server.lst.halfOpenCount).toBe(8);
    l.net.run(2_000);
    expect(server.lst.halfOpenCount).toBe(0);
    expect(l.bob.tcp.connections()).toHaveLength(0);
    const freed = (l.net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'bob' && e.what === 'state' && e.to === 'CLOSED');
    expect(freed).toHaveLength(8);
    expect(freed[0]).toMatchObject({ cause: 'SYN,ACK retries exhausted: half-open connection freed' });
    // A legitimate client gets in again.
    const c = client(l, 80, 'hello again');
    l.net.run(100);
    expect(c.got()).toBe('hello again');
  });

  it('a legitimate client cannot connect while the backlog is full', () => {
    const l = lan();
    echo(l, 80, 8, false);
    flood(l, 80, 3000, 2);
    l.net.run(20);
    const c = client(l, 80, 'let me in');
    l.net.run(3_000);
    expect(c.c.state).toBe('SYN_SENT');
    expect(c.got()).toBe('');
  });
});

describe('SYN flood with SYN cookies', () => {
  it('legitimate clients still connect during the flood, with SACK and window scaling kept in the timestamp', () => {
    const l = lan();
    const server = echo(l, 80, 8, true);
    flood(l, 80, 3000, 2); // 6 s of flood
    l.net.run(20);
    expect(server.lst.halfOpenCount).toBe(8);
    const clients = [0, 1, 2, 3, 4].map((k) => {
      const c = client(l, 80, `hello ${k}`);
      l.net.run(300);
      return c;
    });
    l.net.run(500);
    for (const [k, c] of clients.entries()) {
      expect(c.error()).toBe('');
      expect(c.got()).toBe(`hello ${k}`);
    }
    expect(server.lst.halfOpenCount).toBe(8); // cookies keep no state
    expect(server.lst.cookiesAccepted).toBe(5);
    expect(server.lst.cookiesSent).toBeGreaterThan(100);
    expect(l.bob.tcp.stats['syncookies-recv']).toBe(5);
    // What the cookie could not hold came back in the echoed timestamp (Linux cookie_timestamp_decode).
    const s = server.accepted[0].info();
    const a = clients[0].c.info();
    expect([s.state, s.sackOk, s.tsOk, s.sndScale, s.rcvScale]).toEqual(['ESTABLISHED', true, true, a.rcvScale, a.sndScale]);
    expect(s.sendMss).toBe(1460 - 12); // MSS 1460 from the table, less the timestamp option
    const opened = (l.net.events as TcpEvent[]).filter((e) => e.type === 'tcp' && e.host === 'bob' && e.what === 'state' && e.to === 'ESTABLISHED');
    expect(opened[0]).toMatchObject({ from: 'LISTEN', cause: 'rcv ACK with a valid SYN cookie' });
  });

  it('a cookie connection carries bulk data both ways byte-exact', () => {
    const l = lan();
    echo(l, 80, 1, true);
    flood(l, 80, 1, 1);
    l.net.run(10);
    const size = 300_000;
    const data = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
    const c = l.alice.tcp.connect(ip('10.0.0.2'), 80);
    const got: Uint8Array[] = [];
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const k = c.write(data.subarray(sent, Math.min(size, sent + 65536)));
        sent += k;
        if (k === 0) return;
      }
    };
    c.onConnect = pump;
    c.onWritable = pump;
    c.onData = () => got.push(c.read());
    l.net.run(5_000);
    const back = Buffer.concat(got.map((g) => Buffer.from(g)));
    expect(back.length).toBe(size);
    expect(sha(back)).toBe(sha(data));
    expect(l.bob.tcp.listenerOn(80)!.cookiesAccepted).toBe(1);
  });

  it('a forged ACK is rejected with RST and makes no connection', () => {
    const l = lan();
    const server = echo(l, 80, 1, true);
    flood(l, 80, 2, 1); // the second SYN overflows the backlog of 1, so cookies are live
    l.net.run(10);
    expect(server.lst.cookiesSent).toBe(1);
    const before = l.bob.tcp.connections().length;
    for (let k = 0; k < 50; k++) {
      l.mallory.nics[0].send(
        tcpFrame({ srcMac: 0x02_00_00_00_20_00, dstMac: BOB_MAC, src: ip('10.0.0.77'), dst: ip('10.0.0.2'), srcPort: 4000 + k, dstPort: 80, seq: 1000 + k, ack: (0x9e37_79b9 * (k + 1)) >>> 0, flags: ACK }),
      );
    }
    l.net.run(10);
    expect(server.lst.cookiesRejected).toBe(50);
    expect(server.lst.cookiesAccepted).toBe(0);
    expect(l.bob.tcp.connections().length).toBe(before);
    expect(l.bob.tcp.stats['rst-sent']).toBe(50);
  });

  it('a stale cookie is rejected; the same ACK on time would have been accepted', () => {
    // Capture alice's handshake ACK, replay it later from mallory.
    for (const lateMs of [1_000, 150_000]) {
      const l = lan();
      const server = echo(l, 80, 1, true);
      flood(l, 80, 1, 1);
      l.net.run(10);
      let ackFrame: Uint8Array | undefined;
      const drop = (f: Uint8Array) => {
        // alice's first pure ACK to port 80 (the third segment of the handshake): keep it, do not deliver it.
        const isTcp = f[23] === 6 && ((f[36] << 8) | f[37]) === 80;
        if (isTcp && !ackFrame && (f[47] & 0x3f) === ACK) {
          ackFrame = f.slice();
          return true;
        }
        return false;
      };
      FilterPort.insert(l.alice.nics[0], drop);
      l.alice.tcp.connect(ip('10.0.0.2'), 80, { synRetries: 0 });
      l.net.run(20);
      expect(ackFrame).toBeDefined();
      expect(server.lst.cookiesSent).toBe(1);
      l.net.run(lateMs);
      flood(l, 80, 2, 1); // overflow the backlog again, so cookies are being checked (Linux: only after a recent overflow)
      l.net.run(5);
      l.mallory.nics[0].send(ackFrame!);
      l.net.run(5);
      if (lateMs < 60_000) expect(server.lst.cookiesAccepted).toBe(1);
      else expect([server.lst.cookiesAccepted, server.lst.cookiesRejected]).toEqual([0, 1]);
    }
  });
});
