/**
 * Typed results for parsers of untrusted bytes.
 *
 * Nothing in wire/ throws on input: a parser returns either `{ ok: true, value }`
 * or `{ ok: false, error }` where the error names the layer, a machine-readable
 * reason (used for drop counters and trace events) and a sentence for people.
 */

export type WireLayer = 'ethernet' | 'arp' | 'ipv4' | 'icmp' | 'udp' | 'tcp' | 'dns' | 'pcap';

export type WireErrorReason =
  | 'truncated' // fewer bytes than the header or a length field needs
  | 'bad-checksum' // checksum does not verify
  | 'bad-length' // a length field is impossible (too small, or larger than the buffer)
  | 'bad-offset' // a header-length / data-offset field is impossible
  | 'bad-version' // IP version is not 4
  | 'bad-option' // a malformed option (length 0/1, runs past the header, wrong size)
  | 'bad-address' // an address that cannot appear there (e.g. multicast source)
  | 'unsupported' // well-formed but not something this stack speaks (ethertype, ARP hardware type...)
  | 'bad-pointer' // a DNS compression pointer that points forward, into itself, or into the header
  | 'bad-name' // a DNS name with a label over 63 bytes, over 255 bytes in all, or an unknown label type
  | 'malformed'; // any other rule of the format broken

export interface WireError {
  readonly layer: WireLayer;
  readonly reason: WireErrorReason;
  /** A sentence for people: what is wrong with the bytes. */
  readonly detail: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(layer: WireLayer, reason: WireErrorReason, detail: string): Result<T> {
  return { ok: false, error: { layer, reason, detail } };
}

/** Thrown only by emitters, when the *caller* (our own code) passes a buffer that is too small. Never for input. */
export class EmitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmitError';
  }
}

export function ensureRoom(out: Uint8Array, offset: number, needed: number, what: string): void {
  if (offset < 0 || offset + needed > out.length) {
    throw new EmitError(`${what}: need ${needed} bytes at offset ${offset}, buffer has ${out.length}`);
  }
}
