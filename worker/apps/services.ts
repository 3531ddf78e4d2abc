/**
 * The small services every lab host runs, as on a 1980s Unix box (inetd's
 * "internal services"), because they make good test partners:
 *
 *   echo    TCP and UDP port 7  (RFC 862): sends back whatever arrives;
 *   discard TCP and UDP port 9  (RFC 863): reads and forgets;
 *   chargen TCP and UDP port 19 (RFC 864): TCP sends 72-character lines of a
 *           rotating pattern for as long as the peer reads, and throws away what
 *           it receives; UDP answers each datagram with one of 0..512 bytes.
 *
 * The TCP echo honours backpressure both ways: when our send buffer is full it
 * stops reading, so our receive window closes and the sender slows down; it
 * half-closes after echoing everything once the peer has half-closed.
 */

import type { AppHost as Host } from './app-host';
import type { TcpSocket } from '../transport/tcp/tcb';
import type { TcpListener } from '../transport/tcp/tcp';
import type { UdpSocket } from '../transport/udp';

export const ECHO_PORT = 7;
export const DISCARD_PORT = 9;
export const CHARGEN_PORT = 19;

/**
 * Services that answer whatever arrives. A UDP datagram *from* one of these
 * ports is never answered: two of them would answer each other forever (the
 * "UDP echo loop" / fraggle attack, CVE-1999-0103).
 */
const ANSWERING_PORTS: readonly number[] = [ECHO_PORT, 13, 17, CHARGEN_PORT];

/**
 * RFC 864's pattern: the 95 printing characters (space to tilde) in a ring;
 * line n is 72 of them starting one further along than line n-1, then CR LF.
 * The first line starts at "!", as in the RFC's sample. All 95 lines, plus the
 * first 512 bytes again so any datagram is one contiguous slice.
 */
const CHARGEN_LINE = 72;
const CHARGEN_CYCLE = (() => {
  const lineLen = CHARGEN_LINE + 2;
  const cycle = 95 * lineLen;
  const b = new Uint8Array(cycle + 512);
  for (let line = 0; line < 95; line++) {
    for (let i = 0; i < CHARGEN_LINE; i++) b[line * lineLen + i] = 32 + ((line + 1 + i) % 95);
    b[line * lineLen + CHARGEN_LINE] = 0x0d;
    b[line * lineLen + CHARGEN_LINE + 1] = 0x0a;
  }
  b.copyWithin(cycle, 0, 512);
  return { bytes: b, length: cycle, lineLen };
})();

export interface ServiceHandles {
  listeners: TcpListener[];
  udp: UdpSocket[];
}

/** Starts echo and discard on a host (again after a crash: a reboot starts them anew). */
export function startServices(host: Host): ServiceHandles {
  const echo = host.tcp.listen(ECHO_PORT, 128);
  echo.onConnection = () => {
    for (let s = echo.accept(); s; s = echo.accept()) serveEcho(s);
  };
  const discard = host.tcp.listen(DISCARD_PORT, 128);
  discard.onConnection = () => {
    for (let s = discard.accept(); s; s = discard.accept()) serveDiscard(s);
  };
  const udpEcho = host.udp.bind(ECHO_PORT);
  udpEcho.onMessage = (m) => {
    // Never answer a broadcast, nor another echo/chargen service: two echo
    // services answering each other would ping-pong forever (the old
    // "UDP echo loop" attack, CVE-1999-0103).
    if (m.to !== host.address || ANSWERING_PORTS.includes(m.from.port)) return;
    try {
      udpEcho.sendTo(m.from.addr, m.from.port, m.data);
    } catch {
      // No route back or too big: the echo is simply not sent, as with a real inetd.
    }
  };
  const udpDiscard = host.udp.bind(DISCARD_PORT);
  udpDiscard.onMessage = () => {};
  const chargen = host.tcp.listen(CHARGEN_PORT, 128);
  chargen.onConnection = () => {
    for (let s = chargen.accept(); s; s = chargen.accept()) serveChargen(s);
  };
  const udpChargen = host.udp.bind(CHARGEN_PORT);
  const lengths = host.ctx.rng.fork(`chargen ${host.name}`);
  let line = 0;
  udpChargen.onMessage = (m) => {
    // RFC 864: one datagram back per datagram received, 0..512 bytes; never to a broadcast or another answering service.
    if (m.to !== host.address || ANSWERING_PORTS.includes(m.from.port)) return;
    const start = line * CHARGEN_CYCLE.lineLen;
    line = (line + 1) % 95;
    try {
      udpChargen.sendTo(m.from.addr, m.from.port, CHARGEN_CYCLE.bytes.subarray(start, start + lengths.int(513)));
    } catch {
      // No route back: nothing is sent, as with a real inetd.
    }
  };
  return { listeners: [echo, discard, chargen], udp: [udpEcho, udpDiscard, udpChargen] };
}

/** RFC 864 over TCP: the pattern for as long as the peer takes it; our send buffer filling up is the backpressure. */
function serveChargen(s: TcpSocket): void {
  let pos = 0;
  const pump = () => {
    while (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') {
      const chunk = CHARGEN_CYCLE.bytes.subarray(pos, CHARGEN_CYCLE.length);
      const n = s.write(chunk);
      pos = (pos + n) % CHARGEN_CYCLE.length;
      if (n < chunk.length) return; // full: onWritable resumes
    }
  };
  s.onConnect = pump;
  s.onWritable = pump;
  // "Data received is thrown away" (RFC 864); the peer's FIN ends the service.
  s.onData = () => {
    while (s.readable > 0) s.read();
  };
  s.onEnd = () => {
    while (s.readable > 0) s.read();
    if (s.state === 'CLOSE_WAIT') s.close();
  };
  s.onError = () => {};
  pump();
}

function serveEcho(s: TcpSocket): void {
  let pending: Uint8Array | undefined;
  const pump = () => {
    for (;;) {
      if (pending) {
        if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT') return;
        const n = s.write(pending);
        if (n < pending.length) {
          pending = pending.subarray(n);
          return; // wait for onWritable; meanwhile unread data keeps our window closing
        }
        pending = undefined;
      }
      if (s.readable === 0) break;
      pending = s.read(64 * 1024);
    }
    if (s.ended && s.state === 'CLOSE_WAIT') s.close();
  };
  s.onData = pump;
  s.onWritable = pump;
  s.onEnd = pump;
  s.onError = () => {};
}

function serveDiscard(s: TcpSocket): void {
  const drain = () => {
    while (s.readable > 0) s.skip();
    if (s.ended && s.state === 'CLOSE_WAIT') s.close();
  };
  s.onData = drain;
  s.onEnd = drain;
  s.onError = () => {};
}
