/**
 * State of the bulk transfer test: which host sends how much to whose echo or
 * discard service, the progress of the run, its result, and a few earlier
 * runs to compare (say, before and after adding loss on the link).
 */

import { Comlink, stack } from '../../lib/stack/client';
import type { BulkEvent, BulkMode, BulkProgress, BulkResult } from '../../../worker/apps/bulk';
import type { LabState } from '../lab/lab.svelte';
import { BULK_SIZES, DISCARD_PORT, ECHO_PORT } from './types';

/** Earlier runs kept for comparison. */
const HISTORY = 5;

export interface BulkRun {
  key: number;
  from: string;
  target: string;
  bytes: number;
  mode: BulkMode;
  result: BulkResult;
}

export class BulkState {
  fromChoice = $state('');
  targetChoice = $state('');
  size = $state<number>(BULK_SIZES[1].bytes);
  mode = $state<BulkMode>('echo');

  running = $state(false);
  /** Bytes of the run in progress (or the last one). */
  total = $state(0);
  runMode = $state<BulkMode>('echo');
  progress = $state.raw<BulkProgress | undefined>();
  /** The last run; earlier ones in `history`, newest first. */
  last = $state.raw<BulkRun | undefined>();
  history = $state.raw<BulkRun[]>([]);
  error = $state('');

  private runs = 0;

  constructor(private readonly lab: LabState) {}

  get localHosts(): string[] {
    return this.lab.hosts.map((h) => h.name);
  }

  get from(): string {
    const hosts = this.localHosts;
    return hosts.includes(this.fromChoice) ? this.fromChoice : (hosts[0] ?? '');
  }

  get targets() {
    return this.lab.targetsOf(this.from);
  }

  get target(): string {
    const targets = this.targets;
    return targets.some((h) => h.ip === this.targetChoice) ? this.targetChoice : (targets[0]?.ip ?? '');
  }

  nameOf(ip: string): string {
    return this.lab.everyone.find((h) => h.ip === ip)?.name ?? ip;
  }

  /** The run in progress, from which host (to stop it). */
  private runningFrom = '';

  stop(): void {
    if (this.running && this.runningFrom) void stack().cancelBulk(this.runningFrom);
  }

  async start(): Promise<void> {
    if (this.running || this.lab.status !== 'ready' || !this.from || !this.target) return;
    const from = this.from;
    const target = this.nameOf(this.target);
    const bytes = this.size;
    const mode = this.mode;
    this.running = true;
    this.runningFrom = from;
    this.error = '';
    this.total = bytes;
    this.runMode = mode;
    this.progress = { kind: 'progress', sent: 0, received: 0, elapsedMs: 0 };
    try {
      const onEvent = Comlink.proxy((e: BulkEvent) => {
        if (e.kind === 'progress') this.progress = e;
        else this.progress = { kind: 'progress', sent: e.sent, received: e.received, elapsedMs: e.elapsedMs };
      });
      const result = await stack().bulk(from, this.target, mode === 'echo' ? ECHO_PORT : DISCARD_PORT, bytes, mode, onEvent);
      if (this.last) this.history = [this.last, ...this.history].slice(0, HISTORY);
      this.last = { key: ++this.runs, from, target, bytes, mode, result };
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.running = false;
    }
  }
}
