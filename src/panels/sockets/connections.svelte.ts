/**
 * State of the connections table: the rows of a ConnectionBook, republished
 * after every trace batch that changed a state, and the numbers polled from
 * each host every 500 ms while the table is on screen and the tab is visible.
 */

import { stack } from '../../lib/stack/client';
import type { LabState } from '../lab/lab.svelte';
import { ConnectionBook, type ConnectionRow } from './connection-book';

const POLL_MS = 500;
/** Closed connections kept for reading. */
const KEEP_CLOSED = 20;

export class ConnectionsState {
  rows = $state.raw<ConnectionRow[]>([]);
  liveCount = $state(0);
  closedCount = $state(0);
  /** Whether the table is on screen (set by the component's IntersectionObserver). */
  visible = $state(true);

  private readonly book = new ConnectionBook(KEEP_CLOSED);
  private readonly unsubscribe: () => void;
  private readonly timer: ReturnType<typeof setInterval>;
  private polling = false;

  constructor(private readonly lab: LabState) {
    this.unsubscribe = lab.subscribe((batch) => {
      if (this.book.applyAll(batch)) this.publish();
    });
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  dispose(): void {
    this.unsubscribe();
    clearInterval(this.timer);
  }

  clearClosed(): void {
    this.book.clearClosed();
    this.publish();
  }

  async poll(): Promise<void> {
    if (this.polling || !this.visible || document.hidden || this.lab.status !== 'ready') return;
    this.polling = true;
    try {
      const api = stack();
      const hosts = this.lab.hosts.map((h) => h.name);
      const issued = this.book.mark();
      const snapshots = await Promise.all(hosts.map((h) => api.connections(h)));
      hosts.forEach((h, i) => this.book.merge(h, snapshots[i]!, issued));
      this.publish();
    } catch {
      // The lab restarted or stopped under us: the next poll will tell.
    } finally {
      this.polling = false;
    }
  }

  private publish(): void {
    this.rows = this.book.rows();
    this.liveCount = this.book.liveCount;
    this.closedCount = this.book.closedCount;
  }
}
