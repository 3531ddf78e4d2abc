/**
 * The host under test and the scripted wire it is plugged into.
 *
 * One host, "dut" 192.168.0.1/24 (MAC 02:00:00:00:00:01), whose only NIC is
 * attached to this harness instead of a segment. The script plays the peer,
 * 192.168.0.2 (MAC 02:00:00:00:00:02): the harness answers the host's ARP
 * requests for it (and pre-seeds the host's cache at time 0), so scripts speak
 * only TCP. Every frame the host sends is recorded with the virtual time it
 * left; TCP segments go to the runner, anything else is reported as unexpected.
 * Nothing here reads a real clock: the Scheduler is the only time there is.
 */

import { Host } from '../../../worker/host';
import { Rng } from '../../../worker/sim/rng';
import { Scheduler } from '../../../worker/sim/scheduler';
import type { LinkPort } from '../../../worker/link/port';
import type { TcpConfig } from '../../../worker/transport/tcp/config';
import { formatIpv4, MAC_BROADCAST, parseIpv4, parseMac, writeMac, type Ipv4Addr, type Mac } from '../../../worker/wire/addr';
import { emitArp, parseArp } from '../../../worker/wire/arp';
import { ETH, EtherType, parseEthernet } from '../../../worker/wire/ethernet';
import { IpProtocol, parseIpv4 as parseIpv4Packet, writeIpv4Header } from '../../../worker/wire/ipv4';
import { emitTcp, parseTcp, tcpEncodingLength, type TcpRepr } from '../../../worker/wire/tcp';
import { put16 } from '../../../worker/wire/bytes';

export const DUT_ADDR = '192.168.0.1';
export const PEER_ADDR = '192.168.0.2';
export const DUT_MAC_TEXT = '02:00:00:00:00:01';
export const PEER_MAC_TEXT = '02:00:00:00:00:02';

const DUT_IP = parseIpv4(DUT_ADDR)!;
const PEER_IP = parseIpv4(PEER_ADDR)!;
const DUT_MAC = parseMac(DUT_MAC_TEXT)!;
const PEER_MAC = parseMac(PEER_MAC_TEXT)!;

/** A TCP segment the host sent, with the virtual time it left the NIC. */
export interface Sent {
  t: number;
  src: Ipv4Addr;
  dst: Ipv4Addr;
  tcp: TcpRepr;
}

/** A frame the host sent that is neither TCP to the peer nor ARP. */
export interface OtherFrame {
  t: number;
  what: string;
}

export interface HarnessOptions {
  mtu: number;
  seed: number;
  /** Host-wide TCP defaults. */
  tcp?: Partial<TcpConfig>;
}

/** Long enough that the pre-seeded ARP entry never expires during a script (ten years). */
const ARP_FOREVER_MS = 10 * 365 * 86_400_000;

export class Harness implements LinkPort {
  readonly scheduler = new Scheduler();
  readonly host: Host;
  /** TCP segments sent and not yet consumed by the runner, oldest first. */
  readonly sent: Sent[] = [];
  readonly other: OtherFrame[] = [];
  onReady: (() => void) | undefined;
  readonly peerAddr = PEER_IP;
  readonly dutAddr = DUT_IP;
  private ident = 0;

  constructor(opts: HarnessOptions) {
    this.host = new Host(
      {
        name: 'dut',
        interfaces: [{ mac: DUT_MAC, address: `${DUT_ADDR}/24`, mtu: opts.mtu }],
        arp: { entryTimeoutMs: ARP_FOREVER_MS },
        tcp: opts.tcp,
      },
      { scheduler: this.scheduler, rng: new Rng(opts.seed) },
    );
    this.host.nics[0].attach(this);
    this.host.up();
    // The peer asks for us: RFC 826's merge rule creates its entry in our cache (the reply is ignored).
    this.host.nics[0].receive(this.arpFrame('request', DUT_IP, 0));
    this.sent.length = 0;
    this.other.length = 0;
  }

  // ---- LinkPort: frames from the host ----

  transmit(frame: Uint8Array): boolean {
    const t = this.scheduler.now;
    const eth = parseEthernet(frame);
    if (!eth.ok) {
      this.other.push({ t, what: `a malformed frame (${eth.error.detail})` });
      return true;
    }
    const e = eth.value;
    if (e.ethertype === EtherType.ARP) {
      const arp = parseArp(e.payload);
      // Answer requests for the peer at the same virtual instant (not re-entrantly).
      if (arp.ok && arp.value.operation === 'request' && arp.value.targetIp === PEER_IP) {
        this.scheduler.after(0, () => this.host.nics[0].receive(this.arpFrame('reply', arp.value.senderIp, arp.value.senderMac)), 'peer arp reply');
      }
      return true;
    }
    if (e.ethertype !== EtherType.IPV4) {
      this.other.push({ t, what: `a frame with EtherType 0x${e.ethertype.toString(16)}` });
      return true;
    }
    const ip = parseIpv4Packet(e.payload);
    if (!ip.ok) {
      this.other.push({ t, what: `a malformed IPv4 packet (${ip.error.detail})` });
      return true;
    }
    const p = ip.value;
    if (p.protocol !== IpProtocol.TCP || p.dst !== PEER_IP) {
      this.other.push({ t, what: `an IPv4 packet, protocol ${p.protocol}, ${formatIpv4(p.src)} > ${formatIpv4(p.dst)}, ${p.payload.length} bytes` });
      return true;
    }
    const tcp = parseTcp(p.payload, 0, p.payload.length, { src: p.src, dst: p.dst });
    if (!tcp.ok) {
      this.other.push({ t, what: `a malformed TCP segment (${tcp.error.detail})` });
      return true;
    }
    this.sent.push({ t, src: p.src, dst: p.dst, tcp: tcp.value });
    return true;
  }

  ready(): boolean {
    return true;
  }

  // ---- frames from the peer ----

  /** Delivers a TCP segment from the peer to the host now. */
  injectTcp(repr: TcpRepr): void {
    const tcpLen = tcpEncodingLength(repr);
    const ipLen = 20 + tcpLen;
    const frame = new Uint8Array(Math.max(ETH.MIN_FRAME, ETH.HEADER_LEN + ipLen));
    emitTcp(repr, frame, ETH.HEADER_LEN + 20, { src: PEER_IP, dst: DUT_IP });
    writeIpv4Header(frame, ETH.HEADER_LEN, {
      headerLen: 20,
      totalLen: ipLen,
      src: PEER_IP,
      dst: DUT_IP,
      protocol: IpProtocol.TCP,
      ttl: 64,
      ident: this.ident++ & 0xffff,
      dontFrag: true,
      moreFrags: false,
      fragOffset: 0,
    });
    this.ethHeader(frame, DUT_MAC, EtherType.IPV4);
    this.host.nics[0].receive(frame);
  }

  private arpFrame(operation: 'request' | 'reply', targetIp: Ipv4Addr, targetMac: Mac): Uint8Array {
    const frame = new Uint8Array(ETH.MIN_FRAME);
    emitArp({ operation, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac, targetIp }, frame, ETH.HEADER_LEN);
    this.ethHeader(frame, operation === 'request' ? MAC_BROADCAST : targetMac, EtherType.ARP);
    return frame;
  }

  private ethHeader(frame: Uint8Array, dst: Mac, ethertype: number): void {
    writeMac(frame, ETH.DST, dst);
    writeMac(frame, ETH.SRC, PEER_MAC);
    put16(frame, ETH.ETHERTYPE, ethertype);
  }
}
