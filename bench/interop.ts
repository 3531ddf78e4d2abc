/**
 * npm run bench:interop — goodput of our TCP against the Linux kernel's, on
 * the same impaired path (test/interop/harness.ts; needs root):
 *
 *   ours -> Linux:  our bulk sender (worker/apps/bulk.ts) to a python3 socket
 *                   loop on Linux that reads until EOF;
 *   Linux -> ours:  a python3 sendall() on Linux to a discard loop on our stack.
 *
 * Both are measured at the receiver, from the moment the connection is
 * established there until the sender's FIN arrives. The path is symmetric: 25 ms
 * delay and the same random loss each way, both applied on our side of the relay
 * (our egress conditioner, and the ingress one for what Linux sends), so a loss
 * is a loss on the wire to both TCPs. The ratio is ours/Linux per row; the goal
 * is at least 0.9. Linux uses its defaults (CUBIC, RACK-TLP, PRR, autotuned
 * buffers); ours too (config.ts), with our 256 KiB buffers.
 *
 * Numbers, not pass/fail. Options: --loss 0,1,5,10  --seconds 8 (the target
 * length of each transfer)  --runs 1 (runs per direction and row, summed).
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
  },
});
const LOSSES = values.loss.split(',').map(Number);
const DELAY_MS = Number(values.delay);
const SECONDS = Number(values.seconds);
const RUNS = Math.max(1, Number(values.runs));

if (!canInterop) {
  console.error(interopMissing);
  process.exit(1);
}

const RECEIVER = `
import json, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("${LINUX_IP}", int(sys.argv[1])))
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
t0 = time.monotonic()
buf = bytearray(1 << 20)
n = 0
while True:
    k = conn.recv_into(buf)
    if k == 0:
        break
    n += k
t1 = time.monotonic()
conn.close()
print(json.dumps({"bytes": n, "ms": (t1 - t0) * 1000}), flush=True)
`;

const SENDER = `
import socket, sys
s = socket.create_connection(("${OUR_IP}", int(sys.argv[1])))
data = bytes(range(256)) * 4096
left = int(sys.argv[2])
while left > 0:
    chunk = data[: min(left, len(data))]
    s.sendall(chunk)
    left -= len(chunk)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
`;

interface Run {
  bytes: number;
  ms: number;
}

const mbps = (r: Run) => (r.bytes * 8) / (r.ms * 1000);
let port = 20000;

/** Our sender -> a Linux receiver; the receiver's measurement. */
async function oursToLinux(it: Interop, bytes: number): Promise<Run> {
  const p = port++;
  const receiver = it.spawn(['python3', '-c', RECEIVER, String(p)]);
  const lines: string[] = [];
  receiver.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  await it.until(() => lines.includes('listening'), 'the Linux receiver', 10_000);
  let result: BulkResult | undefined;
  await it.stack(() =>
    startBulk(it.host, { dst: parseIpv4(LINUX_IP)!, port: p, bytes, mode: 'discard' }, (e) => {
      if (e.kind === 'done') result = e;
    }),
  );
  await it.until(() => result !== undefined && lines.some((l) => l.startsWith('{')), 'our transfer to Linux', 600_000);
  if (!result!.ok) throw new Error(`our transfer failed: ${result!.error}`);
  const m = JSON.parse(lines.find((l) => l.startsWith('{'))!) as Run;
  if (m.bytes !== bytes) throw new Error(`Linux received ${m.bytes} of ${bytes} bytes`);
  return m;
}

/** A Linux sender -> our discard loop; our measurement (stack time is real time here). */
async function linuxToOurs(it: Interop, bytes: number): Promise<Run> {
  const p = port++;
  let run: Run | undefined;
  let received = 0;
  let t0 = 0;
  const listener = await it.stack(() => it.host.tcp.listen(p));
  listener.onConnection = () => {
    const s: TcpSocket | undefined = listener.accept();
    if (!s) return;
    t0 = it.host.ctx.now;
    const drain = () => {
      while (s.readable > 0) received += s.read().length;
    };
    s.onData = drain;
    s.onEnd = () => {
      drain();
      run = { bytes: received, ms: it.host.ctx.now - t0 };
      s.close();
    };
  };
  const sender = await it.exec(['python3', '-c', SENDER, String(p), String(bytes)], { timeoutMs: 600_000 });
  if (sender.code !== 0) throw new Error(`the Linux sender failed: ${sender.stderr}`);
  await it.until(() => run !== undefined, 'the transfer from Linux', 10_000);
  await it.stack(() => listener.close());
  if (run!.bytes !== bytes) throw new Error(`we received ${run!.bytes} of ${bytes} bytes`);
  return run!;
}

/** Runs `fn` RUNS times, sized from a first guess of the rate so each lasts about SECONDS. */
async function measure(fn: (bytes: number) => Promise<Run>, guessMbps: number): Promise<Run & { runs: number }> {
  let bytes = Math.max(256 * 1024, Math.round((guessMbps * 1e6 * SECONDS) / 8));
  const total = { bytes: 0, ms: 0, runs: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = await fn(bytes);
    total.bytes += r.bytes;
    total.ms += r.ms;
    total.runs++;
    bytes = Math.max(256 * 1024, Math.round((mbps(r) * 1e6 * SECONDS) / 8));
  }
  return total;
}

const it = await Interop.open({ capture: false, seed: 0xbe4c });
const rows: string[] = [];
try {
  console.log(`path: ${DELAY_MS} ms delay each way (RTT ${2 * DELAY_MS} ms), random loss each way as listed; ~${SECONDS} s per transfer, ${RUNS} run(s) each way`);
  for (const loss of LOSSES) {
    const settings = { delayMs: DELAY_MS, loss: { model: 'random' as const, percent: loss, correlation: 0 } };
    await it.impair(settings, settings);
    // A short warm-up of each direction sizes the measured transfers.
    const guessOurs = mbps(await oursToLinux(it, 256 * 1024));
    const guessLinux = mbps(await linuxToOurs(it, 256 * 1024));
    const ours = await measure((b) => oursToLinux(it, b), guessOurs);
    const linux = await measure((b) => linuxToOurs(it, b), guessLinux);
    const ratio = mbps(ours) / mbps(linux);
    const row = `| ${String(loss).padStart(3)}% | ${mbps(ours).toFixed(2).padStart(8)} | ${mbps(linux).toFixed(2).padStart(8)} | ${ratio.toFixed(2).padStart(5)} | ${(ours.bytes / 1e6).toFixed(1)} MB / ${(linux.bytes / 1e6).toFixed(1)} MB |`;
    rows.push(row);
    console.log(row);
  }
} finally {
  await it.close();
}
console.log('\n| loss | ours -> Linux Mbit/s | Linux -> ours Mbit/s | ratio ours/Linux | bytes |');
console.log('| ---: | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(r);
process.exit(0);
