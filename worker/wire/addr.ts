/**
 * Addresses as plain numbers, so they compare with === and key Maps without allocation.
 *
 * - A MAC address is a 48-bit unsigned integer (exact in a JS number, < 2^53).
 * - An IPv4 address is a 32-bit unsigned integer.
 */

export type Mac = number;
export type Ipv4Addr = number;

export const MAC_BROADCAST: Mac = 0xffff_ffff_ffff;
export const MAC_ZERO: Mac = 0;
export const IPV4_ANY: Ipv4Addr = 0;
export const IPV4_BROADCAST: Ipv4Addr = 0xffff_ffff;

export function readMac(b: Uint8Array, o: number): Mac {
  return ((b[o] << 8) | b[o + 1]) * 0x1_0000_0000 + (((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0);
}

export function writeMac(b: Uint8Array, o: number, mac: Mac): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  b[o] = (hi >>> 8) & 0xff;
  b[o + 1] = hi & 0xff;
  b[o + 2] = lo >>> 24;
  b[o + 3] = (lo >>> 16) & 0xff;
  b[o + 4] = (lo >>> 8) & 0xff;
  b[o + 5] = lo & 0xff;
}

/** Group bit (I/G): the least significant bit of the first octet. Broadcast is a group address. */
export function isMulticastMac(mac: Mac): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 1) === 1;
}

/** Locally administered bit (U/L), as in our 02:... addresses. */
export function isLocalMac(mac: Mac): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 2) === 2;
}

export function formatMac(mac: Mac, sep = ':'): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const byte = Math.floor(mac / 2 ** (8 * i)) & 0xff;
    s += byte.toString(16).padStart(2, '0') + (i > 0 ? sep : '');
  }
  return s;
}

/**
 * Accepts 02:00:00:00:00:01, 02-00-00-00-00-01 (the Windows form), 0200.0000.0001
 * (the Cisco form) or 020000000001. Separators must sit where their notation puts
 * them: stripping them blindly would read "0:20:00:00:00:001" as 02:00:00:00:00:01.
 */
const MAC_NOTATION = /^(?:[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$/i;

export function parseMac(text: string): Mac | undefined {
  const trimmed = text.trim();
  if (!MAC_NOTATION.test(trimmed)) return undefined;
  return parseInt(trimmed.replace(/[:.-]/g, ''), 16);
}

export function formatIpv4(addr: Ipv4Addr): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

export function parseIpv4(text: string): Ipv4Addr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  let addr = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255 || (m[i].length > 1 && m[i][0] === '0')) return undefined;
    addr = addr * 256 + part;
  }
  return addr;
}

/** Parses "10.0.0.1/24" into an address and a prefix length. */
export function parseCidr(text: string): { addr: Ipv4Addr; prefixLen: number } | undefined {
  const parts = text.trim().split('/');
  if (parts.length > 2) return undefined;
  const [a, p] = parts;
  const addr = parseIpv4(a);
  // Plain decimal only: Number() would also take "", " 24", "0x18" and "1e1".
  if (addr === undefined || (p !== undefined && !/^(?:0|[1-9]\d?)$/.test(p))) return undefined;
  const prefixLen = p === undefined ? 32 : Number(p);
  if (prefixLen > 32) return undefined;
  return { addr, prefixLen };
}

export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffff_ffff << (32 - prefixLen)) >>> 0;
}

export function sameSubnet(a: Ipv4Addr, b: Ipv4Addr, prefixLen: number): boolean {
  const m = prefixMask(prefixLen);
  return ((a & m) >>> 0) === ((b & m) >>> 0);
}

export function subnetBroadcast(addr: Ipv4Addr, prefixLen: number): Ipv4Addr {
  return (addr | ~prefixMask(prefixLen)) >>> 0;
}

/** 224.0.0.0/4 */
export function isMulticastIpv4(addr: Ipv4Addr): boolean {
  return addr >>> 28 === 0xe;
}

/** Bytes of an IPv4 address as a 4-byte array (for pcap, hex views). */
export function ipv4Bytes(addr: Ipv4Addr): Uint8Array {
  return new Uint8Array([addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff]);
}
