/**
 * The ARP cache of one interface (RFC 826, with the timing rules of RFC 1122 2.3.2).
 *
 * - Packets for an unresolved address wait in a small queue on the entry while a
 *   request is outstanding (RFC 1122 2.3.2.2: SHOULD keep at least one); when the
 *   queue is full the oldest packet is dropped, as Linux does.
 * - Requests are retried `retries` times, `retryMs` apart, then the queued packets
 *   are dropped and reported so IP can tell the local sender "host unreachable"
 *   (what ping shows as "Destination Host Unreachable").
 * - Entries expire `entryTimeoutMs` after they were last confirmed (RFC 1122
 *   2.3.2.1 wants a timeout so a stale entry cannot live forever); the next packet
 *   then re-resolves.
 * - RFC 826's merge rule: any ARP packet whose sender we already know updates
 *   that entry (this is how a gratuitous ARP from a host that restarted with a
 *   new MAC repairs our cache); a new entry is only created when the packet is
 *   addressed to us.
 */

import { formatIpv4, formatMac, MAC_BROADCAST, MAC_ZERO, type Ipv4Addr, type Mac } from '../wire/addr';
import { ArpOp, type ArpView, emitArp } from '../wire/arp';
import { ETH, EtherType, ethernetFrameLen } from '../wire/ethernet';
import type { StackContext } from '../trace/context';
import type { Timer } from '../sim/scheduler';

export interface ArpOptions {
  /** Requests sent before giving up (Linux mcast_solicit: 3). */
  retries: number;
  /** Time between requests (Linux retrans_time: 1 s). */
  retryMs: number;
  /** Lifetime of a confirmed entry (Linux ages entries to STALE after ~30 s; we simply expire them). */
  entryTimeoutMs: number;
  /** Packets held per unresolved address. */
  queuePerEntry: number;
  /** Entries kept at most; the oldest is evicted (Linux gc_thresh3 is 1024). Spoofed ARP cannot grow the cache without bound. */
  maxEntries: number;
}

export const DEFAULT_ARP_OPTIONS: ArpOptions = {
  retries: 3,
  retryMs: 1000,
  entryTimeoutMs: 60_000,
  queuePerEntry: 16,
  maxEntries: 512,
};

/** What the cache needs from its interface. */
export interface ArpOwner {
  readonly mac: Mac;
  /** The primary address: the sender of our requests and announcements. */
  readonly addr: Ipv4Addr;
  /** The primary or a secondary address of this interface: we answer requests for each. */
  hasAddress(ip: Ipv4Addr): boolean;
  /** Writes the Ethernet header (dst, our src, type) into frame[0..14] and sends it. */
  sendFrame(frame: Uint8Array, dst: Mac, ethertype: number): void;
  /** Packets that could not be delivered because resolution failed. */
  resolutionFailed(ip: Ipv4Addr, packets: Uint8Array[]): void;
}

type EntryState = 'incomplete' | 'reachable';

interface ArpEntry {
  ip: Ipv4Addr;
  mac: Mac;
  state: EntryState;
  /** When the entry was created or last confirmed. */
  confirmedAt: number;
  /** Requests sent for the current resolution. */
  requests: number;
  /** Frames (with 14 bytes of Ethernet headroom) waiting for the MAC. */
  queue: Uint8Array[];
  /** Retry timer while incomplete; expiry timer while reachable. */
  timer: Timer;
}

export interface ArpEntrySnapshot {
  ip: Ipv4Addr;
  mac: Mac | undefined;
  state: EntryState;
  /** ms since the entry was created or last confirmed. */
  ageMs: number;
  /** ms until it expires (reachable) or the next retry (incomplete). */
  timerMs: number | undefined;
  queued: number;
}

export class ArpCache {
  private readonly entries = new Map<Ipv4Addr, ArpEntry>();

  constructor(
    private readonly ctx: StackContext,
    private readonly owner: ArpOwner,
    readonly options: ArpOptions = { ...DEFAULT_ARP_OPTIONS },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The MAC for a reachable entry, if any. */
  lookup(ip: Ipv4Addr): Mac | undefined {
    const e = this.entries.get(ip);
    return e && e.state === 'reachable' ? e.mac : undefined;
  }

  /**
   * Sends an IPv4 frame to `ip` on this link: at once when the MAC is known,
   * otherwise after resolution. `frame` has 14 bytes of headroom for Ethernet.
   */
  sendIpv4(ip: Ipv4Addr, frame: Uint8Array): void {
    let e = this.entries.get(ip);
    if (e && e.state === 'reachable') {
      this.owner.sendFrame(frame, e.mac, EtherType.IPV4);
      return;
    }
    if (!e) {
      e = this.createEntry(ip, MAC_ZERO, 'incomplete');
      this.entries.set(ip, e);
      this.request(e);
    }
    if (e.queue.length >= this.options.queuePerEntry) {
      const oldest = e.queue.shift()!;
      this.ctx.drop('arp', 'arp-queue-full', `${this.options.queuePerEntry} packets already wait for ${formatIpv4(ip)}; oldest dropped`, undefined, oldest.length);
    }
    e.queue.push(frame);
  }

  /** Handles a received, already validated ARP packet (RFC 826 "Packet Reception"). */
  receive(arp: ArpView): void {
    const { ctx, owner } = this;
    ctx.counters.inc('arp', 'rx');
    const senderIp = arp.senderIp;
    const senderMac = arp.senderMac;
    const targetIp = arp.targetIp;
    // A request for a secondary address is for us too (Linux answers for every address of the interface).
    const forUs = targetIp !== 0 && owner.hasAddress(targetIp);

    // ARP probes (RFC 5227) carry sender IP 0.0.0.0: nothing to learn.
    let merged = false;
    if (senderIp !== 0 && !owner.hasAddress(senderIp)) {
      const e = this.entries.get(senderIp);
      if (e) {
        this.confirm(e, senderMac);
        merged = true;
      }
      if (!merged && forUs) {
        const created = this.createEntry(senderIp, senderMac, 'reachable');
        this.entries.set(senderIp, created);
        this.trace('learned', senderIp, senderMac);
        this.armExpiry(created);
      }
    }

    if (forUs && arp.oper === ArpOp.REQUEST) {
      // RFC 826: the reply's sender is the address asked about, which may be a secondary one.
      this.sendArp('reply', senderMac, senderIp, senderMac, targetIp);
      ctx.counters.inc('arp', 'replies');
      this.trace('reply-sent', senderIp, senderMac);
    }
  }

  /** Gratuitous ARP (RFC 5227 2.4 "announcement"): tells the segment our MAC when we come up. */
  announce(): void {
    if (this.owner.addr === 0) return;
    this.sendArp('request', MAC_ZERO, this.owner.addr, MAC_BROADCAST);
    this.trace('gratuitous-sent', this.owner.addr, this.owner.mac);
  }

  /** Forgets everything (interface down, host crash). Queued packets are dropped. */
  flush(): void {
    for (const e of this.entries.values()) {
      e.timer.cancel();
      for (const f of e.queue) this.ctx.drop('arp', 'link-down', `ARP cache flushed with a packet waiting for ${formatIpv4(e.ip)}`, undefined, f.length);
    }
    this.entries.clear();
  }

  snapshot(): ArpEntrySnapshot[] {
    const now = this.ctx.now;
    return [...this.entries.values()].map((e) => ({
      ip: e.ip,
      mac: e.state === 'reachable' ? e.mac : undefined,
      state: e.state,
      ageMs: now - e.confirmedAt,
      timerMs: e.timer.deadline === undefined ? undefined : e.timer.deadline - now,
      queued: e.queue.length,
    }));
  }

  private createEntry(ip: Ipv4Addr, mac: Mac, state: EntryState): ArpEntry {
    if (this.entries.size >= this.options.maxEntries) this.evictOldest();
    const entry: ArpEntry = {
      ip,
      mac,
      state,
      confirmedAt: this.ctx.now,
      requests: 0,
      queue: [],
      timer: this.ctx.scheduler.timer(() => this.onTimer(entry), `arp ${formatIpv4(ip)}`),
    };
    return entry;
  }

  /** A reply (or any packet from the sender) confirms the entry, releasing queued packets. */
  private confirm(e: ArpEntry, mac: Mac): void {
    const wasIncomplete = e.state === 'incomplete';
    const changed = !wasIncomplete && e.mac !== mac;
    e.mac = mac;
    e.state = 'reachable';
    e.confirmedAt = this.ctx.now;
    e.requests = 0;
    if (wasIncomplete) this.ctx.timer('stop', 'arp-retry', formatIpv4(e.ip));
    this.armExpiry(e);
    if (wasIncomplete) {
      const queued = e.queue;
      e.queue = [];
      this.trace('resolved', e.ip, mac, queued.length);
      for (const f of queued) this.owner.sendFrame(f, mac, EtherType.IPV4);
    } else {
      this.trace(changed ? 'updated' : 'refreshed', e.ip, mac);
    }
  }

  private evictOldest(): void {
    const oldest = this.entries.values().next().value as ArpEntry | undefined;
    if (!oldest) return;
    oldest.timer.cancel();
    this.entries.delete(oldest.ip);
    for (const f of oldest.queue) {
      this.ctx.drop('arp', 'arp-queue-full', `ARP cache full (${this.options.maxEntries} entries); ${formatIpv4(oldest.ip)} evicted with packets waiting`, undefined, f.length);
    }
  }

  private armExpiry(e: ArpEntry): void {
    e.timer.set(this.ctx.now + this.options.entryTimeoutMs);
  }

  private request(e: ArpEntry): void {
    e.requests++;
    this.sendArp('request', MAC_ZERO, e.ip, MAC_BROADCAST);
    this.ctx.counters.inc('arp', 'requests');
    this.trace('request-sent', e.ip);
    const deadline = this.ctx.now + this.options.retryMs;
    e.timer.set(deadline);
    this.ctx.timer('start', 'arp-retry', formatIpv4(e.ip), deadline);
  }

  private onTimer(e: ArpEntry): void {
    if (e.state === 'reachable') {
      this.entries.delete(e.ip);
      this.trace('expired', e.ip, e.mac);
      return;
    }
    this.ctx.timer('fire', 'arp-retry', formatIpv4(e.ip));
    if (e.requests < this.options.retries) {
      this.request(e);
      return;
    }
    // RFC 1122 2.3.2.1: give up; the packets waiting are lost and the sender is told.
    this.entries.delete(e.ip);
    this.trace('failed', e.ip, undefined, e.queue.length);
    for (const f of e.queue) {
      this.ctx.drop('arp', 'arp-failed', `no ARP reply from ${formatIpv4(e.ip)} after ${e.requests} requests`, undefined, f.length);
    }
    if (e.queue.length > 0) this.owner.resolutionFailed(e.ip, e.queue);
  }

  private sendArp(operation: 'request' | 'reply', targetMac: Mac, targetIp: Ipv4Addr, ethDst: Mac = targetMac, senderIp: Ipv4Addr = this.owner.addr): void {
    const frame = new Uint8Array(ethernetFrameLen(28));
    emitArp({ operation, senderMac: this.owner.mac, senderIp, targetMac, targetIp }, frame, ETH.HEADER_LEN);
    this.ctx.counters.inc('arp', 'tx');
    this.owner.sendFrame(frame, ethDst, EtherType.ARP);
  }

  private trace(what: 'request-sent' | 'reply-sent' | 'learned' | 'updated' | 'refreshed' | 'resolved' | 'failed' | 'expired' | 'gratuitous-sent', ip: Ipv4Addr, mac?: Mac, packets?: number): void {
    if (this.ctx.tracing) this.ctx.emit({ type: 'arp', t: this.ctx.now, host: this.ctx.hostName, what, ip, mac, packets });
  }
}

/** For messages: "10.0.0.2 is at 02:00:00:00:00:02". */
export function describeArpEntry(ip: Ipv4Addr, mac: Mac | undefined): string {
  return mac === undefined ? `${formatIpv4(ip)} (incomplete)` : `${formatIpv4(ip)} is at ${formatMac(mac)}`;
}
