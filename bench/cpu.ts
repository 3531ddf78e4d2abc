/**
 * Where a browser's CPU time goes, thread by thread, from /proc (Linux): the
 * processes in one network namespace (`ip netns pids`), their threads' user +
 * system ticks, grouped into the roles that matter for a WebRTC pairing. Used
 * by bench:webrtc to explain its ratio, not to pass or fail anything.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const HZ = 100;

export type Role = 'network service' | 'WebRTC (SCTP, DTLS)' | 'renderer IO' | 'page main thread' | 'stack worker' | 'other threads';
export const ROLES: readonly Role[] = ['network service', 'WebRTC (SCTP, DTLS)', 'renderer IO', 'page main thread', 'stack worker', 'other threads'];

export type Ticks = Map<string, { role: Role; ticks: number }>;

function role(type: string, pid: string, tid: string, name: string): Role {
  if (type === 'utility' && name.startsWith('Chrome_ChildIO')) return 'network service';
  if (type !== 'renderer') return 'other threads';
  if (name.startsWith('WebRTC')) return 'WebRTC (SCTP, DTLS)';
  if (name.startsWith('Chrome_ChildIO')) return 'renderer IO';
  if (name === 'DedicatedWorker' || name.startsWith('DedicatedWorker')) return 'stack worker';
  if (pid === tid) return 'page main thread';
  return 'other threads';
}

/** Every thread of every Chromium process in the namespace, with its CPU ticks so far. */
export function sampleThreads(ns: string): Ticks {
  const out: Ticks = new Map();
  let pids: string[] = [];
  try {
    pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  } catch {
    return out;
  }
  for (const pid of pids) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('chrom')) continue;
    const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}/${tid}`, { role: role(type, pid, tid, name), ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** CPU seconds per role between two samples. */
export function cpuByRole(before: Ticks, after: Ticks): Map<Role, number> {
  const out = new Map<Role, number>(ROLES.map((r) => [r, 0]));
  for (const [k, v] of after) out.set(v.role, out.get(v.role)! + (v.ticks - (before.get(k)?.ticks ?? 0)) / HZ);
  return out;
}

/** "network service 0.73 · WebRTC 0.55 · ..." as cores busy over `seconds`, and the total. */
export function describeCpu(cpu: Map<Role, number>, seconds: number): string {
  const total = [...cpu.values()].reduce((a, b) => a + b, 0);
  const parts = ROLES.filter((r) => cpu.get(r)! / seconds >= 0.005).map((r) => `${r} ${(cpu.get(r)! / seconds).toFixed(2)}`);
  return `${(total / seconds).toFixed(2)} cores busy: ${parts.join(' · ')}`;
}
