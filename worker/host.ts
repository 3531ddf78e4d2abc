/**
 * A host: NICs, IPv4 (with ARP, ICMP, fragmentation), UDP, composed.
 *
 * This file sits above the layers (it may import any of them); each layer below
 * only knows its neighbours. Everything a host does runs on the injected
 * scheduler and RNG, so two hosts built with the same seed and fed the same
 * frames behave identically.
 */

import { parseCidr, parseIpv4, parseMac, type Ipv4Addr, type Mac } from './wire/addr';
import type { Rng } from './sim/rng';
import type { Scheduler } from './sim/scheduler';
import { StackContext } from './trace/context';
import { Tracer } from './trace/events';
import { Nic } from './link/nic';
import { Conditioner, type ConditionerSettings } from './link/conditioner';
import type { ArpOptions } from './net/arp-cache';
import type { Interface } from './net/interface';
import { Ipv4Layer } from './net/ipv4';
import { PingSession, type PingEvent, type PingOptions } from './net/ping';
import type { ReassemblyOptions } from './net/reassembly';
import { Udp } from './transport/udp';
import { Tcp } from './transport/tcp/tcp';
import type { TcpConfig } from './transport/tcp/config';
import type { ArpEntrySnapshot } from './net/arp-cache';
import type { CountersSnapshot } from './trace/counters';

/**
 * What `ip addr`, `ip route`, `ip neigh`, `nstat` and `ss -lu` would print for
 * a host: plain data for the tables panel.
 */
export interface HostTables {
  /** Stack time of the snapshot, ms. */
  now: number;
  interfaces: { name: string; mac: Mac; address: Ipv4Addr; prefixLen: number; mtu: number; up: boolean; queued: number; queueCapacity: number }[];
  /** In lookup order (longest prefix first). */
  routes: { dest: Ipv4Addr; prefixLen: number; gateway: Ipv4Addr | undefined; iface: string; source: Ipv4Addr }[];
  arp: (ArpEntrySnapshot & { iface: string })[];
  counters: CountersSnapshot;
  tcpListeners: { port: number; backlog: number; synQueue: number; acceptQueue: number; synDrops: number; cookiesSent: number }[];
  udpSockets: { address: Ipv4Addr; port: number; received: number; sent: number }[];
}

export interface InterfaceConfig {
  /** Default eth0, eth1, ... */
  name?: string;
  /** 48-bit number or text such as "02:00:00:00:00:01". */
  mac: Mac | string;
  /** Address and prefix, e.g. "10.0.0.1/24". */
  address: string;
  /** Secondary addresses on the same subnet, e.g. ["10.0.0.11"]: ARP answers for them, IPv4 delivers to them, new traffic leaves from `address`. */
  aliases?: readonly string[];
  /** IP MTU, 576..16000. Default 1500. */
  mtu?: number;
  /** NIC egress queue, frames. Default 1000. */
  queueFrames?: number;
}

export interface HostConfig {
  name: string;
  interfaces: InterfaceConfig[];
  /** Default gateway, e.g. "10.0.0.254". */
  gateway?: string;
  /** Forward packets between interfaces (act as a router). Default false. */
  forwarding?: boolean;
  /** TTL of packets we originate. Default 64. */
  ttl?: number;
  arp?: Partial<ArpOptions>;
  reassembly?: Partial<ReassemblyOptions>;
  /** Host-wide TCP defaults (each socket may override). */
  tcp?: Partial<TcpConfig>;
}

export interface HostDeps {
  scheduler: Scheduler;
  /** This host's randomness (ISNs, ephemeral ports, IP ids): fork one per host from the run's seed. */
  rng: Rng;
  /** Shared trace output; a host of its own if omitted. */
  tracer?: Tracer;
}

export class Host {
  readonly ctx: StackContext;
  readonly ip: Ipv4Layer;
  readonly udp: Udp;
  readonly tcp: Tcp;
  readonly nics: Nic[] = [];
  /** Link conditioners on this host's egress (see condition()). */
  readonly conditioners: Conditioner[] = [];

  constructor(
    readonly config: HostConfig,
    deps: HostDeps,
  ) {
    this.ctx = new StackContext(config.name, deps.scheduler, deps.rng, deps.tracer ?? new Tracer());
    this.ip = new Ipv4Layer(this.ctx, {
      forwarding: config.forwarding ?? false,
      defaultTtl: config.ttl,
      reassembly: config.reassembly as ReassemblyOptions | undefined,
      arp: config.arp,
    });
    config.interfaces.forEach((ic, i) => {
      const mac = typeof ic.mac === 'number' ? ic.mac : parseMac(ic.mac);
      if (mac === undefined) throw new Error(`Interface ${i} of ${config.name}: "${ic.mac}" is not a MAC address (write it like 02:00:00:00:00:01).`);
      const cidr = parseCidr(ic.address);
      if (!cidr) throw new Error(`Interface ${i} of ${config.name}: "${ic.address}" is not an address with a prefix (write it like 10.0.0.1/24).`);
      const nic = new Nic(this.ctx, { mac, mtu: ic.mtu, name: ic.name ?? `eth${i}`, queueFrames: ic.queueFrames });
      this.nics.push(nic);
      const iface = this.ip.addInterface(nic, cidr.addr, cidr.prefixLen);
      for (const alias of ic.aliases ?? []) iface.addAlias(requireIpv4(alias, `secondary address of interface ${i}`));
    });
    if (config.gateway !== undefined) this.ip.setGateway(requireIpv4(config.gateway, 'gateway'));
    this.udp = new Udp(this.ctx, this.ip);
    this.tcp = new Tcp(this.ctx, this.ip, config.tcp);
  }

  get name(): string {
    return this.ctx.hostName;
  }

  get tracer(): Tracer {
    return this.ctx.tracer;
  }

  get counters() {
    return this.ctx.counters;
  }

  /** The first interface's address. */
  get address(): Ipv4Addr {
    return this.ip.interfaces[0]?.addr ?? 0;
  }

  iface(name?: string): Interface {
    const i = name === undefined ? this.ip.interfaces[0] : this.ip.interfaces.find((x) => x.name === name);
    if (!i) throw new Error(`${this.name} has no interface ${name ?? ''}`.trim());
    return i;
  }

  /** Brings every interface up; each announces itself with a gratuitous ARP. */
  up(): this {
    for (const i of this.ip.interfaces) i.setUp(true);
    if (this.ctx.tracing) this.ctx.emit({ type: 'host', t: this.ctx.now, host: this.name, what: 'up', detail: this.ip.interfaces.map((i) => i.describe()).join(', ') });
    return this;
  }

  down(): this {
    for (const i of this.ip.interfaces) i.setUp(false);
    if (this.ctx.tracing) this.ctx.emit({ type: 'host', t: this.ctx.now, host: this.name, what: 'down', detail: '' });
    return this;
  }

  /**
   * A crash and reboot: every piece of state (ARP caches, fragments, sockets) is
   * lost; the host comes back up with the same addresses, optionally a new MAC.
   */
  restart(newMacs?: Mac[]): this {
    this.down();
    // Frames held or delayed on the way out die with the host.
    for (const c of this.conditioners) c.flush();
    this.ip.reset();
    this.udp.reset();
    this.tcp.reset();
    newMacs?.forEach((m, i) => {
      if (this.nics[i]) this.nics[i].mac = m;
    });
    return this.up();
  }

  /**
   * Puts a link conditioner (netem) on an interface's egress, between its NIC
   * and the medium it is already attached to. Returns it for live settings.
   */
  condition(settings: Partial<ConditionerSettings> = {}, ifaceIndex = 0): Conditioner {
    const nic = this.nics[ifaceIndex];
    const medium = nic?.link;
    if (!nic || !medium) throw new Error(`${this.name}: interface ${ifaceIndex} is not attached to a link yet.`);
    const c = new Conditioner(this.ctx, medium, settings, nic.name);
    nic.attach(c);
    this.conditioners.push(c);
    return c;
  }

  /** The host's tables right now (see HostTables). */
  tables(): HostTables {
    const ip = this.ip;
    return {
      now: this.ctx.now,
      interfaces: ip.interfaces.map((i) => ({
        name: i.name,
        mac: i.mac,
        address: i.addr,
        prefixLen: i.prefixLen,
        mtu: i.mtu,
        up: i.up,
        queued: i.nic.queued,
        queueCapacity: i.nic.queueCapacity,
      })),
      routes: ip.routingTable.map((r) => ({ dest: r.dest, prefixLen: r.prefixLen, gateway: r.gateway, iface: r.iface.name, source: r.iface.addr })),
      arp: ip.interfaces.flatMap((i) => i.arp.snapshot().map((e) => ({ ...e, iface: i.name }))),
      counters: this.ctx.counters.snapshot(),
      tcpListeners: this.tcp
        .listening()
        .map((l) => ({ port: l.port, backlog: l.backlog, synQueue: l.halfOpenCount, acceptQueue: l.pending, synDrops: l.synDrops, cookiesSent: l.cookiesSent }))
        .sort((a, b) => a.port - b.port),
      udpSockets: this.udp
        .list()
        .map((u) => ({ address: u.localAddr, port: u.localPort, received: u.received, sent: u.sent }))
        .sort((a, b) => a.port - b.port),
    };
  }

  /** Starts a ping session (ping(8) semantics); events arrive on `onEvent`. */
  ping(dst: Ipv4Addr | string, options: PingOptions = {}, onEvent?: (e: PingEvent) => void): PingSession {
    const addr = typeof dst === 'number' ? dst : requireIpv4(dst, 'ping destination');
    return new PingSession(this.ctx, this.ip.icmp, addr, options, onEvent).start();
  }
}

function requireIpv4(text: string, what: string): Ipv4Addr {
  const a = parseIpv4(text);
  if (a === undefined) throw new Error(`The ${what} "${text}" is not an IPv4 address (write it like 10.0.0.2).`);
  return a;
}

