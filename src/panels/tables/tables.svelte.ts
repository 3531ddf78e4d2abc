/**
 * State of the host tables panel: one host's interfaces, routes, ARP cache,
 * counters and listening sockets, polled from the worker every 500 ms while
 * the panel is on screen and the tab is visible (they change with traffic,
 * not with every frame, so polling is cheaper than tracing them).
 */

import { stack } from '../../lib/stack/client';
import type { LabState } from '../lab/lab.svelte';
import type { HostTables } from '../../../worker/host';

const POLL_MS = 500;

export type TablesTab = 'interfaces' | 'arp' | 'counters' | 'sockets';
export const TABS: readonly TablesTab[] = ['interfaces', 'arp', 'counters', 'sockets'];

export class TablesState {
  host = $state('');
  tab = $state<TablesTab>('interfaces');
  tables = $state.raw<HostTables | undefined>(undefined);
  error = $state('');
  /** Whether the panel is on screen (set by the component's IntersectionObserver). */
  visible = $state(true);

  private readonly timer: ReturnType<typeof setInterval>;
  private polling = false;

  constructor(private readonly lab: LabState) {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  /** The host shown: the one picked, else this tab's first. */
  get shown(): string {
    const names = this.lab.hosts.map((h) => h.name);
    return names.includes(this.host) ? this.host : (names[0] ?? '');
  }

  pick(host: string): void {
    this.host = host;
    this.tables = undefined;
    void this.poll();
  }

  async poll(): Promise<void> {
    const host = this.shown;
    if (this.polling || !host || !this.visible || document.hidden || this.lab.status !== 'ready') return;
    this.polling = true;
    try {
      const tables = await stack().tables(host);
      if (host === this.shown) this.tables = tables;
      this.error = '';
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.polling = false;
    }
  }
}
