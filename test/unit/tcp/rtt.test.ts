import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RttEstimator } from '../../../worker/transport/tcp/rtt';

describe('RttEstimator before any sample', () => {
  it('uses the initial RTO of 1 s (RFC 6298 2.1)', () => {
    const est = new RttEstimator();
    expect(est.hasSample).toBe(false);
    expect(est.rto).toBe(1000);
    expect(est.snapshot()).toEqual({ srtt: 0, rttvar: 0, rto: 1000, backoffs: 0, samples: 0, lastSample: 0 });
  });

  it('defaults to the Linux floor of 200 ms, a 120 s ceiling and G = 1 ms', () => {
    const est = new RttEstimator();
    expect([est.minRto, est.maxRto, est.granularity, est.initialRto]).toEqual([200, 120_000, 1, 1000]);
  });

  it('rejects bounds that cannot hold', () => {
    expect(() => new RttEstimator({ minRto: 500, maxRto: 100 })).toThrow(RangeError);
    expect(() => new RttEstimator({ minRto: 0 })).toThrow(/minRto/);
  });
});

describe('RttEstimator samples (RFC 6298 2.2, 2.3)', () => {
  it('first_sample_sets_srtt_to_r_and_rttvar_to_half', () => {
    const est = new RttEstimator();
    expect(est.sample(100)).toBe(true);
    expect(est.hasSample).toBe(true);
    expect(est.srtt).toBe(100);
    expect(est.rttvar).toBe(50);
    // RTO = SRTT + max(G, 4 * RTTVAR) = 100 + 200
    expect(est.rto).toBe(300);
  });

  it('second_sample_updates_rttvar_with_the_old_srtt_then_srtt', () => {
    const est = new RttEstimator();
    est.sample(100);
    est.sample(200);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
    expect(est.rttvar).toBe(62.5);
    expect(est.srtt).toBe(112.5);
    expect(est.rto).toBe(112.5 + 4 * 62.5);
  });

  it('third_sample_follows_the_same_filter', () => {
    const est = new RttEstimator();
    est.sample(100);
    est.sample(200);
    est.sample(50);
    // RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 50| = 62.5; SRTT = 7/8 * 112.5 + 1/8 * 50 = 104.6875
    expect(est.rttvar).toBe(62.5);
    expect(est.srtt).toBe(104.6875);
    expect(est.rto).toBe(354.6875);
    expect(est.samples).toBe(3);
    expect(est.lastSample).toBe(50);
  });

  it('granularity_bounds_the_variance_term_when_rtt_is_steady', () => {
    const est = new RttEstimator({ minRto: 1 });
    for (let i = 0; i < 200; i++) est.sample(10);
    // RTTVAR has decayed to ~0, so RTO = SRTT + G = 10 + 1.
    expect(est.srtt).toBe(10);
    expect(est.rto).toBe(11);
    const coarse = new RttEstimator({ minRto: 1, granularity: 10 });
    for (let i = 0; i < 200; i++) coarse.sample(10);
    expect(coarse.rto).toBe(20);
  });

  it('clamps_a_small_rto_up_to_min_rto', () => {
    const linux = new RttEstimator();
    linux.sample(10); // 10 + 4 * 5 = 30
    expect(linux.rto).toBe(200);
    const rfc = new RttEstimator({ minRto: 1000 }); // RFC 6298 2.4's 1 s floor
    rfc.sample(10);
    expect(rfc.rto).toBe(1000);
    rfc.sample(2000);
    expect(rfc.rto).toBeGreaterThan(1000);
  });

  it('clamps_a_large_rto_down_to_max_rto', () => {
    const est = new RttEstimator();
    est.sample(100_000); // 100000 + 200000
    expect(est.rto).toBe(120_000);
    const small = new RttEstimator({ maxRto: 60_000 });
    small.sample(30_000);
    expect(small.rto).toBe(60_000);
  });

  it('accepts_a_zero_rtt_sample', () => {
    const est = new RttEstimator({ minRto: 0.5 });
    est.sample(0);
    expect(est.rto).toBe(1); // 0 + max(G, 0)
  });

  it('ignores_negative_and_non_finite_samples', () => {
    const est = new RttEstimator();
    est.sample(100);
    for (const bad of [-1, NaN, Infinity, -Infinity]) expect(est.sample(bad)).toBe(false);
    expect(est.snapshot()).toEqual({ srtt: 100, rttvar: 50, rto: 300, backoffs: 0, samples: 1, lastSample: 100 });
  });
});

describe('RttEstimator backoff (RFC 6298 5.5)', () => {
  it('doubles_rto_on_each_expiry_and_counts_backoffs', () => {
    const est = new RttEstimator();
    est.sample(100); // RTO 300
    expect(est.backoff()).toBe(600);
    expect(est.backoff()).toBe(1200);
    expect(est.backoff()).toBe(2400);
    expect(est.backoffs).toBe(3);
    expect(est.rto).toBe(2400);
  });

  it('doubles_the_initial_rto_when_the_syn_times_out', () => {
    const est = new RttEstimator();
    const seen = [];
    for (let i = 0; i < 9; i++) seen.push(est.backoff());
    expect(seen).toEqual([2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000]);
    expect(est.backoffs).toBe(9);
  });

  it('a_new_sample_clears_the_backoff_and_recomputes_rto', () => {
    const est = new RttEstimator();
    est.sample(100);
    est.backoff();
    est.backoff();
    est.sample(100);
    expect(est.backoffs).toBe(0);
    // RTTVAR = 3/4 * 50 + 0 = 37.5, SRTT = 100, RTO = 100 + 150
    expect(est.rto).toBe(250);
  });

  it('reset_forgets_samples_and_backoff', () => {
    const est = new RttEstimator();
    est.sample(100);
    est.backoff();
    est.reset();
    expect(est.snapshot()).toEqual({ srtt: 0, rttvar: 0, rto: 1000, backoffs: 0, samples: 0, lastSample: 0 });
    expect(est.hasSample).toBe(false);
    est.reset(3000); // RFC 6298 5.7 after a retransmitted SYN
    expect(est.rto).toBe(3000);
    est.sample(100);
    expect(est.srtt).toBe(100); // treated as a first sample again
    expect(est.rttvar).toBe(50);
  });
});

describe('RttEstimator misc', () => {
  it('sample_from_timestamp_feeds_the_same_filter', () => {
    const a = new RttEstimator();
    const b = new RttEstimator();
    for (const r of [80, 120, 95, 300, 40]) {
      a.sample(r);
      b.sampleFromTimestamp(r);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('snapshot_is_a_copy_not_a_live_view', () => {
    const est = new RttEstimator();
    const before = est.snapshot();
    est.sample(100);
    expect(before.rto).toBe(1000);
    expect(est.snapshot().rto).toBe(300);
  });

  it('rto_stays_within_bounds_for_any_samples_and_backoffs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant('backoff' as const)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 2000 }),
        (ops, minRto) => {
          const est = new RttEstimator({ minRto, maxRto: 60_000 });
          for (const op of ops) {
            if (op === 'backoff') est.backoff();
            else est.sample(op);
            expect(est.rto).toBeGreaterThanOrEqual(Math.min(minRto, est.initialRto));
            expect(est.rto).toBeLessThanOrEqual(60_000);
            expect(est.rttvar).toBeGreaterThanOrEqual(0);
            if (op !== 'backoff') expect(est.rto).toBeGreaterThanOrEqual(minRto);
          }
        },
      ),
      { seed: 6298 },
    );
  });
});
