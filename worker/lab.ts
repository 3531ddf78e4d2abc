/**
 * A lab: the hosts, links and trace outputs one tab runs, wired to a driver.
 * Sans-IO like the rest of the stack: the wall clock comes in through the
 * RealtimeDriver; worker/main.ts supplies the real one, tests a fake.
 *
 * Two shapes:
 *   solo  two hosts (alice 10.0.0.1, bob 10.0.0.2) on one in-memory segment;
 *   pair  one host, this tab's, whose NIC is attached to an ExternalLink: the
 *         WebRTC frame channel to the other tab (worker/main.ts moves the
 *         frames). Host 1 of a room is alice, host 2 is bob, as in solo mode.
 * Either way each host's egress passes through its link conditioner, and each
 * host runs the small services (echo, discard, chargen), the chat port, and
 * DNS: its zone <name>.lab on its primary address, the root and lab. on two
 * secondary addresses (worker/host-plan.ts's DNS_PLAN), and a resolver that
 * asks the peer (`resolve`).
 */

import { Host, type HostTables } from './host';
import { MemorySegment } from './link/memory-segment';
import { PRESETS, type Conditioner, type ConditionerSettings, type FateCounters, type FrameAction, type FrameFilter, type InFlightFrame, type PresetName } from './link/conditioner';
import type { PingEvent, PingSummary } from './net/ping';
import { RealtimeDriver, type DriverState, type WallClock } from './sim/driver';
import { Rng } from './sim/rng';
import { Scheduler } from './sim/scheduler';
import type { CountersSnapshot } from './trace/counters';
import { Tracer, type AppEvent, type TraceEvent } from './trace/events';
import { FrameStore, captureFrames } from './trace/frame-store';
import type { ArpEntrySnapshot } from './net/arp-cache';
import { ExternalLink } from './link/external';
import { startServices } from './apps/services';
import { startHttpServer, type HttpServer } from './apps/http/server';
import { CHAT_PORT, SocketTable, type SocketTableEvent } from './apps/socket-table';
import { startBulk, type BulkEvent, type BulkMode, type BulkResult } from './apps/bulk';
import { formatIpv4, parseIpv4 as parseIpv4Text } from './wire/addr';
import type { TcpInfo } from './transport/tcp/tcb';

import { DNS_PLAN, HOST_SPECS } from './host-plan';
import { startLabDns, type LabDns, type LabDnsHost } from './apps/dns/lab-zones';
import type { LookupOptions, Resolution, ResolveMode } from './apps/dns/resolver';
import { HttpClient, type HttpClientStats, type HttpExchange, type HttpFetchInit, type HttpFetchResult } from './apps/http/client';
import type { CacheEntrySnapshot } from './apps/dns/cache';
import { parseCidr } from './wire/addr';
export { HOST_SPECS };

/** Every lab host in the DNS plan, as plain data for the DNS apps (both hosts, even in a pairing: the peer serves its share). */
const LAB_DNS_HOSTS: LabDnsHost[] = HOST_SPECS.map((s) => {
  const plan = DNS_PLAN[s.name];
  return { name: s.name, address: parseCidr(s.address)!.addr, root: parseIpv4Text(plan.root)!, tld: parseIpv4Text(plan.tld)!, letter: plan.letter };
});

/** A host's interface in the lab: its address plus the DNS root and TLD secondary addresses. */
function labInterface(s: (typeof HOST_SPECS)[number]) {
  return { mac: s.mac, address: s.address, aliases: [DNS_PLAN[s.name].root, DNS_PLAN[s.name].tld] };
}

export type LabMode =
  | { kind: 'solo' }
  /** This tab is host `role` of a room; `send` carries a frame to the peer tab. */
  | { kind: 'pair'; role: 1 | 2; send: (frame: Uint8Array) => void };

export interface ConnectionSnapshot extends TcpInfo {
  host: string;
  conn: string;
}

export interface LabOptions {
  seed: number;
  /** Propagation delay of the solo segment, ms. */
  delayMs?: number;
  /** Default: solo. */
  mode?: LabMode;
}

export interface HostSummary {
  name: string;
  mac: number;
  address: number;
  prefixLen: number;
  mtu: number;
}

export class Lab {
  readonly scheduler = new Scheduler();
  readonly tracer = new Tracer();
  readonly frames = new FrameStore();
  readonly driver: RealtimeDriver;
  readonly hosts: Host[] = [];
  /** Each host's egress conditioner, by host name. */
  readonly conditioners = new Map<string, Conditioner>();
  /** Solo mode's segment. */
  readonly segment: MemorySegment | undefined;
  /** Pair mode's link to the peer tab. */
  readonly external: ExternalLink | undefined;
  readonly mode: LabMode;
  /** Each host's hand-opened sockets (the TCP console), by host name. */
  private readonly tables = new Map<string, SocketTable>();
  private readonly appListeners = new Set<(e: SocketTableEvent) => void>();
  /** Each host's DNS server and resolvers, by host name (started at boot, again after a crash). */
  private readonly dns = new Map<string, LabDns>();
  /** Each host's web server (port 80), by host name. */
  readonly httpServers = new Map<string, HttpServer>();
  /** Each host's web client (the mini browser's), made on first use, by host name. */
  private readonly browsers = new Map<string, LabBrowser>();
  /** Bulk transfers running, by sending host (one at a time per host, as the panel runs them). */
  private readonly bulks = new Map<string, { cancel(): void }>();

  constructor(
    wall: WallClock,
    readonly options: LabOptions,
  ) {
    this.driver = new RealtimeDriver(this.scheduler, wall);
    captureFrames(this.tracer, this.frames);
    const rng = new Rng(options.seed);
    this.mode = options.mode ?? { kind: 'solo' };
    const ctxFor = (name: string) => ({ scheduler: this.scheduler, rng: rng.fork(name), tracer: this.tracer });
    if (this.mode.kind === 'solo') {
      this.segment = new MemorySegment(this.scheduler, options.delayMs ?? 0.5, 'solo');
      for (const s of HOST_SPECS) {
        const host = new Host({ name: s.name, interfaces: [labInterface(s)] }, ctxFor(s.name));
        this.segment.attach(host.nics[0]!);
        this.hosts.push(host);
      }
    } else {
      const s = HOST_SPECS[this.mode.role - 1]!;
      const host = new Host({ name: s.name, interfaces: [labInterface(s)] }, ctxFor(s.name));
      const nic = host.nics[0]!;
      this.external = new ExternalLink(host.ctx, this.mode.send);
      this.external.sink = nic;
      nic.attach(this.external);
      this.hosts.push(host);
    }
    for (const host of this.hosts) {
      this.conditioners.set(host.name, host.condition());
      this.tables.set(host.name, new SocketTable(host, (e) => this.appListeners.forEach((l) => l(e))));
    }
  }

  /** Boots the hosts and starts the clock (after the caller has subscribed to the trace, so nothing is missed). */
  start(): this {
    this.driver.inject(() => this.hosts.forEach((h) => this.boot(h)), 'hosts up');
    this.driver.run();
    return this;
  }

  /** Interfaces up, services started, the chat port open: what a boot does. */
  private boot(h: Host): void {
    h.up();
    startServices(h);
    this.startDns(h);
    this.startHttp(h);
    this.table(h.name).listen(CHAT_PORT);
  }

  private startDns(h: Host): void {
    this.dns.set(h.name, startLabDns(h, LAB_DNS_HOSTS, (a) => h.ip.isLocal(a)));
  }

  private dnsOf(name: string): LabDns {
    const d = this.dns.get(name);
    if (!d) throw new Error(`${name} has no DNS running yet; start the lab first.`);
    return d;
  }

  // ---- DNS ----

  /**
   * Looks a name up from a host: 'stub' asks the peer's server (one query),
   * 'iterative' walks root -> lab. -> the zone's server itself. Resolves with
   * the answer or a typed error, and every query made (`steps`).
   */
  resolve(host: string, name: string, options: Omit<LookupOptions, 'onStep'> = {}, onStep?: LookupOptions['onStep']): Promise<Resolution> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          this.dnsOf(host).resolver.lookup(name, { ...options, onStep }, resolve);
        } catch (err) {
          reject(err instanceof Error ? new Error(err.message) : new Error(String(err)));
        }
      }, `resolve ${name} from ${host}`);
    });
  }

  /** What a host's resolver has cached, with the seconds left. */
  dnsCache(host: string): CacheEntrySnapshot[] {
    return this.dnsOf(host).resolver.cacheSnapshot();
  }

  /** Empties a host's resolver cache (and its recursive server's), e.g. before an iterative demo. */
  flushDns(host: string): void {
    const d = this.dnsOf(host);
    this.driver.inject(() => {
      d.resolver.flush();
      d.recursor.flush();
    }, `flush DNS cache of ${host}`);
  }

  // ---- the mini browser's HTTP client ----

  private browser(name: string): LabBrowser {
    let b = this.browsers.get(name);
    if (b) return b;
    const h = this.host(name);
    const state: LabBrowser = { client: undefined as unknown as HttpClient, dnsMode: 'stub', lookups: new Map() };
    state.client = new HttpClient(h, {
      // Names go through this host's DNS resolver (stub or iterative, as the browser asks); the answer is
      // kept so the page can show the queries behind the waterfall's DNS bar.
      resolve: (host, done) =>
        this.dnsOf(name).resolver.lookup(host, { mode: state.dnsMode }, (r) => {
          state.lookups.set(host.toLowerCase(), r);
          done(r.ok ? { ok: true, addr: r.addresses[0]! } : { ok: false, error: r.error.message });
        }),
    });
    this.browsers.set(name, state);
    return state;
  }

  /**
   * Fetches a URL with `host`'s HTTP client; `onExchange` sees every phase of
   * every request (redirects included) for a live waterfall. Always resolves:
   * a failure is `ok: false` with a sentence. `dns` holds the lookups made for
   * the names in the chain.
   */
  httpFetch(
    host: string,
    url: string,
    options: { dnsMode?: ResolveMode; pool?: boolean; cache?: HttpFetchInit['cache']; method?: string; keepBody?: boolean; marks?: boolean },
    onExchange: (x: HttpExchange) => void,
  ): Promise<HttpFetchResult & { dns: Resolution[] }> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          const b = this.browser(host);
          if (options.dnsMode) b.dnsMode = options.dnsMode;
          if (options.pool !== undefined && options.pool !== b.client.options.pool) b.client.setPool(options.pool);
          b.lookups.clear();
          const marks = options.marks ? this.phaseMarks(host) : undefined;
          const seen = marks ? (x: HttpExchange) => (marks.exchange(x), onExchange(x)) : onExchange;
          b.client.request(url, { method: options.method, cache: options.cache, keepBody: options.keepBody, onExchange: seen }, (r) => {
            marks?.done();
            resolve({ ...r, dns: [...b.lookups.values()] });
          });
        } catch (err) {
          reject(err instanceof Error ? new Error(err.message) : new Error(String(err)));
        }
      }, `fetch ${url} from ${host}`);
    });
  }

  /**
   * Marks the phases of a page load in the trace as they begin (AppEvent):
   * the DNS lookup, ARP for the next hop, the handshake, the request, the
   * response and the close, each once per exchange. The page adds "render".
   */
  private phaseMarks(host: string): { exchange(x: HttpExchange): void; done(): void } {
    const h = this.host(host);
    const mark = (phase: AppEvent['phase'], detail: string) => h.ctx.emit({ type: 'app', t: h.ctx.now, host, phase, detail });
    const marked = new Set<string>();
    const once = (key: string, phase: AppEvent['phase'], detail: string) => {
      if (marked.has(key)) return;
      marked.add(key);
      mark(phase, detail);
    };
    // ARP is asked by the IP layer on the way to the handshake: watch for this host's question.
    const stop = this.tracer.subscribe((e) => {
      if (e.type === 'arp' && e.host === host && e.what === 'request-sent') once(`arp ${e.ip}`, 'arp', `who has ${formatIpv4(e.ip)}?`);
    });
    return {
      exchange: (x) => {
        const tm = x.timing;
        const name = (() => {
          try {
            return new URL(x.url).hostname;
          } catch {
            return x.url;
          }
        })();
        if (tm.dnsStart !== undefined) once(`dns ${name}`, 'dns', name);
        if (tm.connectStart !== undefined) once(`connect ${x.id}`, 'connect', x.conn ?? name);
        if (tm.requestSent !== undefined) once(`request ${x.id}`, 'request', `${x.method} ${x.url}`);
        if (tm.firstByte !== undefined) once(`response ${x.id}`, 'response', `${x.status ?? ''} ${x.statusText ?? ''}`.trim());
        if (tm.connClosed !== undefined) once(`close ${x.connId ?? x.id}`, 'close', x.conn ?? '');
      },
      done: stop,
    };
  }

  /** A phase the page reports (the page has been rendered), marked in the trace like the others. */
  mark(host: string, phase: AppEvent['phase'], detail: string): void {
    const h = this.host(host);
    this.driver.inject(() => h.ctx.emit({ type: 'app', t: h.ctx.now, host, phase, detail }), `mark ${phase} on ${host}`);
  }

  /**
   * Forgets what makes a second page load quick, so the next one shows every
   * step: the host's DNS caches, the browser's cache and open connections,
   * and (once those connections have finished closing, so their last segments
   * do not ask ARP again) its ARP cache. Resolves when all of it is done.
   */
  coldStart(host: string): Promise<void> {
    const h = this.host(host);
    return new Promise((resolve) => {
      this.driver.inject(() => {
        const d = this.dns.get(host);
        const b = this.browsers.get(host);
        d?.resolver.flush();
        d?.recursor.flush();
        b?.client.clearCache();
        b?.client.closeAll();
        const closing = () => h.tcp.connections().some((c) => c.remotePort === 80 && c.state !== 'CLOSED' && c.state !== 'TIME_WAIT');
        const settle = (waited: number) => {
          if (closing() && waited < 5000) {
            h.ctx.scheduler.after(20, () => settle(waited + 20), 'cold start: connections closing');
            return;
          }
          for (const i of h.ip.interfaces) i.arp.flush();
          resolve();
        };
        settle(0);
      }, `cold start of ${host}`);
    });
  }

  /** The browser client's counters (handshakes made, requests, reuse, cache) and its open connections. */
  httpStats(host: string): HttpClientStats & { open: number; idle: number } {
    const b = this.browsers.get(host);
    const conns = b?.client.connections() ?? [];
    const stats = b?.client.stats ?? { handshakes: 0, connectionsOpened: 0, requests: 0, reusedRequests: 0, cacheHits: 0, revalidated: 0 };
    return { ...stats, open: conns.length, idle: conns.filter((c) => c.idle).length };
  }

  /** Forgets the browser's cache and closes its idle connections (a fresh start for a comparison). */
  httpReset(host: string): void {
    const b = this.browsers.get(host);
    if (!b) return;
    this.driver.inject(() => {
      b.client.clearCache();
      b.client.closeAll();
      for (const k of Object.keys(b.client.stats) as (keyof HttpClientStats)[]) b.client.stats[k] = 0;
    }, `reset the browser of ${host}`);
  }

  /** The paths of a host's own web site that a person can edit. */
  sitePages(host: string): string[] {
    return this.httpServers.get(host)?.pages() ?? [];
  }

  getPage(host: string, path: string): string | undefined {
    return this.httpServers.get(host)?.getPage(path);
  }

  /** Serves new HTML at `path` of a host's site from now on. */
  setPage(host: string, path: string, html: string): void {
    const server = this.httpServers.get(host);
    if (!server) throw new Error(`There is no web server on "${host}".`);
    this.driver.inject(() => server.setPage(path, html), `edit ${path} on ${host}`);
  }

  /** Starts the host's web server; after a crash, the pages a person edited are served again. */
  private startHttp(h: Host): void {
    const old = this.httpServers.get(h.name);
    const server = startHttpServer(h);
    if (old) for (const path of old.pages()) server.setPage(path, old.getPage(path)!);
    this.httpServers.set(h.name, server);
  }

  private table(name: string): SocketTable {
    const t = this.tables.get(name);
    if (!t) throw new Error(`There is no host called "${name}" in this lab.`);
    return t;
  }

  /** Runs a command as a stack event and resolves with its result (or its error). */
  private command<T>(label: string, fn: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err instanceof Error ? new Error(err.message) : new Error(String(err)));
        }
      }, label);
    });
  }

  // ---- pair mode: the frame channel ----

  /** A frame from the peer tab (untrusted: the NIC and parsers check it). */
  deliver(frame: Uint8Array): void {
    const ext = this.external;
    if (ext) this.driver.inject(() => ext.deliver(frame), 'frame from peer');
  }

  /** The page's data channel opened or closed. */
  setCarrier(up: boolean): void {
    const ext = this.external;
    if (!ext) return;
    this.driver.inject(() => {
      const was = ext.up;
      ext.setCarrier(up);
      // Like Linux with arp_notify=1: a gratuitous ARP when the carrier comes up, so the peer learns our MAC at once.
      if (up && !was) this.hosts[0]?.iface().arp.announce();
    }, up ? 'channel open' : 'channel closed');
  }

  /** The page has drained this many bytes into the channel since it opened (running total). */
  reportDrained(total: number): void {
    const ext = this.external;
    if (ext) this.driver.inject(() => ext.drained(total), 'channel drained');
  }

  /** The page dropped frames we sent (channel buffer over threshold, or no channel). */
  reportDropped(count: number, reason: 'busy' | 'down'): void {
    const ext = this.external;
    if (ext) this.driver.inject(() => ext.reportDropped(count, reason), 'page drops');
  }

  // ---- sockets (the TCP console) ----

  subscribeSockets(listener: (e: SocketTableEvent) => void): () => void {
    this.appListeners.add(listener);
    return () => this.appListeners.delete(listener);
  }

  connect(host: string, dst: string, port: number): Promise<number> {
    const addr = requireAddress(dst);
    return this.command(`connect from ${host}`, () => this.table(host).connect(addr, port));
  }

  listen(host: string, port: number): Promise<void> {
    return this.command(`listen on ${host}`, () => this.table(host).listen(port));
  }

  unlisten(host: string, port: number): Promise<void> {
    return this.command(`stop listening on ${host}`, () => this.table(host).unlisten(port));
  }

  send(host: string, id: number, bytes: Uint8Array): Promise<number> {
    return this.command(`send on ${host}`, () => this.table(host).send(id, bytes));
  }

  shutdown(host: string, id: number): Promise<void> {
    return this.command(`shutdown on ${host}`, () => this.table(host).shutdown(id));
  }

  close(host: string, id: number): Promise<void> {
    return this.command(`close on ${host}`, () => this.table(host).close(id));
  }

  abort(host: string, id: number): Promise<void> {
    return this.command(`abort on ${host}`, () => this.table(host).abort(id));
  }

  /** Every TCP connection of a host with its TCP_INFO-like snapshot. */
  connections(host: string): ConnectionSnapshot[] {
    return this.host(host)
      .tcp.connections()
      .map((s) => ({ host, conn: s.name, ...s.info() }));
  }

  /** A bulk transfer to a peer's echo or discard service; resolves with the result. */
  bulk(host: string, dst: string, port: number, bytes: number, mode: BulkMode, onEvent: (e: BulkEvent) => void): Promise<BulkResult> {
    const addr = requireAddress(dst);
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          const run = startBulk(this.host(host), { dst: addr, port, bytes, mode }, (e) => {
            onEvent(e);
            if (e.kind === 'done') {
              if (this.bulks.get(host) === run) this.bulks.delete(host);
              resolve(e);
            }
          });
          this.bulks.set(host, run);
        } catch (err) {
          reject(err instanceof Error ? new Error(err.message) : new Error(String(err)));
        }
      }, `bulk from ${host}`);
    });
  }

  /** Stops `host`'s bulk transfer (its connection is reset); its promise resolves with a "cancelled" result. */
  cancelBulk(host: string): void {
    const run = this.bulks.get(host);
    if (run) this.driver.inject(() => run.cancel(), `cancel bulk from ${host}`);
  }

  host(name: string): Host {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`There is no host called "${name}" in this lab.`);
    return h;
  }

  describeHosts(): HostSummary[] {
    return this.hosts.map((h) => {
      const i = h.iface();
      return { name: h.name, mac: i.mac, address: i.addr, prefixLen: i.prefixLen, mtu: i.mtu };
    });
  }

  /** Starts ping(8) from a host; resolves with the summary when it finishes. */
  ping(from: string, dst: string, count: number, onEvent: (e: PingEvent) => void): Promise<PingSummary> {
    return new Promise((resolve, reject) => {
      this.driver.inject(() => {
        try {
          this.host(from).ping(dst, { count, intervalMs: 1000 }, (e) => {
            onEvent(e);
            if (e.kind === 'done') resolve(e.summary);
          });
        } catch (err) {
          reject(err);
        }
      }, `ping from ${from}`);
    });
  }

  state(): DriverState {
    return this.driver.state();
  }

  counters(name: string): CountersSnapshot {
    return this.host(name).counters.snapshot();
  }

  /** A host's interfaces, routes, ARP cache, counters and listening sockets. */
  hostTables(name: string): HostTables {
    return this.host(name).tables();
  }

  arp(name: string): ArpEntrySnapshot[] {
    return this.host(name).iface().arp.snapshot();
  }

  /** The frames one host captured (tx and rx), as a pcap file. */
  pcap(name: string, epochMs: number): Uint8Array {
    return this.frames.toPcap((r) => r.host === name, { epochMs });
  }

  // ---- the link conditioner (each host owns its outgoing direction) ----

  conditioner(name: string): Conditioner {
    const c = this.conditioners.get(name);
    if (!c) throw new Error(`There is no host called "${name}" in this lab.`);
    return c;
  }

  /** Changes one direction's settings live, as commands do: through the driver, so they are ordered with events. */
  configure(name: string, patch: Partial<ConditionerSettings>): ConditionerSettings {
    const c = this.conditioner(name);
    this.driver.inject(() => c.configure(patch), `conditioner ${name}`);
    return { ...c.current, ...patch };
  }

  preset(name: string, preset: PresetName): ConditionerSettings {
    const settings = PRESETS[preset];
    if (!settings) throw new Error(`There is no preset called "${preset}".`);
    const unplugged = this.conditioner(name).current.unplugged;
    return this.configure(name, { ...settings, unplugged });
  }

  fates(name: string): FateCounters {
    return { ...this.conditioner(name).counters };
  }

  /** Pulls (or plugs back) the cable: every frame both ways is lost. */
  unplug(unplugged: boolean): void {
    // In a pairing each tab owns its egress: pulling the cable here stops ours (the peer does the same on its side).
    for (const name of this.conditioners.keys()) this.configure(name, { unplugged });
  }

  /** The host crashes and reboots: ARP cache, fragments and sockets are gone. */
  crash(name: string): void {
    const h = this.host(name);
    const table = this.table(name);
    this.driver.inject(() => {
      this.httpServers.get(name)?.halt();
      h.restart();
      table.forgetAll();
      startServices(h);
      this.startDns(h);
      this.startHttp(h);
      // The browser's connections and cache died with the host.
      this.browsers.delete(name);
      table.listen(CHAT_PORT);
    }, `crash ${name}`);
  }

  hold(name: string, count: number, filter: FrameFilter = {}): number {
    return this.conditioner(name).hold(count, filter);
  }

  cancelHold(name: string, ruleId: number): void {
    this.conditioner(name).cancelHold(ruleId);
  }

  inFlight(name: string): InFlightFrame[] {
    return this.conditioner(name).inFlight();
  }

  act(name: string, id: number, action: FrameAction): void {
    const c = this.conditioner(name);
    this.driver.inject(() => c.act(id, action), `fate of frame ${id}`);
  }

  subscribe(listener: (e: TraceEvent) => void): () => void {
    return this.tracer.subscribe(listener);
  }
}

function requireAddress(text: string): number {
  const a = parseIpv4Text(text.trim());
  if (a === undefined) throw new Error(`"${text}" is not an IPv4 address (write it like 10.0.0.2).`);
  return a;
}

interface LabBrowser {
  client: HttpClient;
  dnsMode: ResolveMode;
  /** The lookups made for the current fetch, by name. */
  lookups: Map<string, Resolution>;
}
