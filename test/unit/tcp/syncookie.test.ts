import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COOKIE_MSS_TABLE, COOKIE_TICK_MS, SynCookies, cookieTsVal, decodeCookieTs } from '../../../worker/transport/tcp/syncookie';
import { Rng } from '../../../worker/sim/rng';

const A = 0x0a000001;
const B = 0x0a000002;
const key = new Uint8Array(16).map((_, i) => i * 17 + 3);

describe('SYN cookies (RFC 4987 3.6, Linux encoding)', () => {
  it('a_cookie_checks_out_for_the_same_tuple_and_peer_isn_and_gives_back_the_mss_index', () => {
    const c = new SynCookies(key);
    for (let i = 0; i < COOKIE_MSS_TABLE.length; i++) {
      const cookie = c.make(5_000, B, 80, A, 40000, 0xdead_beef, i);
      expect(c.check(5_000, B, 80, A, 40000, 0xdead_beef, cookie)).toBe(i);
    }
  });

  it('the_mss_index_rounds_the_peer_mss_down_to_the_table', () => {
    expect([536, 1000, 1300, 1439, 1440, 1460, 8960, 100].map((m) => COOKIE_MSS_TABLE[SynCookies.mssIndex(m)])).toEqual([536, 536, 1300, 1300, 1440, 1460, 1460, 536]);
  });

  it('a_cookie_is_good_for_one_to_two_minutes', () => {
    const c = new SynCookies(key);
    const t0 = 10 * COOKIE_TICK_MS + 59_000; // late in a tick: the next one starts in 1 s
    const cookie = c.make(t0, B, 80, A, 40000, 1, 3);
    expect(c.check(t0 + 1_000, B, 80, A, 40000, 1, cookie)).toBe(3); // next tick: still good
    expect(c.check(t0 + 60_000, B, 80, A, 40000, 1, cookie)).toBe(3);
    expect(c.check(t0 + 61_000, B, 80, A, 40000, 1, cookie)).toBe(-1); // two ticks on: stale
    const early = 10 * COOKIE_TICK_MS;
    const cookie2 = c.make(early, B, 80, A, 40000, 1, 3);
    expect(c.check(early + 119_999, B, 80, A, 40000, 1, cookie2)).toBe(3);
    expect(c.check(early + 120_000, B, 80, A, 40000, 1, cookie2)).toBe(-1);
  });

  it('another_tuple_or_peer_isn_or_key_rejects_the_cookie', () => {
    const c = new SynCookies(key);
    const cookie = c.make(0, B, 80, A, 40000, 1000, 2);
    expect(c.check(0, B, 80, A, 40001, 1000, cookie)).toBe(-1);
    expect(c.check(0, B, 80, A + 1, 40000, 1000, cookie)).toBe(-1);
    // The peer ISN is added, not hashed (as in Linux): it must be the one the SYN carried, give or take what
    // moves the 2-bit index; an ACK a legitimate peer sends always has exactly ISN + 1.
    expect(c.check(0, B, 80, A, 40000, 1000 + 0x1000, cookie)).toBe(-1);
    expect(new SynCookies(new Rng(1)).check(0, B, 80, A, 40000, 1000, cookie)).toBe(-1);
  });

  it('forged_cookies_almost_never_check_out', () => {
    // Only the 2-bit index survives a random guess of the low 24 bits and a right age: about 2 * 4 / 2^32 per try,
    // and the age check alone lets through 2/256 of random top bytes.
    const c = new SynCookies(key);
    fc.assert(
      fc.property(fc.nat(0xffff_ffff), fc.nat(0xffff_ffff), (isn, cookie) => {
        const real = c.make(1_000, B, 80, A, 40000, isn, 1);
        fc.pre(cookie !== real);
        return c.check(1_000, B, 80, A, 40000, isn, cookie) === -1;
      }),
      { numRuns: 2000 },
    );
  });

  it('timestamp_low_bits_carry_window_scale_and_sack_and_never_run_ahead_of_the_clock', () => {
    for (const [now, ws, sack] of [
      [0x1234_5678, 7, true],
      [0x1234_5640, -1, false],
      [0x0000_0005, 14, true],
      [0xffff_ffff, 0, false],
    ] as const) {
      const ts = cookieTsVal(now, ws, sack);
      expect(((now - ts) | 0) >= 0 && ((now - ts) | 0) < 64).toBe(true);
      expect(decodeCookieTs(ts)).toEqual({ wscale: ws, sackOk: sack });
    }
  });
});
