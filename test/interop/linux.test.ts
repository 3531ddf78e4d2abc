/**
 * Our stack against the Linux kernel on a clean link (test/interop/harness.ts):
 * ping both ways, echo both ways with socat and nc (with half-close), RST from
 * a closed port both ways, keepalive probes both ways; every capture (tcpdump
 * on tap0, and our own pcap) decodes in tshark without an expert error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startBulk, type BulkResult } from '../../worker/apps/bulk';
import { startServices } from '../../worker/apps/services';
import type { PingSummary } from '../../worker/net/ping';
import type { SocketError } from '../../worker/transport/udp';
import type { TcpSocket } from '../../worker/transport/tcp/tcb';
import { parseIpv4 } from '../../worker/wire/addr';
import { writeTemp } from '../helpers/tshark';
import { countFrames, expertErrors, frameFields } from './capture';
import { canInterop, useInterop } from './fixture';
import { LINUX_IP, OUR_IP } from './harness';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const linux = parseIpv4(LINUX_IP)!;

describe.skipIf(!canInterop)('interop with the Linux kernel: clean link', () => {
  const env = useInterop();

  it('starts our echo and discard services', async () => {
    await env.it.stack(() => startServices(env.it.host));
    expect(env.it.host.tcp.listenerOn(7)).toBeDefined();
  });

  it('Linux ping reaches us', async () => {
    const r = await env.it.exec(['ping', '-c', '3', '-i', '0.2', '-W', '2', OUR_IP], { timeoutMs: 15_000 });
    expect(r.stdout.toString()).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(r.code).toBe(0);
  });

  it('our ping reaches Linux', async () => {
    let summary: PingSummary | undefined;
    await env.it.stack(() =>
      env.it.host.ping(LINUX_IP, { count: 3, intervalMs: 200 }, (e) => {
        if (e.kind === 'done') summary = e.summary;
      }),
    );
    await env.it.until(() => summary !== undefined, 'our ping to finish', 10_000);
    expect(summary).toMatchObject({ transmitted: 3, received: 3, errors: 0 });
  });

  it('socat on Linux sends 1 MB to our echo service, half-closes, and gets every byte back', async () => {
    const data = randomBytes(1 << 20);
    const r = await env.it.exec(['socat', '-t', '30', '-', `TCP:${OUR_IP}:7`], { input: data });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
    // Half-close: Linux's FIN reached us before the last of our echoed data left, and socat still read it.
    const ours = writeTemp('echo-half-close.pcap', env.it.ourPcap());
    const rows = frameFields(ours, 'tcp.port == 7', ['ip.src', 'tcp.flags.fin', 'tcp.len']);
    const linuxFin = rows.findIndex(([src, fin]) => src === LINUX_IP && fin === '1');
    const ourData = rows.map(([src, , len], i) => (src === OUR_IP && Number(len) > 0 ? i : -1));
    const ourLastData = Math.max(...ourData);
    expect(linuxFin).toBeGreaterThanOrEqual(0);
    expect(ourLastData).toBeGreaterThan(linuxFin);
  });

  it('nc on Linux talks to our echo service and shuts down its side (nc -N)', async () => {
    const r = await env.it.exec(['nc', '-N', OUR_IP, '7'], { input: 'hello from the Linux kernel\n', timeoutMs: 15_000 });
    expect(r.stdout.toString()).toBe('hello from the Linux kernel\n');
    expect(r.code).toBe(0);
  });

  it('our bulk sender echoes 1 MB through socat + cat on Linux, half-closing first', async () => {
    const server = env.it.spawn(['socat', '-t', '30', 'TCP-LISTEN:7007,reuseaddr', 'EXEC:cat']);
    await env.it.listening(7007);
    let result: BulkResult | undefined;
    await env.it.stack(() =>
      startBulk(env.it.host, { dst: linux, port: 7007, bytes: 1 << 20, mode: 'echo' }, (e) => {
        if (e.kind === 'done') result = e;
      }),
    );
    await env.it.until(() => result !== undefined, 'the echo transfer', 20_000);
    expect(result).toMatchObject({ ok: true, sent: 1 << 20, received: 1 << 20, mismatchAt: undefined, error: undefined });
    await env.it.until(() => server.exitCode !== null, 'socat to exit', 10_000);
    expect(server.exitCode).toBe(0);
  });

  it('nc listening on Linux receives 256 KiB from us byte-exact, then both sides close', async () => {
    const data = randomBytes(256 * 1024);
    const received = env.it.exec(['nc', '-l', '7008'], { timeoutMs: 20_000 });
    await env.it.listening(7008);
    let s: TcpSocket | undefined;
    await env.it.stack(() => {
      const sock = env.it.host.tcp.connect(linux, 7008);
      s = sock;
      let offset = 0;
      const write = () => {
        while (offset < data.length) {
          const n = sock.write(data.subarray(offset));
          offset += n;
          if (n === 0) return;
        }
        sock.shutdown();
      };
      sock.onConnect = write;
      sock.onWritable = write;
      sock.onEnd = () => sock.close();
    });
    const r = await received;
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
    // nc closed after our FIN; we closed after its FIN: the active closer waits in TIME_WAIT.
    await env.it.until(() => s!.state === 'TIME_WAIT', 'our socket to reach TIME_WAIT', 10_000);
  });

  it('a connection from Linux to a port where we do not listen is refused (we send RST)', async () => {
    const script = `
import socket
try:
    socket.create_connection(("${OUR_IP}", 4444), timeout=5)
    print("connected")
except ConnectionRefusedError:
    print("refused")
`;
    const r = await env.it.exec(['python3', '-c', script], { timeoutMs: 10_000 });
    expect(r.stdout.toString().trim()).toBe('refused');
  });

  it('our connection to a port where Linux does not listen is refused (Linux sends RST)', async () => {
    let error: SocketError | undefined;
    await env.it.stack(() => {
      const s = env.it.host.tcp.connect(linux, 4444);
      s.onError = (e) => (error = e);
    });
    await env.it.until(() => error !== undefined, 'the connection to fail', 10_000);
    expect(error!.code).toBe('ECONNREFUSED');
  });

  it('Linux answers our keepalive probes, so an idle connection outlives the probe budget', async () => {
    const cap = await env.it.tcpdump('keepalive-ours.pcap');
    env.it.spawn(['socat', '-t', '30', 'TCP-LISTEN:7009,reuseaddr', 'EXEC:cat']);
    await env.it.listening(7009);
    let s: TcpSocket | undefined;
    const probes: number[] = [];
    env.it.tracer.subscribe((e) => {
      if (e.type === 'tcp' && e.what === 'retransmit' && e.cause === 'keepalive' && e.conn === s?.name) probes.push(e.t);
    });
    // Idle 600 ms, then a probe every 600 ms; 3 unanswered probes would time the connection out
    // after 2.4 s. Linux answers a zero-length out-of-window segment (a probe) at most once per
    // net.ipv4.tcp_invalid_ratelimit (500 ms; RFC 5961-style), so probes closer together than
    // that, counting from the last answer, are answered only in part (this test found it with 300 ms).
    await env.it.stack(() => (s = env.it.host.tcp.connect(linux, 7009, { keepalive: true, keepIdleMs: 600, keepIntervalMs: 600, keepCount: 3 })));
    await env.it.until(() => s!.state === 'ESTABLISHED', 'the connection', 5_000);
    // Every segment we receive after the SYN,ACK is an answer to a probe (the connection is otherwise idle).
    await env.it.until(() => probes.length >= 5 && s!.segsIn === probes.length + 1, 'five keepalive probes, each answered', 15_000);
    expect(s!.state).toBe('ESTABLISHED');
    await env.it.stack(() => s!.abort());
    const path = await cap.stop();
    const sent = countFrames(path, `tcp.analysis.keep_alive && ip.src == ${OUR_IP} && tcp.dstport == 7009`);
    const answers = countFrames(path, `ip.src == ${LINUX_IP} && tcp.srcport == 7009 && tcp.flags == 0x010`);
    expect(sent).toBe(probes.length);
    expect(answers).toBe(sent);
  });

  it("we answer Linux's keepalive probes (SO_KEEPALIVE, TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 2)", async () => {
    const cap = await env.it.tcpdump('keepalive-linux.pcap');
    // Unanswered, the socket would fail with ETIMEDOUT after 1 + 2 x 1 s; it sleeps 4.5 s.
    const script = `
import socket, struct, time
s = socket.create_connection(("${OUR_IP}", 9), timeout=5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
time.sleep(4.5)
state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[0]
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), state)
`;
    const r = await env.it.exec(['python3', '-c', script], { timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.toString().trim()).toBe('0 1'); // no error, TCP_ESTABLISHED
    const path = await cap.stop();
    const probes = countFrames(path, `tcp.analysis.keep_alive && ip.src == ${LINUX_IP} && tcp.dstport == 9`);
    // Our discard service sends no data: every pure ACK from us before Linux's FIN answers a probe.
    // (tshark calls the first one a window update: our SYN,ACK's window was not yet scaled.)
    const answers = countFrames(path, `ip.src == ${OUR_IP} && tcp.srcport == 9 && tcp.flags == 0x010`);
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(answers).toBe(probes);
  });

  it('Wireshark accepts the captures: tcpdump on tap0 and our own pcap, checksums checked, no expert errors', async () => {
    const ours = writeTemp('wiretab-clean.pcap', env.it.ourPcap());
    for (const path of [...env.it.captures, ours]) {
      expect(expertErrors(path), path).toBe('');
      expect(countFrames(path, 'tcp'), path).toBeGreaterThan(0);
    }
    console.log(`interop (clean): ${countFrames(ours, 'tcp.analysis.retransmission')} retransmissions flagged by tshark in our pcap (${env.it.frames.size} frames)`);
  });
});
