/**
 * A SYN captured from a real Linux kernel (6.18), not written by us: the
 * strongest golden bytes we have. Captured with tshark on a veth pair between
 * two network namespaces (10.77.0.1 -> 10.77.0.2:80, tcp_rmem max 32 MiB so
 * Linux advertises window scale 10, and transmit checksum offload switched off
 * with ethtool so the kernel fills in the TCP checksum instead of leaving it to
 * a NIC that a veth does not have), saved as test/fixtures/linux-6.18-syn.pcap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEthernet, emitEthernet } from '../../../worker/wire/ethernet';
import { parseIpv4, emitIpv4 } from '../../../worker/wire/ipv4';
import { parseTcp, emitTcp, TcpFlag, formatOptions } from '../../../worker/wire/tcp';
import { parsePcap } from '../../../worker/trace/pcap';

// prettier-ignore
const LINUX_SYN = new Uint8Array([
  // Ethernet II
  0xfe, 0x60, 0xb2, 0x93, 0xc1, 0x47, // destination MAC fe:60:b2:93:c1:47 (the veth peer)
  0xde, 0xc9, 0x9c, 0x8e, 0xa1, 0x23, // source MAC de:c9:9c:8e:a1:23
  0x08, 0x00,                         // EtherType IPv4
  // IPv4
  0x45,                               // version 4, IHL 5 (20 bytes)
  0x00,                               // DSCP 0, ECN 0
  0x00, 0x3c,                         // total length 60
  0x84, 0x6b,                         // identification 0x846b
  0x40, 0x00,                         // flags DF, fragment offset 0
  0x40,                               // TTL 64
  0x06,                               // protocol TCP
  0xa1, 0xb4,                         // header checksum 0xa1b4
  0x0a, 0x4d, 0x00, 0x01,             // source 10.77.0.1
  0x0a, 0x4d, 0x00, 0x02,             // destination 10.77.0.2
  // TCP
  0x84, 0x80,                         // source port 33920 (ephemeral)
  0x00, 0x50,                         // destination port 80
  0x98, 0xac, 0x8b, 0x79,             // sequence number (the ISN, RFC 6528)
  0x00, 0x00, 0x00, 0x00,             // acknowledgment number 0 (ACK not set)
  0xa0,                               // data offset 10 (40 bytes), reserved 0
  0x02,                               // flags SYN
  0xfa, 0xf0,                         // window 64240 (never scaled in a SYN, RFC 7323 2.2)
  0x40, 0xc1,                         // checksum 0x40c1 (complete: offload was off)
  0x00, 0x00,                         // urgent pointer 0
  0x02, 0x04, 0x05, 0xb4,             // MSS 1460
  0x04, 0x02,                         // SACK permitted
  0x08, 0x0a, 0x87, 0x92, 0xc7, 0x25, // timestamps: TSval 2274543397
  0x00, 0x00, 0x00, 0x00,             //             TSecr 0
  0x01,                               // NOP (pads the window scale option)
  0x03, 0x03, 0x0a,                   // window scale 10
]);

describe('a real Linux SYN', () => {
  it('is the frame stored in the pcap fixture', () => {
    const file = parsePcap(new Uint8Array(readFileSync(new URL('../../fixtures/linux-6.18-syn.pcap', import.meta.url))));
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    expect(file.value.records).toHaveLength(1);
    expect(file.value.records[0].frame).toEqual(LINUX_SYN);
    expect(LINUX_SYN.length).toBe(74);
  });

  it('parses through Ethernet, IPv4 and TCP with every checksum verified', () => {
    const eth = parseEthernet(LINUX_SYN);
    if (!eth.ok) throw new Error(eth.error.detail);
    expect(eth.value.ethertype).toBe(0x0800);
    const ip = parseIpv4(eth.value.payload);
    if (!ip.ok) throw new Error(ip.error.detail);
    expect(ip.value).toMatchObject({ src: 0x0a4d0001, dst: 0x0a4d0002, protocol: 6, ttl: 64, ident: 0x846b, dontFrag: true, moreFrags: false, fragOffset: 0 });
    const tcp = parseTcp(ip.value.payload, 0, ip.value.payload.length, { src: ip.value.src, dst: ip.value.dst });
    if (!tcp.ok) throw new Error(tcp.error.detail);
    expect(tcp.value).toMatchObject({ srcPort: 33920, dstPort: 80, seq: 0x98ac8b79, ack: 0, flags: TcpFlag.SYN, window: 64240, urgent: 0 });
    expect(tcp.value.options).toEqual([
      { kind: 'mss', value: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamp', tsVal: 2274543397, tsEcr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 10 },
    ]);
    expect(formatOptions(tcp.value.options)).toBe('mss 1460,sackOK,TS val 2274543397 ecr 0,nop,wscale 10');
  });

  it('re-emits byte-exact from its representations', () => {
    const eth = parseEthernet(LINUX_SYN);
    if (!eth.ok) throw new Error();
    const ip = parseIpv4(eth.value.payload);
    if (!ip.ok) throw new Error();
    const tcp = parseTcp(ip.value.payload, 0, ip.value.payload.length);
    if (!tcp.ok) throw new Error();
    const out = new Uint8Array(80).fill(0xaa);
    emitTcp(tcp.value, out, 3 + 14 + 20, { src: ip.value.src, dst: ip.value.dst });
    emitIpv4({ ...ip.value, payload: out.subarray(3 + 34, 3 + 74) }, out, 3 + 14);
    emitEthernet({ ...eth.value, payload: out.subarray(3 + 14, 3 + 74) }, out, 3);
    expect(out.subarray(3, 77)).toEqual(LINUX_SYN);
    expect([...out.subarray(0, 3), ...out.subarray(77)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
  });
});
