/**
 * The Linux interop harness: our stack, in this Node process, on the same
 * Ethernet segment as the Linux kernel.
 *
 *   Linux 10.77.0.1/24 on tap0  (a network namespace made for the run, IPv6 off)
 *        |  /dev/net/tun
 *   relay.py  (enters the namespace after creating its UDP socket on 127.0.0.1 here)
 *        |  one Ethernet frame per UDP datagram, on this namespace's loopback
 *   this process: ExternalLink -> NIC of a Host 10.77.0.2/24, driven in real time
 *
 * The stack is the same sans-IO code the browser runs; this file plays
 * worker/main.ts's part (the wall clock, timers and the frame port). Linux tools
 * (ping, socat, nc, python3, tcpdump, nft) run inside the namespace with
 * `ip netns exec`.
 *
 * Impairment: our conditioner on our egress (`egress`), a second conditioner on
 * our ingress for what Linux sends (`ingress`, delay and loss on Linux's
 * direction applied on our side of the relay), and nftables on tap0 for loss at
 * Linux's own egress (`linuxLoss`; this kernel has no netem). A packet nftables
 * drops on its way out is reported to the sending TCP as a local drop (it is
 * re-sent without counting as a loss on the path), so the benchmark impairs both
 * directions with our conditioners instead.
 *
 * close() removes the namespace and kills every process started here; a
 * process 'exit' hook does the same if the test process dies first, and the
 * relay exits on its own when its standard input (our pipe) closes.
 *
 * Needs root, iproute2, python3, tcpdump, socat, nc (OpenBSD), nft and ping;
 * no test framework here (the tests and bench/interop.ts share it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Host } from '../../worker/host';
import { Conditioner, PERFECT, type ConditionerSettings } from '../../worker/link/conditioner';
import { ExternalLink } from '../../worker/link/external';
import type { LinkPort } from '../../worker/link/port';
import { RealtimeDriver } from '../../worker/sim/driver';
import { Rng } from '../../worker/sim/rng';
import { Scheduler } from '../../worker/sim/scheduler';
import { Tracer } from '../../worker/trace/events';
import { FrameStore, captureFrames } from '../../worker/trace/frame-store';
import type { TcpConfig } from '../../worker/transport/tcp/config';
import { createNetns, hasIp, ip, isRoot, removeNetns, removeOrphanNetns } from '../helpers/netns';

export const LINUX_IP = '10.77.0.1';
export const OUR_IP = '10.77.0.2';
export const LINUX_MAC = '02:77:00:00:00:01';
export const OUR_MAC = '02:77:00:00:00:02';
export const TAP = 'tap0';

const RELAY = fileURLToPath(new URL('./relay.py', import.meta.url));

/** The Linux tools the interop runs use, and a command that tells whether each is installed. */
const TOOLS: Record<string, string> = {
  python3: 'python3 --version',
  tcpdump: 'tcpdump --version',
  socat: 'socat -V',
  nc: 'command -v nc',
  nft: 'nft --version',
  ping: 'command -v ping',
  curl: 'curl --version',
  tshark: 'tshark --version',
  sysctl: 'command -v sysctl',
};
const missingTools = Object.entries(TOOLS)
  .filter(([, check]) => spawnSync('sh', ['-c', `${check} >/dev/null 2>&1`]).status !== 0)
  .map(([name]) => name);

export const canInterop = isRoot && hasIp && missingTools.length === 0 && spawnSync('test', ['-c', '/dev/net/tun']).status === 0;
export const interopMissing =
  `The Linux interop runs need root, iproute2, /dev/net/tun and ${Object.keys(TOOLS).join(', ')} ` +
  `(root: ${isRoot}, ip: ${hasIp}, missing: ${missingTools.join(', ') || 'none'}); ` +
  'apt-get install iproute2 procps tcpdump socat netcat-openbsd nftables iputils-ping curl python3 tshark';

export interface InteropOptions {
  seed?: number;
  /** Host-wide TCP defaults for our stack. */
  tcp?: Partial<TcpConfig>;
  /** Keep our side's frames for ourPcap() (memory and time: off for benchmarks). Default true. */
  capture?: boolean;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface Capture {
  readonly path: string;
  /** Stops tcpdump (it flushes on SIGINT) and resolves with the file's path. */
  stop(): Promise<string>;
}

/** Every open harness, so the exit and signal hooks can clean up after a crash or ^C. */
const open = new Set<Interop>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanUp = () => {
    for (const i of open) i.closeSync();
  };
  process.once('exit', cleanUp);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanUp();
      process.kill(process.pid, sig); // our hook is gone: the signal now does what it would have done
    });
  }
}

export class Interop {
  readonly scheduler = new Scheduler();
  readonly tracer = new Tracer();
  readonly frames = new FrameStore({ maxFrames: 400_000, maxBytes: 512 * 1024 * 1024 });
  readonly driver: RealtimeDriver;
  readonly host: Host;
  readonly link: ExternalLink;
  /** Our egress (toward Linux). */
  readonly egress: Conditioner;
  /** Applied to frames from Linux before our NIC sees them. */
  readonly ingress: Conditioner;
  /** Wall-clock ms since the epoch at stack time 0 (for pcap timestamps). */
  epochMs = 0;
  readonly tmp = mkdtempSync(join(tmpdir(), 'wiretab-interop-'));
  /** Every tcpdump capture taken so far (for the Wireshark acceptance checks). */
  readonly captures: string[] = [];
  private readonly running: Capture[] = [];
  private readonly children = new Set<ChildProcess>();
  private socket: Socket | undefined;
  private relay: ChildProcess | undefined;
  private relayPort = 0;
  private closed = false;

  private constructor(
    readonly ns: string,
    opts: InteropOptions,
  ) {
    this.driver = new RealtimeDriver(this.scheduler, {
      now: () => performance.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      cancelTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    });
    if (opts.capture ?? true) captureFrames(this.tracer, this.frames);
    const rng = new Rng(opts.seed ?? 0x1a7e0);
    this.host = new Host(
      { name: 'wiretab', interfaces: [{ mac: OUR_MAC, address: `${OUR_IP}/24` }], tcp: opts.tcp },
      { scheduler: this.scheduler, rng: rng.fork('wiretab'), tracer: this.tracer },
    );
    // No transmit-ring credit to wait for: a UDP send on loopback never holds a frame back.
    this.link = new ExternalLink(this.host.ctx, (frame) => this.socket?.send(frame, this.relayPort, '127.0.0.1'), true, Infinity);
    const nic = this.host.nics[0]!;
    this.link.sink = nic;
    nic.attach(this.link);
    this.egress = this.host.condition();
    const toNic: LinkPort = {
      onReady: undefined,
      ready: () => true,
      transmit: (frame) => {
        this.link.deliver(frame);
        return true;
      },
    };
    this.ingress = new Conditioner(this.host.ctx, toNic, {}, 'ingress');
  }

  /** Creates the namespace, the TAP and the relay, and starts our host. */
  static async open(opts: InteropOptions = {}): Promise<Interop> {
    if (!canInterop) throw new Error(interopMissing);
    removeOrphanNetns('wiretab-interop');
    const ns = createNetns('wiretab-interop');
    const it = new Interop(ns, opts);
    open.add(it);
    hookExit();
    try {
      it.sh(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip('-n', ns, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
      ip('-n', ns, 'link', 'set', TAP, 'address', LINUX_MAC);
      ip('-n', ns, 'addr', 'add', `${LINUX_IP}/24`, 'dev', TAP);
      ip('-n', ns, 'link', 'set', TAP, 'up');
      await it.startRelay();
      it.epochMs = Date.now();
      it.driver.inject(() => it.host.up(), 'host up');
      it.driver.run();
    } catch (err) {
      await it.close();
      throw err;
    }
    return it;
  }

  private async startRelay(): Promise<void> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    socket.on('error', () => {}); // an ICMP port unreachable while the relay restarts: the frame is just lost
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== this.relayPort) return;
      const frame = new Uint8Array(msg); // a copy the stack may keep
      this.driver.inject(() => this.ingress.transmit(frame), 'frame from Linux');
    });
    const relay = spawn('python3', [RELAY, this.ns, TAP, String(socket.address().port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.relay = relay;
    this.children.add(relay);
    const errors: string[] = [];
    relay.stderr!.on('data', (d: Buffer) => errors.push(d.toString()));
    this.relayPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the relay did not start: ${errors.join('')}`)), 15_000);
      createInterface({ input: relay.stdout! }).on('line', (line) => {
        try {
          const m = JSON.parse(line) as { event?: string; port?: number };
          if (m.event === 'ready' && m.port) {
            clearTimeout(timer);
            resolve(m.port);
          }
        } catch {
          // not ours
        }
      });
      relay.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the relay exited (${code}): ${errors.join('')}`));
      });
    });
  }

  /** Runs `fn` as a stack event (after bringing stack time up to now) and resolves with its result. */
  stack<T>(fn: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      }, 'test');
    });
  }

  /** Waits until `cond` holds, checking every 10 ms; throws after `timeoutMs` (a guard, not an assertion). */
  async until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!cond()) {
      if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Synchronous command inside the namespace (setup); throws when it fails. */
  sh(cmd: string[], input?: string): string {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...cmd], { encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} in ${this.ns} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Starts a long-running program inside the namespace; close() kills it if it is still running. */
  spawn(cmd: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns, ...cmd], { stdio: [stdin, 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a program inside the namespace to its end, feeding it `input`; kills it after `timeoutMs`. */
  exec(cmd: string[], opts: { input?: Uint8Array | string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const child = this.spawn(cmd, 'pipe');
    const out: Buffer[] = [];
    const err: string[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
    child.stdin!.on('error', () => {}); // it may exit before reading everything
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    return new Promise((resolve) => {
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: err.join('') });
      });
    });
  }

  /** Waits for a TCP listener on `port` inside the namespace (a server just spawned). */
  async listening(port: number): Promise<void> {
    await this.until(() => this.sh(['ss', '-Htln', `sport = :${port}`]).trim() !== '', `a listener on port ${port} in the namespace`, 10_000);
  }

  /** tcpdump on tap0 inside the namespace, full frames, written as they arrive. */
  async tcpdump(name: string): Promise<Capture> {
    const path = join(this.tmp, name);
    this.captures.push(path);
    const child = this.spawn(['tcpdump', '-i', TAP, '-s', '0', '-U', '--immediate-mode', '-w', path]);
    const err: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err.join('')}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => {
        err.push(d.toString());
        if (/listening on/.test(err.join(''))) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err.join('')}`)));
    });
    const capture: Capture = {
      path,
      stop: () =>
        new Promise<string>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve(path);
          child.once('exit', () => resolve(path));
          child.kill('SIGINT');
        }),
    };
    this.running.push(capture);
    return capture;
  }

  /** Stops every tcpdump still running (each flushes its file). */
  async stopCaptures(): Promise<void> {
    await Promise.all(this.running.splice(0).map((c) => c.stop()));
  }

  /** Drops `percent` of what Linux sends on tap0 (nftables at the netdev egress hook); 0 removes the rule. */
  linuxLoss(percent: number): void {
    spawnSync('ip', ['netns', 'exec', this.ns, 'nft', 'delete', 'table', 'netdev', 'wiretab_impair'], { stdio: 'ignore' });
    if (percent <= 0) return;
    const rules = `table netdev wiretab_impair {
  chain egress {
    type filter hook egress device "${TAP}" priority 0; policy accept;
    numgen random mod 100 < ${Math.round(percent)} counter drop
  }
}
`;
    this.sh(['nft', '-f', '-'], rules);
  }

  /** Frames nftables dropped on Linux's egress so far. */
  linuxDrops(): number {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'nft', 'list', 'table', 'netdev', 'wiretab_impair'], { encoding: 'utf8' });
    const m = /counter packets (\d+)/.exec(r.stdout ?? '');
    return m ? Number(m[1]) : 0;
  }

  /** Sets both conditioners (ours on egress, the ingress one for Linux's direction) at once. */
  impair(egress: Partial<ConditionerSettings>, ingress: Partial<ConditionerSettings> = egress): Promise<void> {
    return this.stack(() => {
      this.egress.configure({ ...PERFECT, ...egress });
      this.ingress.configure({ ...PERFECT, ...ingress });
    });
  }

  /** Our side's capture (every frame our NIC sent or received) as a pcap, timestamps in wall time. */
  ourPcap(): Uint8Array {
    return this.frames.toPcap(undefined, { epochMs: this.epochMs });
  }

  /** Removes the namespace and every process started here. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    this.closeSync();
  }

  /** The synchronous part of close(), for the process exit hook. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    this.driver.pause();
    this.relay?.stdin?.destroy();
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    removeNetns(this.ns);
  }
}
