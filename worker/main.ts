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
  // Pair mode: frames to and from the page (which owns the WebRTC data channel;
  // RTCPeerConnection does not exist in workers). Buffers are transferred, not copied.
  framePort: (port, onMessage) => {
    port.onmessage = (e: MessageEvent) => onMessage(e.data);
    port.start();
    return {
      send: (frame) => port.postMessage(frame.buffer, [frame.buffer]),
      close: () => {
        port.onmessage = null;
        port.close();
      },
    };
  },
});

// A pcap can be megabytes: move its buffer to the page instead of copying it.
const pcap = api.pcap;
api.pcap = (host) => {
  const bytes = pcap(host);
  return Comlink.transfer(bytes, [bytes.buffer]);
};

Comlink.expose(api);
