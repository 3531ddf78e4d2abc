/**
 * The seam between a NIC and whatever carries its frames: the in-memory segment
 * (tests, solo mode), a WebRTC data channel (two tabs), a TAP relay (Linux
 * interop), and the link conditioner, which wraps any of them.
 */

export interface LinkPort {
  /**
   * Offers a frame to the medium. The port takes ownership: the caller must not
   * modify the frame afterwards. Returns false only when the medium cannot take
   * it now (backpressure); the NIC keeps it queued and retries on `onReady`.
   * `frameId` is the NIC's number for the frame (as traced), so a fate decided
   * further down (the conditioner) can be tied to the frame in the log.
   */
  transmit(frame: Uint8Array, frameId?: number): boolean;
  /** Whether transmit() would accept a frame now. */
  ready(): boolean;
  /** Set by the NIC: called by the port when it becomes ready again. */
  onReady: (() => void) | undefined;
}

/** What a medium delivers received frames to. */
export interface FrameSink {
  receive(frame: Uint8Array): void;
}
