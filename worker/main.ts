/**
 * Worker entry: the only file under worker/ that touches real time, timers and
 * postMessage. It supplies the real-time driver's wall clock and a batching
 * timer for trace events, and exposes the API with comlink.
 */

import * as Comlink from 'comlink';
import { createApi } from './api';

const api = createApi({
  wall: {
    now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    cancelTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    // The page's clock is performance.timeOrigin + performance.now() too: the driver's anchor compares across contexts.
    origin: performance.timeOrigin,
  },
  // pcap timestamps: stack time anchored at the wall-clock moment the worker started.
  epochMs: (() => {
    const start = Date.now() - performance.now();
    return () => start;
  })(),
  sharedNow: () => performance.timeOrigin + performance.now(),
  // At most one trace batch per ~frame (16 ms), so the UI is never flooded.
  schedulerFlush: (flush) => setTimeout(flush, 16),
  // Pair mode: the page hands us the WebRTC frame channel itself (a transferred
  // RTCDataChannel), so frames go between this worker and the network without
  // passing through the page's main thread, which is busy drawing. Where a
  // browser cannot transfer a data channel, the page relays frames over this
  // port instead (buffers transferred, not copied). See openFramePort below.
  framePort: openFramePort,
});

/** The transmit ring over the channel (bytes handed and not yet sent): the same 64 KiB the ExternalLink allows. */
const RING_BYTES = 64 * 1024;

/**
 * The frame port, and the frame channel once the page transfers it. With the
 * channel here, this side does what the page's relay would: it turns the
 * channel's open/close into carrier messages and its bufferedAmount into
 * "drained" reports (the NIC's transmit ring credit, see worker/link/external.ts),
 * so the sans-IO stack cannot tell the two paths apart.
 */
function openFramePort(port: MessagePort, onMessage: (data: unknown) => void): { send: (frame: Uint8Array) => void; close: () => void } {
  let channel: RTCDataChannel | undefined;
  /** Bytes sent on the current channel, and how many of them have left its buffer (reported). */
  let handed = 0;
  let reported = 0;
  let poll: ReturnType<typeof setTimeout> | undefined;

  const reportDrained = () => {
    if (!channel) return;
    const total = handed - channel.bufferedAmount;
    if (total > reported) {
      reported = total;
      onMessage({ type: 'drained', bytes: total });
    }
  };
  // bufferedAmount shrinks without an event below its low threshold: while bytes are outstanding, look again soon.
  const schedulePoll = () => {
    if (poll !== undefined) return;
    poll = setTimeout(() => {
      poll = undefined;
      reportDrained();
      if (channel && handed > reported) schedulePoll();
    }, 1);
  };
  const detach = () => {
    if (!channel) return;
    const old = channel;
    channel = undefined;
    old.onopen = old.onclose = old.onmessage = old.onbufferedamountlow = null;
    if (old.readyState === 'open' || old.readyState === 'connecting') old.close();
  };
  const attach = (ch: RTCDataChannel) => {
    detach();
    channel = ch;
    handed = reported = 0;
    ch.binaryType = 'arraybuffer';
    ch.bufferedAmountLowThreshold = RING_BYTES / 2;
    const up = () => {
      handed = reported = 0;
      onMessage({ type: 'carrier', up: true });
    };
    ch.onopen = up;
    ch.onclose = () => {
      if (channel !== ch) return;
      channel = undefined;
      onMessage({ type: 'carrier', up: false });
    };
    // Untrusted bytes from the peer: the NIC and the parsers validate them.
    ch.onmessage = (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) onMessage(e.data);
    };
    ch.onbufferedamountlow = reportDrained;
    if (ch.readyState === 'open') up();
  };

  port.onmessage = (e: MessageEvent) => {
    const d = e.data as { type?: unknown; channel?: unknown } | null;
    if (typeof RTCDataChannel !== 'undefined' && d && d.type === 'channel' && d.channel instanceof RTCDataChannel) attach(d.channel);
    else onMessage(e.data);
  };
  port.start();
  return {
    send: (frame) => {
      if (!channel) {
        port.postMessage(frame.buffer, [frame.buffer]);
        return;
      }
      if (channel.readyState !== 'open') {
        onMessage({ type: 'dropped', count: 1, reason: 'down' });
        return;
      }
      try {
        channel.send(frame as Uint8Array<ArrayBuffer>);
        handed += frame.byteLength;
        schedulePoll();
      } catch {
        onMessage({ type: 'dropped', count: 1, reason: 'down' });
      }
    },
    close: () => {
      detach();
      if (poll !== undefined) clearTimeout(poll);
      port.onmessage = null;
      port.close();
    },
  };
}

// A pcap can be megabytes: move its buffer to the page instead of copying it.
const pcap = api.pcap;
api.pcap = (host) => {
  const bytes = pcap(host);
  return Comlink.transfer(bytes, [bytes.buffer]);
};

Comlink.expose(api);
