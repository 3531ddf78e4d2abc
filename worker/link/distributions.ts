/**
 * Delay distributions for the link conditioner, as netem defines them: a delay
 * is `mu + sigma * t`, where t is drawn from a standardised table indexed by a
 * (possibly correlated) uniform number. We compute t from the inverse CDF
 * instead of a table, so the same uniform always maps to the same t.
 *
 * - uniform: t in [-1, 1)
 * - normal: t ~ N(0, 1)
 * - pareto: Pareto with shape 3 shifted to mean 0 (iproute2's pareto table:
 *   (1-u)^(-1/3) - 3/2), so most frames are a little early and a few very late
 * - paretonormal: 1/4 normal + 3/4 pareto, the mix iproute2 ships for
 *   "realistic" jitter
 */

import type { Rng } from '../sim/rng';

export type DelayDistribution = 'uniform' | 'normal' | 'pareto' | 'paretonormal';

export const DISTRIBUTIONS: readonly DelayDistribution[] = ['uniform', 'normal', 'pareto', 'paretonormal'];

/** netem tables are 16-bit; extreme tails are capped the same way (about +-4 sigma for normal). */
const T_MAX = 8;

/** The standardised value t for a uniform u in [0, 1); `u2` is a second, independent uniform (paretonormal's normal part). */
export function standardised(dist: DelayDistribution, u: number, u2: number): number {
  switch (dist) {
    case 'uniform':
      return 2 * u - 1;
    case 'normal':
      return clampT(inverseNormal(u));
    case 'pareto':
      return clampT(paretoT(u));
    case 'paretonormal':
      return clampT(0.25 * inverseNormal(u2) + 0.75 * paretoT(u));
  }
}

function paretoT(u: number): number {
  return Math.pow(1 - u, -1 / 3) - 1.5;
}

function clampT(t: number): number {
  return t > T_MAX ? T_MAX : t < -T_MAX ? -T_MAX : t;
}

/**
 * Inverse of the standard normal CDF (Peter Acklam's rational approximation,
 * relative error below 1.2e-9), for u in (0, 1).
 */
export function inverseNormal(u: number): number {
  if (u <= 0) return -T_MAX;
  if (u >= 1) return T_MAX;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (u < low) {
    const q = Math.sqrt(-2 * Math.log(u));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (u > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - u));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = u - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * netem's correlated random source (get_crandom): each draw is
 * rho * previous + (1 - rho) * fresh uniform. Correlation 0 gives plain
 * uniform numbers; it keeps the mean but not the distribution's shape, which is
 * netem's documented behaviour and what instructors' netem commands expect.
 */
export class CorrelatedUniform {
  private last: number;

  constructor(
    private readonly rng: Rng,
    /** 0..1 */
    public rho = 0,
  ) {
    this.last = rng.float();
  }

  next(): number {
    const fresh = this.rng.float();
    if (this.rho <= 0) return (this.last = fresh);
    this.last = this.rho * this.last + (1 - this.rho) * fresh;
    return this.last;
  }
}
