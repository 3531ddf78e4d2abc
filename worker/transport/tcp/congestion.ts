/**
 * Congestion control behind one small interface, so that loss *recovery* in
 * the TCB (NewReno RFC 6582 for peers without SACK, RFC 6675 with SACK) is
 * independent of how the window grows and shrinks:
 *
 * - NewReno: RFC 5681 slow start and congestion avoidance (byte counting,
 *   RFC 3465 with L = 2 SMSS), ssthresh = FlightSize / 2 on loss;
 * - CUBIC: RFC 9438 (beta 0.7, C 0.4, fast convergence, the Reno-friendly
 *   region), the default of Linux since 2.6.19.
 *
 * Windows are bytes (whole numbers); CUBIC's formulas work in segments and
 * seconds, converted with `mss` and from the injected clock's `now` (ms).
 * Slow start is the same for both (RFC 9438 4.10 allows plain RFC 5681).
 *
 * Who calls what: `onAck` for every cumulative ACK of new data outside loss
 * recovery; `onCongestionEvent` once when fast retransmit starts a recovery
 * (the TCB then sets cwnd as its recovery algorithm says); `onRto` when the
 * retransmission timer fires.
 */

import type { CongestionControlName } from './config';

export interface CongestionSnapshot {
  name: CongestionControlName;
  cwnd: number;
  ssthresh: number;
  /** CUBIC: W_max in bytes (the window at the last congestion event, after fast convergence). */
  wMax?: number;
  /** CUBIC: K in ms (time from the epoch start until W_cubic reaches W_max again). */
  kMs?: number;
  /** CUBIC: stack time the current congestion-avoidance epoch began, or -1 before it has. */
  epochStart?: number;
  /** CUBIC: the Reno-friendly estimate W_est in bytes. */
  wEst?: number;
}

export interface CongestionControl {
  readonly name: CongestionControlName;
  /** Congestion window in bytes. The TCB may set it (RFC 6582 inflation, RFC 6675 cwnd = ssthresh). */
  cwnd: number;
  ssthresh: number;
  /** Sender MSS in bytes; set once the handshake has negotiated it. */
  mss: number;
  /** `acked` bytes newly acknowledged cumulatively, outside loss recovery. `srtt` in ms (0 before a sample). */
  onAck(acked: number, now: number, srtt: number): void;
  /** Loss detected by duplicate ACKs / SACK: set ssthresh (RFC 5681 3.2 step 2, RFC 9438 4.6). */
  onCongestionEvent(flightSize: number, now: number): void;
  /** The retransmission timer expired: ssthresh (unless a repeated timeout of the same data) and the loss window. */
  onRto(flightSize: number, now: number, firstInEpisode: boolean): void;
  snapshot(): CongestionSnapshot;
}

export function createCongestionControl(name: CongestionControlName, mss: number, initialWindow: number): CongestionControl {
  return name === 'cubic' ? new Cubic(mss, initialWindow) : new NewReno(mss, initialWindow);
}

/** RFC 5681 3.1 slow start with RFC 3465 byte counting (L = 2 SMSS); returns the new cwnd. */
function slowStart(cwnd: number, acked: number, mss: number): number {
  return cwnd + Math.min(acked, 2 * mss);
}

/** RFC 5681 / RFC 6582 window growth and reduction. */
export class NewReno implements CongestionControl {
  readonly name = 'newreno' as const;
  cwnd: number;
  ssthresh = 0x7fffffff;
  /** Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 3.1 byte counting). */
  private caBytes = 0;

  constructor(
    public mss: number,
    initialWindow: number,
  ) {
    this.cwnd = initialWindow * mss;
  }

  onAck(acked: number, _now: number, _srtt: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd = slowStart(this.cwnd, acked, this.mss);
      return;
    }
    // Congestion avoidance: one SMSS per cwnd of data acknowledged (RFC 5681 3.1 eq. 3).
    this.caBytes += acked;
    if (this.caBytes >= this.cwnd) {
      this.caBytes -= this.cwnd;
      this.cwnd += this.mss;
    }
  }

  onCongestionEvent(flightSize: number, _now: number): void {
    // RFC 5681 3.2 step 2 (eq. 4).
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.caBytes = 0;
  }

  onRto(flightSize: number, _now: number, firstInEpisode: boolean): void {
    // RFC 5681 3.1 eq. 4, held constant for a repeated timeout of the same data; cwnd = the loss window.
    if (firstInEpisode) this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.caBytes = 0;
  }

  snapshot(): CongestionSnapshot {
    return { name: this.name, cwnd: this.cwnd, ssthresh: this.ssthresh };
  }
}

/** RFC 9438 4.6: multiplicative decrease factor. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 5: the aggressiveness constant (segments / s^3). */
export const CUBIC_C = 0.4;
/** RFC 9438 4.3: additive increase of the Reno-friendly estimate, 3(1 - beta)/(1 + beta). */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 4.2 eq. 1: W_cubic(t) = C (t - K)^3 + W_max (segments, t and K in seconds). */
export function wCubic(tSec: number, wMax: number, kSec: number, c = CUBIC_C): number {
  const d = tSec - kSec;
  return c * d * d * d + wMax;
}

/** RFC 9438 4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), in seconds; 0 when cwnd_epoch >= W_max. */
export function cubicK(wMax: number, cwndEpoch: number, c = CUBIC_C): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / c) : 0;
}

/**
 * CUBIC (RFC 9438). The window is kept as a float number of segments (`w`);
 * `cwnd` is its whole-byte view. Not implemented: HyStart++ (RFC 9406; plain
 * slow start instead), excluding application-limited periods from t (4.2),
 * and the undo of spurious congestion events (4.9).
 */
export class Cubic implements CongestionControl {
  readonly name = 'cubic' as const;
  ssthresh = 0x7fffffff;
  /** RFC 9438 4.7 fast convergence (Linux: on). */
  fastConvergence = true;
  /** cwnd in segments, with its fraction. */
  private w: number;
  /** W_max, segments. */
  wMax = 0;
  /** K, seconds. */
  k = 0;
  /** t_epoch, ms of stack time; -1: no congestion-avoidance epoch yet (the next ACK in CA starts one). */
  epochStart = -1;
  /** cwnd_epoch, segments. */
  cwndEpoch = 0;
  /** W_est, segments (RFC 9438 4.3). */
  wEst = 0;
  /** cwnd_prior, segments: the window before the last reduction (RFC 9438 4.6). */
  cwndPrior = 0;
  /** The next epoch follows a timeout: W_max = cwnd_epoch and K = 0 (RFC 9438 4.8). */
  private afterTimeout = false;

  constructor(
    public mss: number,
    initialWindow: number,
  ) {
    this.w = initialWindow;
  }

  get cwnd(): number {
    return Math.max(this.mss, Math.floor(this.w * this.mss));
  }

  set cwnd(bytes: number) {
    this.w = bytes / this.mss;
  }

  onAck(acked: number, now: number, srtt: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd = slowStart(this.cwnd, acked, this.mss);
      return;
    }
    let w = this.w;
    if (this.epochStart < 0) {
      // RFC 9438 4.2: a congestion-avoidance stage begins.
      this.epochStart = now;
      this.cwndEpoch = w;
      if (this.afterTimeout || this.wMax < w) {
        // 4.8 after a timeout (and whenever the window already exceeds W_max): the curve starts here.
        this.wMax = w;
        this.afterTimeout = false;
      }
      this.k = cubicK(this.wMax, w);
      this.wEst = w; // 4.3
    }
    const t = (now - this.epochStart) / 1000;
    const segs = acked / this.mss;
    // 4.3 Reno-friendly estimate; alpha becomes 1 once W_est reaches cwnd_prior.
    const alpha = this.wEst >= this.cwndPrior ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * segs) / w;
    if (wCubic(t, this.wMax, this.k) < this.wEst) {
      // Reno-friendly region: cwnd = W_est (never shrinking on an ACK).
      w = Math.max(w, this.wEst);
    } else {
      // 4.4 concave / 4.5 convex: move toward W_cubic one RTT ahead, clamped to [cwnd, 1.5 cwnd].
      const target = Math.min(Math.max(wCubic(t + srtt / 1000, this.wMax, this.k), w), 1.5 * w);
      w += ((target - w) / w) * segs;
    }
    this.w = w;
  }

  onCongestionEvent(flightSize: number, _now: number): void {
    this.reduce(flightSize);
  }

  onRto(flightSize: number, _now: number, firstInEpisode: boolean): void {
    if (firstInEpisode) this.reduce(flightSize);
    // 4.8: cwnd as Reno (the loss window); the next congestion-avoidance stage starts its own curve.
    this.w = 1;
    this.epochStart = -1;
    this.afterTimeout = true;
  }

  /** RFC 9438 4.6 and 4.7. */
  private reduce(flightSize: number): void {
    const w = this.w;
    this.wMax = this.fastConvergence && w < this.wMax ? (w * (1 + CUBIC_BETA)) / 2 : w;
    this.cwndPrior = w;
    this.ssthresh = Math.max(Math.floor(flightSize * CUBIC_BETA), 2 * this.mss);
    this.epochStart = -1;
  }

  snapshot(): CongestionSnapshot {
    return {
      name: this.name,
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      wMax: Math.round(this.wMax * this.mss),
      kMs: this.k * 1000,
      epochStart: this.epochStart,
      wEst: Math.round(this.wEst * this.mss),
    };
  }
}
