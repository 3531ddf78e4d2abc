/**
 * A seeded TCP transfer between two hosts under random faults: the invariant
 * of the simulation tests is that bytes arrive exactly once, in order, both
 * ways, and nothing stalls.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../worker/sim/rng';
import type { ConditionerSettings } from '../../worker/link/conditioner';
import type { TcpSocket } from '../../worker/transport/tcp/tcb';
import { pair } from './lan';

export interface TransferResult {
  seed: number;
  ok: boolean;
  reason: string;
  /** Virtual ms until both directions were complete. */
  tookMs: number;
  retransmits: number;
  settings: Partial<ConditionerSettings>;
}

/** Random faults for one direction, from the seed. */
export function randomFaults(rng: Rng): Partial<ConditionerSettings> {
  const pick = <T,>(xs: T[]) => xs[rng.int(xs.length)];
  const s: Partial<ConditionerSettings> = {
    delayMs: pick([0, 1, 5, 20, 50]),
    jitterMs: pick([0, 0, 2, 10]),
    loss: { model: 'random', percent: pick([0, 1, 5, 10, 20, 30]), correlation: pick([0, 25]) },
    duplicatePercent: pick([0, 0, 1, 5]),
    corruptPercent: pick([0, 0, 1, 3]),
    reorderPercent: pick([0, 0, 10, 25]),
    reorderGap: 5,
  };
  if (rng.chance(0.25)) Object.assign(s, { rateBps: pick([2e6, 10e6]), overheadBytes: 24, queueFrames: pick([10, 30]) });
  if (rng.chance(0.15)) s.loss = { model: 'gilbert-elliott', p: 2, r: 30, oneMinusH: 100, oneMinusK: 0 };
  return s;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function runTransfer(seed: number, size = 1 << 20, limitMs = 600_000): TransferResult {
  const rng = new Rng(seed).fork('faults');
  const mtu = [1500, 1500, 576, 9000][rng.int(4)];
  const net = pair({ seed, mtu });
  const fa = randomFaults(rng);
  const fb = randomFaults(rng);
  net.a.condition(fa);
  net.b.condition(fb);
  const data = (k: number) => {
    const d = new Uint8Array(size);
    new Rng(seed ^ k).fill(d);
    return d;
  };
  const dataA = data(1);
  const dataB = data(2);
  const atA: Uint8Array[] = [];
  const atB: Uint8Array[] = [];
  let doneAt = -1;
  let lenA = 0;
  let lenB = 0;
  const pump = (s: TcpSocket, d: Uint8Array, sent: { n: number }) => {
    while (sent.n < d.length) {
      const k = s.write(d.subarray(sent.n, Math.min(d.length, sent.n + 65536)));
      sent.n += k;
      if (k === 0) return;
    }
    s.shutdown();
  };
  const check = () => {
    if (doneAt < 0 && lenA === size && lenB === size) doneAt = net.scheduler.now;
  };
  const l = net.b.tcp.listen(9000);
  const sentB = { n: 0 };
  const sentA = { n: 0 };
  let error = '';
  l.onConnection = () => {
    const s = l.accept()!;
    s.onData = () => {
      const d = s.read();
      atB.push(d);
      lenB += d.length;
      check();
    };
    s.onWritable = () => pump(s, dataB, sentB);
    s.onError = (e) => (error ||= `bob: ${e.code} ${e.message}`);
    pump(s, dataB, sentB);
  };
  const c = net.a.tcp.connect(net.b.address, 9000, { synRetries: 10 });
  c.onConnect = () => pump(c, dataA, sentA);
  c.onWritable = () => pump(c, dataA, sentA);
  c.onData = () => {
    const d = c.read();
    atA.push(d);
    lenA += d.length;
    check();
  };
  c.onError = (e) => (error ||= `alice: ${e.code} ${e.message}`);
  // Run in slices so a finished transfer stops early.
  for (let t = 0; t < limitMs && doneAt < 0 && !error; t += 1000) net.run(1000);
  const join = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
  let reason = '';
  if (error) reason = error;
  else if (doneAt < 0) reason = `stalled: alice got ${lenA}, bob got ${lenB} of ${size} after ${limitMs} ms (alice ${c.state}, ${JSON.stringify(c.info())})`;
  else if (sha(join(atB)) !== sha(dataA)) reason = 'bob received different bytes';
  else if (sha(join(atA)) !== sha(dataB)) reason = 'alice received different bytes';
  return { seed, ok: reason === '', reason, tookMs: doneAt, retransmits: c.retransmits, settings: { ...fa, mtu } as never };
}
