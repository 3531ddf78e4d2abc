/**
 * One-line summaries of frames, in the words packet analysers use
 * ("Who has 10.0.0.2? Tell 10.0.0.1", "Echo (ping) request id=0x1c2b, seq=1").
 * Protocol vocabulary is not translated. Bytes from a peer are untrusted, so
 * every branch copes with a parse error and says what was wrong.
 */

import { formatIpv4, formatMac, MAC_BROADCAST } from '../../worker/wire/addr';
import { parseArp } from '../../worker/wire/arp';
import { EtherType, parseEthernet } from '../../worker/wire/ethernet';
import { parseIcmp } from '../../worker/wire/icmp';
import { IpProtocol, parseIpv4 as parseIpv4Packet } from '../../worker/wire/ipv4';
import { flagsToString, parseTcp } from '../../worker/wire/tcp';
import { parseUdp, UdpView } from '../../worker/wire/udp';
import { icmpErrorMessage } from '../../worker/net/icmp';

export interface FrameSummary {
  protocol: string;
  source: string;
  destination: string;
  info: string;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };

export function summarizeFrame(frame: Uint8Array): FrameSummary {
  const eth = parseEthernet(frame);
  if (!eth.ok) return { protocol: 'Ethernet', source: '?', destination: '?', info: `Malformed: ${eth.error.detail}` };
  const e = eth.value;
  const macSrc = formatMac(e.src);
  const macDst = e.dst === MAC_BROADCAST ? 'Broadcast' : formatMac(e.dst);
  if (e.ethertype === EtherType.ARP) {
    const arp = parseArp(e.payload);
    if (!arp.ok) return { protocol: 'ARP', source: macSrc, destination: macDst, info: `Malformed: ${arp.error.detail}` };
    const a = arp.value;
    let info: string;
    if (a.operation === 'request' && a.senderIp === a.targetIp) info = `ARP Announcement for ${formatIpv4(a.senderIp)}`;
    else if (a.operation === 'request') info = `Who has ${formatIpv4(a.targetIp)}? Tell ${formatIpv4(a.senderIp)}`;
    else info = `${formatIpv4(a.senderIp)} is at ${formatMac(a.senderMac)}`;
    return { protocol: 'ARP', source: macSrc, destination: macDst, info };
  }
  if (e.ethertype !== EtherType.IPV4) return { protocol: `0x${e.ethertype.toString(16).padStart(4, '0')}`, source: macSrc, destination: macDst, info: 'EtherType not spoken here' };

  const ipr = parseIpv4Packet(e.payload);
  if (!ipr.ok) return { protocol: 'IPv4', source: macSrc, destination: macDst, info: `Malformed: ${ipr.error.detail}` };
  const ip = ipr.value;
  const src = formatIpv4(ip.src);
  const dst = formatIpv4(ip.dst);
  const pname = PROTOCOL_NAMES[ip.protocol] ?? `IP proto ${ip.protocol}`;
  if (ip.fragOffset > 0) {
    return { protocol: 'IPv4', source: src, destination: dst, info: `Fragment of ${pname} datagram id 0x${ip.ident.toString(16).padStart(4, '0')}, offset ${ip.fragOffset}, ${ip.payload.length} bytes${ip.moreFrags ? ', more follow' : ', last'}` };
  }
  const fragNote = ip.moreFrags ? ` [first fragment, id 0x${ip.ident.toString(16).padStart(4, '0')}]` : '';
  switch (ip.protocol) {
    case IpProtocol.ICMP: {
      const r = parseIcmp(ip.payload, 0, ip.payload.length, { checksum: !ip.moreFrags });
      if (!r.ok) return { protocol: 'ICMP', source: src, destination: dst, info: `Malformed: ${r.error.detail}` };
      const m = r.value;
      let info: string;
      switch (m.type) {
        case 'echo-request':
        case 'echo-reply':
          info = `Echo (ping) ${m.type === 'echo-request' ? 'request' : 'reply'}  id=0x${m.ident.toString(16).padStart(4, '0')}, seq=${m.seq}, ttl=${ip.ttl}`;
          break;
        case 'dest-unreachable':
          info = icmpErrorMessage(3, m.code, m.nextHopMtu);
          break;
        case 'time-exceeded':
          info = icmpErrorMessage(11, m.code);
          break;
        case 'other':
          info = `Type ${m.icmpType}, code ${m.code}`;
          break;
      }
      return { protocol: 'ICMP', source: src, destination: dst, info: info + fragNote };
    }
    case IpProtocol.UDP: {
      if (ip.moreFrags) {
        // A first fragment holds only part of the datagram: read the header, check nothing.
        if (ip.payload.length < 8) return { protocol: 'UDP', source: src, destination: dst, info: `Fragment too short for a UDP header${fragNote}` };
        const v = new UdpView().wrap(ip.payload);
        return { protocol: 'UDP', source: src, destination: dst, info: `${v.srcPort} → ${v.dstPort} Len=${v.length - 8}${fragNote}` };
      }
      const r = parseUdp(ip.payload, 0, ip.payload.length, ip.moreFrags ? undefined : { src: ip.src, dst: ip.dst });
      if (!r.ok) return { protocol: 'UDP', source: src, destination: dst, info: `Malformed: ${r.error.detail}` };
      return { protocol: 'UDP', source: src, destination: dst, info: `${r.value.srcPort} → ${r.value.dstPort} Len=${r.value.payload.length}${fragNote}` };
    }
    case IpProtocol.TCP: {
      const r = parseTcp(ip.payload, 0, ip.payload.length, { src: ip.src, dst: ip.dst });
      if (!r.ok) return { protocol: 'TCP', source: src, destination: dst, info: `Malformed: ${r.error.detail}` };
      const s = r.value;
      return { protocol: 'TCP', source: src, destination: dst, info: `${s.srcPort} → ${s.dstPort} ${flagsToString(s.flags)} Seq=${s.seq} Ack=${s.ack} Win=${s.window} Len=${s.payload.length}` };
    }
    default:
      return { protocol: pname, source: src, destination: dst, info: `${ip.payload.length} bytes` };
  }
}
