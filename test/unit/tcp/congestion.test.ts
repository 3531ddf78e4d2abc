import { describe, expect, it } from 'vitest';
import { CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, Cubic, NewReno, cubicK, wCubic } from '../../../worker/transport/tcp/congestion';

const MSS = 1000;

/** Acknowledges one window of data in one-MSS ACKs spread evenly over one RTT, starting at `t`. */
function oneRtt(cc: Cubic | NewReno, t: number, rttMs: number): void {
  const acks = Math.max(1, Math.floor(cc.cwnd / MSS));
  for (let i = 0; i < acks; i++) cc.onAck(MSS, t + (i * rttMs) / acks, rttMs);
}

describe('NewReno (RFC 5681)', () => {
  it('slow_start_adds_at_most_two_segments_per_ack', () => {
    const cc = new NewReno(MSS, 10);
    cc.onAck(MSS, 0, 0);
    expect(cc.cwnd).toBe(11 * MSS);
    cc.onAck(5 * MSS, 0, 0); // RFC 3465 L = 2 SMSS
    expect(cc.cwnd).toBe(13 * MSS);
  });

  it('congestion_avoidance_adds_one_segment_per_window_acknowledged', () => {
    const cc = new NewReno(MSS, 10);
    cc.onCongestionEvent(20 * MSS, 0);
    expect(cc.ssthresh).toBe(10 * MSS);
    cc.cwnd = 10 * MSS;
    oneRtt(cc, 0, 100);
    expect(cc.cwnd).toBe(11 * MSS);
  });

  it('rto_sets_the_loss_window_and_holds_ssthresh_on_a_repeated_timeout', () => {
    const cc = new NewReno(MSS, 10);
    cc.onRto(40 * MSS, 0, true);
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 20 * MSS]);
    cc.onRto(2 * MSS, 0, false);
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 20 * MSS]);
    cc.onRto(2 * MSS, 0, true);
    expect(cc.ssthresh).toBe(2 * MSS); // never below 2 SMSS
  });
});

describe('CUBIC (RFC 9438)', () => {
  it('K_and_W_cubic_follow_equations_1_and_2', () => {
    // W_max 100 segments, cwnd_epoch = beta * W_max = 70: K = cbrt(30 / 0.4) = cbrt(75) s.
    const k = cubicK(100, 70);
    expect(k).toBeCloseTo(Math.cbrt(75), 12);
    expect(wCubic(0, 100, k)).toBeCloseTo(70, 9); // starts at cwnd_epoch
    expect(wCubic(k, 100, k)).toBe(100); // plateau at W_max after K
    expect(wCubic(2 * k, 100, k)).toBeCloseTo(100 + CUBIC_C * 75, 9); // convex beyond
    expect(cubicK(50, 70)).toBe(0);
    expect(CUBIC_ALPHA).toBeCloseTo((3 * 0.3) / 1.7, 12);
  });

  it('a_congestion_event_sets_ssthresh_to_beta_of_the_flight_and_remembers_w_max', () => {
    const cc = new Cubic(MSS, 100);
    cc.onCongestionEvent(100 * MSS, 0);
    expect(cc.ssthresh).toBe(70 * MSS);
    expect(cc.wMax).toBe(100);
    expect(cc.cwndPrior).toBe(100);
  });

  it('fast_convergence_lowers_w_max_when_the_window_did_not_regain_the_last_one', () => {
    const cc = new Cubic(MSS, 100);
    cc.onCongestionEvent(100 * MSS, 0);
    cc.cwnd = 80 * MSS; // the next loss comes before cwnd got back to W_max = 100
    cc.onCongestionEvent(80 * MSS, 0);
    expect(cc.wMax).toBeCloseTo((80 * (1 + CUBIC_BETA)) / 2, 9);
    const slow = new Cubic(MSS, 100);
    slow.fastConvergence = false;
    slow.onCongestionEvent(100 * MSS, 0);
    slow.cwnd = 80 * MSS;
    slow.onCongestionEvent(80 * MSS, 0);
    expect(slow.wMax).toBe(80);
  });

  it('congestion_avoidance_follows_W_cubic_through_the_concave_region_to_the_plateau', () => {
    const rtt = 100;
    const cc = new Cubic(MSS, 300);
    cc.onCongestionEvent(300 * MSS, 0);
    cc.cwnd = cc.ssthresh; // RFC 9438 4.6: cwnd = ssthresh (210 segments) after the reduction
    const k = cubicK(300, 210);
    expect(k).toBeCloseTo(Math.cbrt(90 / 0.4), 9);
    let maxErr = 0;
    for (let t = 0; t < 9000; t += rtt) {
      if (t > 0) maxErr = Math.max(maxErr, Math.abs(cc.cwnd / MSS - wCubic(t / 1000, 300, k)));
      oneRtt(cc, t, rtt);
    }
    expect(cc.k).toBeCloseTo(k, 9);
    expect(cc.epochStart).toBe(0);
    // Each ACK moves cwnd toward W_cubic one RTT ahead; per RTT it tracks the curve within a segment,
    // up the concave side, over the plateau at W_max (t = K, about 6.1 s) and into the convex side.
    expect(maxErr).toBeLessThan(1);
    expect(cc.cwnd / MSS).toBeGreaterThan(300 + 0.4 * (9 - k) ** 3 - 1);
  });

  it('the_reno_friendly_region_takes_over_where_reno_would_be_faster', () => {
    // W_max 100 segments and RTT 100 ms: W_est (alpha per RTT, then 1 past cwnd_prior) overtakes the curve
    // around t = K; from then on cwnd follows W_est, one segment per RTT (RFC 9438 4.3).
    const rtt = 100;
    const cc = new Cubic(MSS, 100);
    cc.onCongestionEvent(100 * MSS, 0);
    cc.cwnd = cc.ssthresh;
    const k = cubicK(100, 70);
    const samples: Array<[number, number, number]> = [];
    for (let t = 0; t < 8000; t += rtt) {
      samples.push([t / 1000, cc.cwnd / MSS, cc.wEst]);
      oneRtt(cc, t, rtt);
    }
    for (const [t, w] of samples) expect(w).toBeGreaterThan(wCubic(t, 100, k) - 0.5);
    const reno = samples.filter(([t, , west]) => west > wCubic(t, 100, k) + 1);
    expect(reno.length).toBeGreaterThan(10);
    for (const [, w, west] of reno) expect(Math.abs(w - west)).toBeLessThan(1.5);
    const [t1, w1] = reno[reno.length - 11];
    const [t2, w2] = reno[reno.length - 1];
    expect((w2 - w1) / ((t2 - t1) * 10)).toBeCloseTo(1, 1); // segments per RTT
  });

  it('after_a_timeout_the_next_epoch_starts_its_curve_at_the_window_of_that_time', () => {
    const cc = new Cubic(MSS, 100);
    cc.onRto(100 * MSS, 0, true);
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 70 * MSS]);
    // Slow start up to ssthresh, then the first ACK in congestion avoidance starts the epoch.
    let t = 0;
    let before = 0;
    while (cc.epochStart < 0) {
      before = cc.cwnd / MSS;
      cc.onAck(MSS, (t += 1), 100);
    }
    expect(before).toBeGreaterThanOrEqual(70);
    expect(cc.epochStart).toBe(t);
    expect(cc.k).toBe(0); // RFC 9438 4.8: K = 0, W_max = the window at the start of the stage
    expect(cc.wMax).toBeCloseTo(before, 9);
  });
});
