/**
 * npm run bench:interop — goodput of our TCP against the Linux kernel's, on
 * the same impaired path (test/interop/harness.ts; needs root):
 *
 *   ours -> Linux:  our bulk sender (worker/apps/bulk.ts) to a python3 socket
 *                   loop on Linux that reads until EOF;
 *   Linux -> ours:  a python3 sendall() on Linux to a discard loop on our stack.
 *
 * Each transfer runs for --seconds, measured at the receiver from the moment
 * the connection is established there: the bytes delivered in order in that
 * time (then the receiver resets the connection). The path is symmetric: 25 ms
 * delay and the same random loss each way, both applied on our side of the relay
 * (our egress conditioner, and the ingress one for what Linux sends), so a loss
 * is a loss on the wire to both TCPs. The ratio is ours/Linux per row; the goal
 * is at least 0.9.
 *
 * Congestion control: like for like by default, CUBIC on both sides (ours:
 * config.ts congestionControl 'cubic'; Linux: TCP_CONGESTION on the sending
 * socket, since a host may default to something else: BBR, which ignores random
 * loss, on the machine this was written on). Linux keeps its
 * other defaults (RACK-TLP, PRR, autotuned buffers); ours its own (256 KiB
 * buffers).
 *
 * Numbers, not pass/fail. Options: --loss 0,1,5,10  --seconds 8 (the length of each
 * transfer)  --runs 1 (runs per direction and row, summed)
 * --cc cubic|newreno (ours)  --linux-cc cubic|reno|bbr.
 */
import { parseArgs } from 'node:util';
import { startBulk, type BulkResult } from '../worker/apps/bulk';
import { parseIpv4 } from '../worker/wire/addr';
import type { TcpSocket } from '../worker/transport/tcp/tcb';
import { canInterop, Interop, interopMissing, LINUX_IP, OUR_IP } from '../test/interop/harness';

const { values } = parseArgs({
  options: {
    loss: { type: 'string', default: '0,1,5,10' },
    delay: { type: 'string', default: '25' },
    seconds: { type: 'string', default: '8' },
    runs: { type: 'string', default: '1' },
    cc: { type: 'string', default: 'cubic' },
    'linux-cc': { type: 'string', default: 'cubic' },
  },
});
const OUR_CC = values.cc === 'newreno' ? 'newreno' : 'cubic';
const LINUX_CC = values['linux-cc'];
const LOSSES = values.loss.split(',').map(Number);
const DELAY_MS = Number(values.delay);
const SECONDS = Number(values.seconds);
const RUNS = Math.max(1, Number(values.runs));

if (!canInterop) {
  console.error(interopMissing);
  process.exit(1);
}

/** Counts what arrives for SECONDS from accept, then closes (with unread data: RST) and prints the count. */
const RECEIVER = `
import json, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("${LINUX_IP}", int(sys.argv[1])))
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
t0 = time.monotonic()
end = t0 + float(sys.argv[2])
buf = bytearray(1 << 20)
n = 0
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    conn.settimeout(left)
    try:
        k = conn.recv_into(buf)
    except socket.timeout:
        break
    if k == 0:
        break
    n += k
t1 = time.monotonic()
print(json.dumps({"bytes": n, "ms": (t1 - t0) * 1000}), flush=True)
conn.close()
`;

/** Sends until the receiver goes away. */
const SENDER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[2].encode())
s.connect(("${OUR_IP}", int(sys.argv[1])))
data = bytes(range(256)) * 256
try:
    while True:
        s.sendall(data)
except OSError:
    pass
`;

interface Run {
  bytes: number;
  ms: number;
}

const mbps = (r: Run) => (r.bytes * 8) / (r.ms * 1000);
let port = 20000;

/** Our bulk sender -> a Linux receiver for SECONDS; the receiver's count. */
async function oursToLinux(it: Interop): Promise<Run> {
  const p = port++;
  const receiver = it.spawn(['python3', '-c', RECEIVER, String(p), String(SECONDS)]);
  const lines: string[] = [];
  receiver.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  await it.until(() => lines.includes('listening'), 'the Linux receiver', 10_000);
  let result: BulkResult | undefined;
  // More than SECONDS can carry: the receiver's reset ends it.
  await it.stack(() =>
    startBulk(it.host, { dst: parseIpv4(LINUX_IP)!, port: p, bytes: 2 ** 40, mode: 'discard' }, (e) => {
      if (e.kind === 'done') result = e;
    }),
  );
  await it.until(() => result !== undefined && lines.some((l) => l.startsWith('{')), 'our transfer to Linux', SECONDS * 1000 + 30_000);
  return JSON.parse(lines.find((l) => l.startsWith('{'))!) as Run;
}

/** A Linux sender -> our discard loop for SECONDS; our count (stack time is real time here). */
async function linuxToOurs(it: Interop): Promise<Run> {
  const p = port++;
  let run: Run | undefined;
  const listener = await it.stack(() => it.host.tcp.listen(p));
  listener.onConnection = () => {
    const s: TcpSocket | undefined = listener.accept();
    if (!s) return;
    const t0 = it.host.ctx.now;
    let received = 0;
    s.onData = () => {
      while (s.readable > 0) received += s.read().length;
    };
    it.host.ctx.scheduler.after(SECONDS * 1000, () => {
      run = { bytes: received, ms: it.host.ctx.now - t0 };
      s.abort();
    });
  };
  const sender = await it.exec(['python3', '-c', SENDER, String(p), LINUX_CC], { timeoutMs: SECONDS * 1000 + 30_000 });
  if (sender.code !== 0) throw new Error(`the Linux sender failed: ${sender.stderr}`);
  await it.until(() => run !== undefined, 'the transfer from Linux', 10_000);
  await it.stack(() => listener.close());
  return run!;
}

/** RUNS runs, summed. */
async function measure(fn: () => Promise<Run>): Promise<Run> {
  const total = { bytes: 0, ms: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = await fn();
    total.bytes += r.bytes;
    total.ms += r.ms;
  }
  return total;
}

const it = await Interop.open({ capture: false, seed: 0xbe4c, tcp: { congestionControl: OUR_CC } });
const rows: string[] = [];
try {
  console.log(`path: ${DELAY_MS} ms delay each way (RTT ${2 * DELAY_MS} ms), random loss each way as listed; ${SECONDS} s per transfer, ${RUNS} run(s) each way`);
  console.log(`congestion control: ours ${OUR_CC}, Linux ${LINUX_CC} (the namespace's default is ${it.sh(['sysctl', '-n', 'net.ipv4.tcp_congestion_control']).trim()})`);
  for (const loss of LOSSES) {
    const settings = { delayMs: DELAY_MS, loss: { model: 'random' as const, percent: loss, correlation: 0 } };
    await it.impair(settings, settings);
    const ours = await measure(() => oursToLinux(it));
    const linux = await measure(() => linuxToOurs(it));
    const ratio = mbps(ours) / mbps(linux);
    const row = `| ${String(loss).padStart(3)}% | ${mbps(ours).toFixed(2).padStart(8)} | ${mbps(linux).toFixed(2).padStart(8)} | ${ratio.toFixed(2).padStart(5)} | ${(ours.bytes / 1e6).toFixed(1)} / ${(linux.bytes / 1e6).toFixed(1)} |`;
    rows.push(row);
    console.log(row);
  }
} finally {
  await it.close();
}
console.log(`\n| loss | ours (${OUR_CC}) -> Linux Mbit/s | Linux (${LINUX_CC}) -> ours Mbit/s | ratio ours/Linux | MB delivered (ours / Linux) |`);
console.log('| ---: | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(r);
process.exit(0);
