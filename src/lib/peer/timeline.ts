/**
 * One timeline for two tabs: how a time on the peer's stack clock becomes a
 * time on ours, so the ladder can draw the peer's events beside our own.
 *
 * Each tab's stack runs on a virtual clock (worker/sim/driver.ts) that moves
 * at `speed` × wall time while running and stands still while paused. The
 * driver reports its anchor, the (wall, stack) pair set at its last run() or
 * setSpeed(); from it, a stack time t happened at wall time
 *
 *   wall(t) = anchor.wall + (t - anchor.stack) / speed
 *
 * with wall on the page's clock, performance.timeOrigin + performance.now()
 * (the worker reports its anchor on the same scale). The control channel's
 * ping/pong estimates offset = peer wall clock - our wall clock (ClockEstimator
 * in control.ts). So a peer stack time maps onto ours as
 *
 *   ours = local.stack + (wall_peer(t) - offset - local.wall) × local.speed
 *
 * Exact, up to the offset's error, while both tabs run: the 'sim' control
 * message keeps their speeds equal and runs and pauses them together. While
 * paused, stepped events map through the last run's anchors, i.e. to where
 * they would have fallen had both clocks kept running; both sides step
 * independently then, so there is no truer common time to show. A batch that
 * straddles a change of speed is mapped with the newer anchor (a few hundred
 * ms of events, once per change).
 *
 * The offset's error is in wall ms; on our stack clock it is `error × speed`
 * (at 0.1× a 2 ms doubt is 0.2 stack ms).
 */

export interface ClockAnchor {
  /** Wall time (ms since the Unix epoch, on that tab's page clock) at which the stack clock read `stack`. */
  wall: number;
  stack: number;
  /** Stack ms per wall ms, in [0.01, 1]. */
  speed: number;
}

/** When stack time t happened (or, past a pause, would have happened) on the wall clock. */
export function stackToWall(t: number, a: ClockAnchor): number {
  return a.wall + (t - a.stack) / a.speed;
}

/** The stack time of wall time w, on the clock anchored by a. */
export function wallToStack(w: number, a: ClockAnchor): number {
  return a.stack + (w - a.wall) * a.speed;
}

/** A peer stack time on our stack timeline; offset = peer wall clock - ours (ms). */
export function peerToLocal(t: number, peer: ClockAnchor, offset: number, local: ClockAnchor): number {
  return wallToStack(stackToWall(t, peer) - offset, local);
}

/** The offset's uncertainty (wall ms) as stack ms on our clock. */
export function stackError(wallError: number, local: ClockAnchor): number {
  return wallError * local.speed;
}
