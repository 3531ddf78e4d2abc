/**
 * An IPv4 interface: a NIC plus an address/prefix and its ARP cache.
 *
 * Besides its primary address an interface may hold secondary addresses on
 * the same subnet (`ip addr add 10.0.0.11/24 dev eth0` on Linux): ARP answers
 * for them and IPv4 delivers packets sent to them, but new traffic still
 * leaves from the primary (source selection, RFC 1122 3.3.4.3). The lab's DNS
 * root and TLD servers live on such addresses.
 *
 * Ingress: validates the Ethernet header, keeps frames for our MAC or broadcast
 * (on a shared segment every host sees every frame and ignores the rest), and
 * hands ARP and IPv4 to their handlers. Egress: resolves the next hop's MAC and
 * writes the Ethernet header into the frame's headroom.
 */

import { formatIpv4, MAC_BROADCAST, prefixMask, sameSubnet, subnetBroadcast, type Ipv4Addr, type Mac } from '../wire/addr';
import { ArpView } from '../wire/arp';
import { ETH, EtherType, EthernetView } from '../wire/ethernet';
import { writeMac } from '../wire/addr';
import { put16 } from '../wire/bytes';
import type { Nic } from '../link/nic';
import type { FrameSink } from '../link/port';
import type { StackContext } from '../trace/context';
import { ArpCache, DEFAULT_ARP_OPTIONS, type ArpOptions, type ArpOwner } from './arp-cache';

/** What an interface hands received IPv4 packets to. */
export interface Ipv4Input {
  receiveIpv4(iface: Interface, frame: Uint8Array, start: number, end: number, frameId: number, linkBroadcast: boolean): void;
  resolutionFailed(iface: Interface, nextHop: Ipv4Addr, packets: Uint8Array[]): void;
}

export class Interface implements FrameSink, ArpOwner {
  readonly arp: ArpCache;
  /** Secondary addresses, all on the primary's subnet. */
  readonly aliases: Ipv4Addr[] = [];
  private readonly eth = new EthernetView();
  private readonly arpView = new ArpView();

  constructor(
    private readonly ctx: StackContext,
    readonly nic: Nic,
    public addr: Ipv4Addr,
    public prefixLen: number,
    private readonly input: Ipv4Input,
    arpOptions: Partial<ArpOptions> = {},
  ) {
    this.arp = new ArpCache(ctx, this, { ...DEFAULT_ARP_OPTIONS, ...arpOptions });
    nic.sink = this;
  }

  get name(): string {
    return this.nic.name;
  }

  get mac(): Mac {
    return this.nic.mac;
  }

  get mtu(): number {
    return this.nic.mtu;
  }

  get up(): boolean {
    return this.nic.up;
  }

  /** The directed broadcast address of our subnet, e.g. 10.0.0.255 for /24. */
  get broadcast(): Ipv4Addr {
    return subnetBroadcast(this.addr, this.prefixLen);
  }

  /** The primary or one of the secondary addresses. */
  hasAddress(ip: Ipv4Addr): boolean {
    if (ip === this.addr) return true;
    for (let i = 0; i < this.aliases.length; i++) if (this.aliases[i] === ip) return true;
    return false;
  }

  /** Adds a secondary address on the interface's subnet; throws a sentence for an impossible one. */
  addAlias(ip: Ipv4Addr): void {
    const what = formatIpv4(ip);
    if (this.hasAddress(ip)) throw new Error(`${what} is already an address of ${this.name}.`);
    if (!this.onLink(ip)) throw new Error(`${what} is not on ${this.name}'s subnet ${formatIpv4(this.addr)}/${this.prefixLen}; a secondary address must be.`);
    if (this.prefixLen < 31 && (this.isBroadcast(ip) || ip === ((this.addr & prefixMask(this.prefixLen)) >>> 0))) throw new Error(`${what} is the network or broadcast address of ${this.name}'s subnet and cannot be a host's address.`);
    this.aliases.push(ip);
  }

  removeAlias(ip: Ipv4Addr): void {
    const i = this.aliases.indexOf(ip);
    if (i >= 0) this.aliases.splice(i, 1);
  }

  onLink(ip: Ipv4Addr): boolean {
    return sameSubnet(ip, this.addr, this.prefixLen);
  }

  isBroadcast(ip: Ipv4Addr): boolean {
    return ip === 0xffff_ffff || (this.prefixLen < 31 && ip === this.broadcast);
  }

  /** Brings the interface up and announces our MAC (gratuitous ARP). */
  setUp(up: boolean): void {
    this.nic.setUp(up);
    if (up) this.arp.announce();
    else this.arp.flush();
  }

  // ---- ingress ----

  receive(frame: Uint8Array): void {
    const ctx = this.ctx;
    const eth = this.eth.wrap(frame);
    const dst = frame.length >= 6 ? eth.dst : -1;
    // Non-promiscuous filter: only our unicast MAC and broadcast (IEEE 802.3 4.2.4.1.2).
    if (dst !== this.mac && dst !== MAC_BROADCAST) {
      ctx.drop('ethernet', 'not-for-us', `destination MAC is neither ${this.name}'s nor broadcast`, undefined, frame.length);
      return;
    }
    const id = ctx.nextFrameId();
    ctx.counters.inc('ethernet', 'rx');
    if (ctx.tracing) ctx.emit({ type: 'frame', t: ctx.now, host: ctx.hostName, iface: this.name, dir: 'rx', id, frame });
    const e = eth.check();
    if (e) {
      ctx.drop('ethernet', e.reason, e.detail, id, frame.length);
      return;
    }
    switch (eth.ethertype) {
      case EtherType.ARP: {
        const arp = this.arpView.wrap(frame, eth.payloadStart, eth.payloadEnd);
        const ae = arp.check();
        if (ae) ctx.drop('arp', ae.reason, ae.detail, id, frame.length);
        else this.arp.receive(arp);
        return;
      }
      case EtherType.IPV4:
        this.input.receiveIpv4(this, frame, eth.payloadStart, eth.payloadEnd, id, dst === MAC_BROADCAST);
        return;
      default:
        ctx.drop('ethernet', 'unsupported', `EtherType 0x${eth.ethertype.toString(16).padStart(4, '0')} is not spoken here (only IPv4 and ARP)`, id, frame.length);
    }
  }

  // ---- egress ----

  /** Sends an IPv4 packet (in `frame` after 14 bytes of headroom) to a next hop on this link. */
  output(frame: Uint8Array, nextHop: Ipv4Addr): void {
    if (this.isBroadcast(nextHop)) {
      this.sendFrame(frame, MAC_BROADCAST, EtherType.IPV4);
      return;
    }
    this.arp.sendIpv4(nextHop, frame);
  }

  /** ArpOwner: writes the Ethernet header and queues the frame on the NIC. */
  sendFrame(frame: Uint8Array, dst: Mac, ethertype: number): void {
    writeMac(frame, ETH.DST, dst);
    writeMac(frame, ETH.SRC, this.mac);
    put16(frame, ETH.ETHERTYPE, ethertype);
    if (ethertype === EtherType.IPV4) this.ctx.counters.inc('ethernet', 'tx');
    this.nic.send(frame);
  }

  /** ArpOwner */
  resolutionFailed(ip: Ipv4Addr, packets: Uint8Array[]): void {
    this.input.resolutionFailed(this, ip, packets);
  }

  describe(): string {
    const extra = this.aliases.map((a) => ` + ${formatIpv4(a)}`).join('');
    return `${this.name} ${formatIpv4(this.addr)}/${this.prefixLen}${extra}`;
  }
}
