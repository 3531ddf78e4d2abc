/**
 * The small services every lab host runs, as on a 1980s Unix box (inetd's
 * "internal services"), because they make good test partners:
 *
 *   echo    TCP and UDP port 7  (RFC 862): sends back whatever arrives;
 *   discard TCP and UDP port 9  (RFC 863): reads and forgets;
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
    if (m.to !== host.address || m.from.port === ECHO_PORT || m.from.port === 19) return;
    try {
      udpEcho.sendTo(m.from.addr, m.from.port, m.data);
    } catch {
      // No route back or too big: the echo is simply not sent, as with a real inetd.
    }
  };
  const udpDiscard = host.udp.bind(DISCARD_PORT);
  udpDiscard.onMessage = () => {};
  return { listeners: [echo, discard], udp: [udpEcho, udpDiscard] };
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
    while (s.readable > 0) s.read();
    if (s.ended && s.state === 'CLOSE_WAIT') s.close();
  };
  s.onData = drain;
  s.onEnd = drain;
  s.onError = () => {};
}
