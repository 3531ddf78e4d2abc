/**
 * Runs tshark on a pcap for tests. tshark is installed by .ci/run; on a developer
 * machine without it the tests that need it are skipped with a loud message,
 * but under CI=true its absence is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

if (!hasTshark) {
  const msg = 'tshark is not installed: the Wireshark acceptance tests cannot run (apt-get install tshark)';
  if (process.env.CI) throw new Error(msg);
  console.warn(`\n*** ${msg}; skipping them ***\n`);
}

/** Checksum validation on for every layer, as the Wireshark acceptance criterion asks (tshark always checks ICMP's). */
export const CHECKSUM_PREFS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];

export function writeTemp(name: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'wiretab-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
