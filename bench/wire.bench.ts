/** Codec and checksum speed: the per-frame costs every layer pays. */
import { checksum } from '../worker/wire/checksum';
import { EthernetView, emitEthernet } from '../worker/wire/ethernet';
import { Ipv4View, emitIpv4 } from '../worker/wire/ipv4';
import { UdpView, emitUdp } from '../worker/wire/udp';
import { TcpOptionsScratch, TcpView, emitTcp, parseTcp, readTcpOptions } from '../worker/wire/tcp';
import { Scheduler } from '../worker/sim/scheduler';
import { bench, type BenchResult } from './harness';

export function wireBenchmarks(): BenchResult[] {
  const results: BenchResult[] = [];
  const gbit = (bytes: number) => (ops: number) => ({ 'Gbit/s': (ops * bytes * 8) / 1e9 });

  const buf1500 = new Uint8Array(1500).map((_, i) => i * 31);
  results.push(bench('checksum 1500 B', () => void checksum(buf1500, 0, 1500), { extra: gbit(1500) }));

  // A UDP frame: Ethernet + IPv4 + UDP + 1472 bytes.
  const src = 0x0a000001;
  const dst = 0x0a000002;
  const udpPayload = new Uint8Array(1472);
  const frame = new Uint8Array(1514);
  emitUdp({ srcPort: 40000, dstPort: 7, payload: udpPayload }, frame, 34, { src, dst });
  emitIpv4({ src, dst, protocol: 17, ttl: 64, ident: 1, dscp: 0, ecn: 0, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0), payload: frame.subarray(34) }, frame, 14);
  emitEthernet({ dst: 2, src: 1, ethertype: 0x0800, payload: frame.subarray(14) }, frame, 0);
  const eth = new EthernetView();
  const ip = new Ipv4View();
  const udp = new UdpView();
  const ph = { src, dst };
  results.push(
    bench(
      'rx views: eth+ipv4+udp check (1514 B, checksums verified)',
      () => {
        eth.wrap(frame).check();
        ip.wrap(frame, 14).check();
        udp.wrap(frame, 34, ip.payloadEnd).check(ph);
      },
      { extra: gbit(1514) },
    ),
  );

  // A TCP data segment with timestamps.
  const tcpFrame = new Uint8Array(20 + 12 + 1448);
  emitTcp({ srcPort: 1, dstPort: 2, seq: 1, ack: 1, flags: 0x18, window: 1000, urgent: 0, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsVal: 1, tsEcr: 2 }], payload: new Uint8Array(1448) }, tcpFrame, 0, ph);
  const tcp = new TcpView();
  const scratch = new TcpOptionsScratch();
  results.push(bench('tcp view check + options (hot path, 1480 B)', () => {
    tcp.wrap(tcpFrame).check(ph);
    readTcpOptions(tcpFrame, tcp.optionsStart, tcp.payloadStart, scratch);
  }, { extra: gbit(1480) }));
  results.push(bench('tcp parse to repr (slow path, for the UI)', () => void parseTcp(tcpFrame, 0, tcpFrame.length, ph)));

  const s = new Scheduler();
  const timers = Array.from({ length: 1000 }, (_, i) => s.timer(() => {}, `t${i}`));
  timers.forEach((t, i) => t.set(i));
  let k = 0;
  results.push(bench('scheduler: re-arm 1 of 1000 timers', () => {
    k = (k + 1) % 1000;
    timers[k].set(s.now + 1000 + (k * 7919) % 1000);
  }));
  return results;
}
