/**
 * One number that names a frame on both ends of the link, so the sender's "sent"
 * and the receiver's "received" can be joined into one arrow: in solo mode
 * (both hosts in this tab) and across two paired tabs, each of which sees only
 * its own end.
 *
 * The identity is FNV-1a (32 bit) over the frame's first IDENTITY_BYTES bytes,
 * mixed with the frame's length. 64 bytes reach past the Ethernet header (14),
 * the IPv4 header (20: identification, fragment offset, header checksum) and
 * the transport header's fixed part (TCP: ports, seq, ack, flags, window and the
 * checksum over the payload at bytes 50-51; UDP and ICMP: their checksums at 40
 * and 36), so two different frames in flight at once practically never share
 * an identity, yet the cost per frame is fixed however large the frame is (the
 * page relays thousands of frames a second and must stay cheap).
 *
 * Equal identities are matched first sent, first received, which is right for
 * true copies (a retransmission with the very same bytes, a duplicate the link
 * conditioner made). A frame the conditioner corrupted changes its bytes, so it
 * matches nothing at the receiver: it is drawn where it died, as it should be.
 */

export const IDENTITY_BYTES = 64;

export function frameIdentity(frame: Uint8Array): number {
  const n = Math.min(frame.length, IDENTITY_BYTES);
  let h = 0x811c9dc5 ^ frame.length;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ frame[i]!, 0x01000193);
  return h >>> 0;
}
