/**
 * Network namespaces for tests and benchmarks: create one with a unique name,
 * and remove it with every process still running in it. Needs root and
 * iproute2. Shared by the closed network of the e2e tests
 * (closed-network.ts) and the Linux interop harness (test/interop/).
 */
import { spawnSync } from 'node:child_process';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

/** Runs `ip` with these arguments; throws with its error output when it fails. */
export function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A fresh namespace with only `lo` (up). Its name starts with `prefix` and is unique to this process. */
export function createNetns(prefix: string): string {
  const ns = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (err) {
    removeNetns(ns);
    throw err;
  }
  return ns;
}

/** Kills whatever still runs in the namespace, then deletes it. Never throws; safe to call twice. */
export function removeNetns(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/**
 * Removes namespaces named `${prefix}-<pid>-...` whose process is gone: what a
 * run killed with SIGKILL (which no exit hook survives) left behind.
 */
export function removeOrphanNetns(prefix: string): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout?.split('\n') ?? [];
  for (const line of names) {
    const name = line.split(' ')[0];
    const m = new RegExp(`^${prefix}-(\\d+)-\\d+$`).exec(name);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) removeNetns(name);
  }
}
