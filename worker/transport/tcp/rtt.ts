/**
 * Round-trip time estimation and the retransmission timeout (RFC 6298).
 *
 * All values are milliseconds (floats; the scheduler takes fractional times).
 *
 * What the caller (the TCB) must do, because only it knows which segment an
 * ACK covers:
 * - Karn's rule (RFC 6298 3): never take a sample from a segment that was
 *   retransmitted, since its ACK is ambiguous. With timestamps (RFC 7323) the
 *   echoed TSecr names the transmission, so that rule is not needed there.
 * - Take at most one sample per RTT when timing segments without timestamps
 *   (RFC 6298 3), and only from ACKs that acknowledge new data.
 * - Restart the retransmission timer with `rto` (RFC 6298 5.1-5.3), call
 *   `backoff()` when it fires (5.5), and after a backoff keep using the
 *   backed-off RTO until the next sample (5.5, 5.6; `sample()` clears it).
 * - If the SYN or SYN-ACK was retransmitted and no sample was taken during the
 *   handshake, RTO must go back to 3 s when data transmission begins (RFC 6298
 *   5.7): call `reset(3000)`.
 */

export interface RttOptions {
  /** RTO before the first sample (RFC 6298 2.1: 1 s). */
  initialRto?: number;
  /**
   * Lower bound on RTO. RFC 6298 2.4 says 1 s (SHOULD); the default here is
   * 200 ms, the Linux default (TCP_RTO_MIN), because our interop peer is Linux
   * and a 1 s floor makes every lost segment on a lab link with ~10 ms RTT a
   * tedious wait. Set 1000 for the RFC's conservative floor.
   */
  minRto?: number;
  /** Upper bound on RTO, also capping backoff (RFC 6298 2.5 allows >= 60 s; Linux uses 120 s). */
  maxRto?: number;
  /** Clock granularity G (RFC 6298 2): our clock is in ms, so 1 ms. */
  granularity?: number;
}

/** A plain copy of the estimator's state, for the UI and traces. */
export interface RttSnapshot {
  /** Smoothed RTT; 0 before the first sample. */
  srtt: number;
  /** RTT variation; 0 before the first sample. */
  rttvar: number;
  /** The current retransmission timeout, including any backoff. */
  rto: number;
  /** Consecutive backoffs since the last sample (or reset). */
  backoffs: number;
  /** Samples taken since the last reset. */
  samples: number;
  /** The most recent sample, or 0 before the first. */
  lastSample: number;
}

/** RFC 6298 2.3: alpha = 1/8, beta = 1/4. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
/** RFC 6298 2.3: K = 4. */
const K = 4;

export class RttEstimator {
  readonly initialRto: number;
  readonly minRto: number;
  readonly maxRto: number;
  readonly granularity: number;

  srtt = 0;
  rttvar = 0;
  rto: number;
  backoffs = 0;
  samples = 0;
  lastSample = 0;

  constructor(options: RttOptions = {}) {
    this.initialRto = options.initialRto ?? 1000;
    this.minRto = options.minRto ?? 200;
    this.maxRto = options.maxRto ?? 120_000;
    this.granularity = options.granularity ?? 1;
    if (!(this.minRto > 0 && this.minRto <= this.maxRto)) {
      throw new RangeError(`The RTO bounds must satisfy 0 < minRto <= maxRto; got minRto ${this.minRto} ms and maxRto ${this.maxRto} ms.`);
    }
    this.rto = this.initialRto;
  }

  /** True once a sample has been taken (RFC 6298 2.1 vs 2.2/2.3). */
  get hasSample(): boolean {
    return this.samples > 0;
  }

  /**
   * Takes one RTT measurement R (ms). Applies RFC 6298 2.2 for the first one
   * and 2.3 afterwards, recomputes RTO clamped to [minRto, maxRto] (2.4, 2.5),
   * and clears any backoff. Returns false, changing nothing, for a negative or
   * non-finite R (a caller bug or a bogus echoed timestamp).
   */
  sample(rttMs: number): boolean {
    if (!(rttMs >= 0 && rttMs < Infinity)) return false;
    if (this.samples === 0) {
      // 2.2: SRTT <- R, RTTVAR <- R/2
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      // 2.3: RTTVAR is updated first, with the old SRTT.
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rttMs);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rttMs;
    }
    this.samples++;
    this.lastSample = rttMs;
    this.backoffs = 0;
    // 2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR); 2.4 floor, 2.5 ceiling.
    this.rto = this.clamp(this.srtt + Math.max(this.granularity, K * this.rttvar));
    return true;
  }

  /**
   * A sample from an echoed timestamp (RFC 7323 4.1). With timestamps an ACK
   * can yield a sample for every ACK, not once per RTT, which shortens the
   * memory of SRTT/RTTVAR; RFC 7323 Appendix G suggests scaling alpha and beta
   * by the number of samples expected per window. We do not: like Linux we
   * feed each sample to the plain RFC 6298 filter, and the caller only takes
   * samples from ACKs that advance SND.UNA (RFC 7323 4.1), which keeps the
   * rate of samples near one per segment acknowledged. The effect is a
   * slightly more agile SRTT and a smaller RTTVAR, which the minRto floor
   * bounds from below.
   */
  sampleFromTimestamp(rttMs: number): boolean {
    return this.sample(rttMs);
  }

  /** RFC 6298 5.5: the retransmission timer expired; double RTO, up to maxRto. */
  backoff(): number {
    this.rto = Math.min(this.rto * 2, this.maxRto);
    this.backoffs++;
    return this.rto;
  }

  /** Forgets all samples and backoff; RTO goes back to `initialRto` (or the given value, e.g. 3000 for RFC 6298 5.7). */
  reset(rto = this.initialRto): void {
    this.srtt = 0;
    this.rttvar = 0;
    this.rto = rto;
    this.backoffs = 0;
    this.samples = 0;
    this.lastSample = 0;
  }

  snapshot(): RttSnapshot {
    return { srtt: this.srtt, rttvar: this.rttvar, rto: this.rto, backoffs: this.backoffs, samples: this.samples, lastSample: this.lastSample };
  }

  private clamp(rto: number): number {
    return Math.min(Math.max(rto, this.minRto), this.maxRto);
  }
}
