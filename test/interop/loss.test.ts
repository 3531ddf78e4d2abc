/**
 * Our stack against the Linux kernel through a lossy, slow path: 5% loss and
 * 20 ms delay each way. Our direction is impaired by our egress conditioner;
 * Linux's by the ingress conditioner on our side of the relay (real path loss:
 * Linux's TCP must detect it and recover). nftables dropping at tap0's egress
 * is a different thing, a local drop that Linux's TCP is told about and just
 * sends again, so it gets a test of its own.
 *
 * Transfers must stay byte-exact; the negotiated options (MSS, SACK,
 * timestamps, window scaling) must be in use both ways, as the capture shows;
 * every capture must decode in tshark with no expert error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startBulk, type BulkResult } from '../../worker/apps/bulk';
import { startServices } from '../../worker/apps/services';
import type { ConditionerSettings } from '../../worker/link/conditioner';
import { parseIpv4 } from '../../worker/wire/addr';
import { writeTemp } from '../helpers/tshark';
import { countFrames, expertErrors, frameFields } from './capture';
import { canInterop, useInterop } from './fixture';
import { LINUX_IP, OUR_IP, type Capture } from './harness';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const linux = parseIpv4(LINUX_IP)!;
const LOSSY: Partial<ConditionerSettings> = { delayMs: 20, loss: { model: 'random', percent: 5, correlation: 0 } };
const BYTES = 1 << 20;

describe.skipIf(!canInterop)('interop with the Linux kernel: 5% loss and 20 ms delay each way', () => {
  const env = useInterop({ seed: 0x10557 });
  let capture: Capture | undefined;

  it('impairs the path both ways and starts our services', async () => {
    await env.it.stack(() => startServices(env.it.host));
    await env.it.impair(LOSSY, LOSSY);
    capture = await env.it.tcpdump('lossy.pcap');
    expect(env.it.egress.current.loss).toEqual(LOSSY.loss);
  });

  it('our bulk sender echoes 1 MB through socat + cat on Linux, byte-exact', async () => {
    env.it.spawn(['socat', '-t', '60', 'TCP-LISTEN:7007,reuseaddr', 'EXEC:cat']);
    await env.it.listening(7007);
    let result: BulkResult | undefined;
    await env.it.stack(() =>
      startBulk(env.it.host, { dst: linux, port: 7007, bytes: BYTES, mode: 'echo' }, (e) => {
        if (e.kind === 'done') result = e;
      }),
    );
    await env.it.until(() => result !== undefined, 'the echo transfer', 90_000);
    expect(result).toMatchObject({ ok: true, sent: BYTES, received: BYTES, mismatchAt: undefined, error: undefined });
    expect(result!.retransmits).toBeGreaterThan(0);
    console.log(`lossy echo, our sender: ${(result!.elapsedMs / 1000).toFixed(1)} s, ${result!.retransmits} retransmissions by us`);
  }, 100_000);

  it('socat on Linux sends 1 MB through our echo service and gets every byte back', async () => {
    const data = randomBytes(BYTES);
    const r = await env.it.exec(['socat', '-t', '60', '-', `TCP:${OUR_IP}:7`], { input: data, timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
  }, 100_000);

  it('MSS, SACK, timestamps and window scaling are negotiated and in use both ways (from the capture)', async () => {
    const path = await capture!.stop();
    // (A RST answering a segment for a connection already gone carries no options: RFC 7323 allows it.)
    const rows = frameFields(path, 'tcp.flags.reset == 0', [
      'tcp.stream',
      'ip.src',
      'tcp.flags.syn',
      'tcp.option_kind',
      'tcp.options.mss_val',
      'tcp.options.wscale.shift',
      'tcp.options.timestamp.tsval',
      'tcp.options.timestamp.tsecr',
      'tcp.window_size',
    ]);
    const streams = new Set(rows.map((r) => r[0]));
    expect(streams.size).toBe(2);
    for (const stream of streams) {
      for (const src of [OUR_IP, LINUX_IP]) {
        const mine = rows.filter((r) => r[0] === stream && r[1] === src);
        const where = `stream ${stream}, from ${src}`;
        const kinds = (r: string[]) => r[3].split(',').map(Number);
        // The SYN (or SYN,ACK) offers all four: MSS 1460 (MTU 1500), SACK-permitted, timestamps, window scale.
        const syn = mine.find((r) => r[2] === '1');
        expect(syn, where).toBeDefined();
        expect(kinds(syn!), where).toEqual(expect.arrayContaining([2, 4, 8, 3]));
        expect(syn![4], where).toBe('1460');
        expect(Number(syn![5]), where).toBeGreaterThan(0);
        const rest = mine.filter((r) => r[2] === '0');
        expect(rest.length, where).toBeGreaterThan(100);
        // Timestamps on every segment, TSval and TSecr moving forward (RFC 7323 3.2).
        expect(rest.every((r) => r[6] !== '' && r[7] !== ''), where).toBe(true);
        const tsval = rest.map((r) => Number(r[6]));
        const tsecr = rest.map((r) => Number(r[7]));
        expect(tsval.at(-1)! - tsval[0], where).toBeGreaterThan(100);
        expect(tsecr.at(-1)! - tsecr[0], where).toBeGreaterThan(100);
        // SACK blocks (option kind 5) under loss.
        expect(rest.filter((r) => kinds(r).includes(5)).length, where).toBeGreaterThan(0);
        // A scaled window: more than the 16-bit field alone can say.
        expect(Math.max(...rest.map((r) => Number(r[8]))), where).toBeGreaterThan(65535);
      }
    }
  });

  it("Linux's TCP also copes with local drops at tap0's egress (nftables numgen, 5%)", async () => {
    await env.it.impair({ delayMs: 20 }, { delayMs: 20 });
    env.it.linuxLoss(5);
    const data = randomBytes(512 * 1024);
    const r = await env.it.exec(['socat', '-t', '60', '-', `TCP:${OUR_IP}:7`], { input: data, timeoutMs: 60_000 });
    const drops = env.it.linuxDrops();
    env.it.linuxLoss(0);
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(data));
    expect(drops).toBeGreaterThan(0);
    console.log(`nftables dropped ${drops} frames on tap0's egress`);
  }, 70_000);

  it('Wireshark accepts the captures: tcpdump on tap0 and our own pcap, checksums checked, no expert errors', async () => {
    const ours = writeTemp('wiretab-lossy.pcap', env.it.ourPcap());
    for (const path of [...env.it.captures, ours]) {
      expect(expertErrors(path), path).toBe('');
    }
    const fromUs = countFrames(ours, `tcp.analysis.retransmission && ip.src == ${OUR_IP}`);
    const fromLinux = countFrames(env.it.captures[0], `tcp.analysis.retransmission && ip.src == ${LINUX_IP}`);
    console.log(`interop (lossy): tshark counts ${fromUs} retransmissions by us (our pcap) and ${fromLinux} by Linux (tcpdump on tap0)`);
    expect(fromUs).toBeGreaterThan(0);
    expect(fromLinux).toBeGreaterThan(0);
  });
});
