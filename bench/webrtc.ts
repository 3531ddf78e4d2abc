/**
 * npm run bench:webrtc — two Chromium pages paired over real WebRTC on a
 * closed network (a lo-only namespace; needs root):
 *
 *   1. raw: one RTCDataChannel with the frame channel's settings
 *      ({ordered: false, maxRetransmits: 0}), 1500-byte messages sent as fast
 *      as the channel takes them while bufferedAmount stays under the same
 *      64 KiB cap our frame link uses, for 5 s; the receiver counts bytes;
 *   2. TCP: the app's bulk test (our TCP, alice -> bob's discard service)
 *      over the pairing's own frame channel, sized to last about 5 s, twice:
 *      with the app's default layout (one view at a time: alice on the
 *      Sockets view, bob on the Link view), then with every panel on one page
 *      ("Everything"), which is the most the pages ever draw.
 *
 * Both pages, both stack workers and Chromium's network threads share this
 * machine's cores; between two computers each tab has its own. Prints both
 * and the ratios. Numbers, not pass/fail.
 */
import { canNetns, netnsMissing, openClosedNetwork, pairPages, type ClosedNetwork } from '../test/helpers/closed-network';
import type { Page } from 'playwright-core';
import { availableParallelism } from 'node:os';
import { cpuByRole, describeCpu, sampleThreads, type Role } from './cpu';

const SECONDS = 5;
const FRAME = 1500;
const MAX_BUFFERED = 64 * 1024;

if (!canNetns) {
  console.error(netnsMissing);
  process.exit(1);
}

/** Raw data channel throughput between two pages (signaling through this process). */
async function rawThroughput(a: Page, b: Page): Promise<{ bps: number; sent: number; received: number }> {
  const offer = await a.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const ch = pc.createDataChannel('raw', { ordered: false, maxRetransmits: 0 });
    ch.binaryType = 'arraybuffer';
    Object.assign(window, { rawPc: pc, rawCh: ch });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((r) => (pc.iceGatheringState === 'complete' ? r() : pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r())));
    return pc.localDescription!.toJSON();
  });
  const answer = await b.evaluate(async (offer) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const w = window as unknown as { rawBytes: number; rawFirst: number; rawLast: number };
    w.rawBytes = 0;
    pc.ondatachannel = (e) => {
      e.channel.binaryType = 'arraybuffer';
      e.channel.onmessage = (m: MessageEvent<ArrayBuffer>) => {
        const now = performance.now();
        if (w.rawBytes === 0) w.rawFirst = now;
        w.rawLast = now;
        w.rawBytes += m.data.byteLength;
      };
    };
    Object.assign(window, { rawPc: pc });
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((r) => (pc.iceGatheringState === 'complete' ? r() : pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r())));
    return pc.localDescription!.toJSON();
  }, offer);
  const sent = await a.evaluate(
    async ({ answer, seconds, frame, maxBuffered }) => {
      const w = window as unknown as { rawPc: RTCPeerConnection; rawCh: RTCDataChannel };
      await w.rawPc.setRemoteDescription(answer);
      const ch = w.rawCh;
      if (ch.readyState !== 'open') await new Promise((r) => (ch.onopen = r));
      const payload = new Uint8Array(frame);
      let sent = 0;
      const end = performance.now() + seconds * 1000;
      ch.bufferedAmountLowThreshold = maxBuffered / 2;
      while (performance.now() < end) {
        while (ch.bufferedAmount <= maxBuffered) {
          ch.send(payload);
          sent += frame;
        }
        // Woken when the buffer drains, or after 20 ms at worst (an SCTP stall must not end the run early).
        await new Promise((r) => {
          ch.onbufferedamountlow = r;
          setTimeout(r, 20);
        });
      }
      return sent;
    },
    { answer, seconds: SECONDS, frame: FRAME, maxBuffered: MAX_BUFFERED },
  );
  await new Promise((r) => setTimeout(r, 500));
  const rx = await b.evaluate(() => {
    const w = window as unknown as { rawBytes: number; rawFirst: number; rawLast: number };
    return { bytes: w.rawBytes, ms: w.rawLast - w.rawFirst };
  });
  await a.evaluate(() => (window as unknown as { rawPc: RTCPeerConnection }).rawPc.close());
  await b.evaluate(() => (window as unknown as { rawPc: RTCPeerConnection }).rawPc.close());
  return { bps: (rx.bytes * 8 * 1000) / rx.ms, sent, received: rx.bytes };
}

/**
 * Our TCP through the app: the bulk panel sends 10 MB to bob's discard
 * service, again and again until at least SECONDS of transfers are summed.
 */
async function tcpGoodput(net: ClosedNetwork, a: Page): Promise<{ bps: number; ms: number; retransmits: number; bytes: number; cpu: Map<Role, number>; wallS: number }> {
  // The default layout shows one view at a time: the bulk test lives in the Sockets view.
  const sockets = a.getByRole('tab', { name: 'Sockets', exact: true });
  if (await sockets.count()) await sockets.first().click();
  const panel = a.locator('.bulk');
  await panel.locator('select:has(option:text-is("10 MB"))').selectOption({ label: '10 MB' });
  await panel.locator('input[type=radio][value=discard]').check();
  let bytes = 0;
  let ms = 0;
  let retransmits = 0;
  const t0 = sampleThreads(net.ns);
  const wall0 = performance.now();
  for (let run = 1; ms < SECONDS * 1000 && run <= 50; run++) {
    await panel.locator('button[type=submit]').click();
    const r = panel.locator(`.bulk-result[data-run="${run}"]`);
    await r.waitFor({ timeout: 120_000 });
    if ((await r.getAttribute('data-ok')) !== 'true') throw new Error(`bulk transfer failed: ${await r.textContent()}`);
    bytes += Number(await r.getAttribute('data-bytes'));
    ms += Number(await r.getAttribute('data-elapsed-ms'));
    retransmits += Number(await r.getAttribute('data-retransmits'));
  }
  const cpu = cpuByRole(t0, sampleThreads(net.ns));
  return { bps: (bytes * 8 * 1000) / ms, ms, retransmits, bytes, cpu, wallS: (performance.now() - wall0) / 1000 };
}

/** CPU seconds per megabyte delivered, all roles together. */
const cpuPerMB = (cpu: Map<Role, number>, bytes: number) => ([...cpu.values()].reduce((a, b) => a + b, 0) / bytes) * 1e6;
/** The per-message cost of Chromium's own path (everything but our page's and worker's JavaScript). */
const INFRA: Role[] = ['network service', 'WebRTC (SCTP, DTLS)', 'renderer IO'];

// PIN=1: each page in its own Chromium pinned to its own core, like two one-core computers (needs 2 cores).
const pin = process.env.PIN === '1' && availableParallelism() >= 2 ? (['0', '1'] as [string, string]) : undefined;
const cores = pin ? 2 : availableParallelism();
const net = await openClosedNetwork();
try {
  console.log(pin ? 'two Chromiums, each pinned to one core (PIN=1)' : `one Chromium, both pages sharing ${cores} cores (PIN=1: one core each)`);
  const { a, b, contexts } = await pairPages(net, { everything: false, cpus: pin });
  // The raw channel's rate swings from run to run: a few messages lost to a full socket buffer make SCTP's
  // congestion control back off (even with maxRetransmits 0). Its capacity is the best of three runs.
  let raw: Awaited<ReturnType<typeof rawThroughput>> | undefined;
  let rawCpu = new Map<Role, number>();
  const tries: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r0 = sampleThreads(net.ns);
    const r = await rawThroughput(a, b);
    const c = cpuByRole(r0, sampleThreads(net.ns));
    tries.push(`${(r.bps / 1e6).toFixed(0)} (${(100 - (r.received / r.sent) * 100).toFixed(2)}% lost)`);
    if (!raw || r.bps > raw.bps) [raw, rawCpu] = [r, c];
  }
  if (!raw) throw new Error('no raw run');
  const rawS = SECONDS + 0.5;
  console.log(`raw unreliable channel: ${(raw.bps / 1e6).toFixed(1)} Mbit/s, the best of three runs: ${tries.join(', ')} Mbit/s`);
  console.log(`  CPU: ${describeCpu(rawCpu, rawS)}; ${cpuPerMB(rawCpu, raw.received).toFixed(3)} CPU s per MB`);
  const tcp = await tcpGoodput(net, a);
  console.log(`our TCP, default layout (bulk to discard): ${(tcp.bps / 1e6).toFixed(1)} Mbit/s over ${(tcp.ms / 1000).toFixed(1)} s, ${tcp.retransmits} retransmissions; ratio TCP/raw ${(tcp.bps / raw.bps).toFixed(2)}`);
  console.log(`  CPU: ${describeCpu(tcp.cpu, tcp.wallS)}; ${cpuPerMB(tcp.cpu, tcp.bytes).toFixed(3)} CPU s per MB`);
  // The ceiling: Chromium's own cost per message, measured on the raw run, for the messages a TCP needs:
  // one per 1448-byte segment and one ACK per two segments (RFC 5681 4.2), with nothing for our stack or UI.
  const infraPerMsg = INFRA.reduce((n, r) => n + rawCpu.get(r)!, 0) / (raw.received / FRAME);
  const ceiling = (cores / (infraPerMsg * 1.5)) * 1448 * 8;
  console.log(`  Chromium's path alone costs ${(infraPerMsg * 1e6).toFixed(0)} µs of CPU per message (raw run): on ${cores} cores no TCP that ACKs every second segment can pass ~${(ceiling / 1e6).toFixed(0)} Mbit/s here (${(ceiling / raw.bps).toFixed(2)} of raw) before any stack or UI work`);
  for (const c of contexts) await c.close();
  const all = await pairPages(net, { everything: true, cpus: pin });
  const tcpAll = await tcpGoodput(net, all.a);
  console.log(`our TCP, every panel on one page:          ${(tcpAll.bps / 1e6).toFixed(1)} Mbit/s over ${(tcpAll.ms / 1000).toFixed(1)} s, ${tcpAll.retransmits} retransmissions; ratio TCP/raw ${(tcpAll.bps / raw.bps).toFixed(2)}`);
  console.log(`  CPU: ${describeCpu(tcpAll.cpu, tcpAll.wallS)}; ${cpuPerMB(tcpAll.cpu, tcpAll.bytes).toFixed(3)} CPU s per MB`);
  for (const c of all.contexts) await c.close();
} finally {
  await net.close();
}
