import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Scheduler } from '../../../worker/sim/scheduler';

/** A scheduler and a log of `label@time` lines written by the events it runs. */
function logged(start = 0) {
  const s = new Scheduler(start);
  const log: string[] = [];
  const note = (label: string) => () => log.push(`${label}@${s.now}`);
  return { s, log, note };
}

describe('Scheduler', () => {
  it('runs events in time order, moving the clock to each', () => {
    const { s, log, note } = logged();
    s.at(30, note('c'));
    s.at(10, note('a'));
    s.at(20, note('b'));
    expect(s.pending).toBe(3);
    expect(s.nextAt()).toBe(10);
    expect(s.runUntilIdle()).toBe(3);
    expect(log).toEqual(['a@10', 'b@20', 'c@30']);
    expect(s.now).toBe(30);
    expect(s.pending).toBe(0);
    expect(s.nextAt()).toBeUndefined();
    expect(s.eventsRun).toBe(3);
  });

  it('runs events due at the same time in the order they were armed', () => {
    const { s, log, note } = logged();
    for (const label of ['a', 'b', 'c', 'd', 'e']) s.at(5, note(label));
    s.runUntilIdle();
    expect(log).toEqual(['a@5', 'b@5', 'c@5', 'd@5', 'e@5']);
  });

  it('a re-armed timer goes to the back of the line among equal times', () => {
    const { s, log, note } = logged();
    const a = s.timer(note('a'));
    a.set(5);
    s.at(5, note('b'));
    a.set(5); // same time, re-armed after b
    s.runUntilIdle();
    expect(log).toEqual(['b@5', 'a@5']);
  });

  it('cancel removes an event; cancelling twice or an unarmed timer is harmless', () => {
    const { s, log, note } = logged();
    s.at(1, note('a'));
    const b = s.at(2, note('b'));
    s.at(3, note('c'));
    b.cancel();
    expect(b.armed).toBe(false);
    expect(b.deadline).toBeUndefined();
    b.cancel();
    s.timer(note('never')).cancel();
    expect(s.pending).toBe(2);
    s.runUntilIdle();
    expect(log).toEqual(['a@1', 'c@3']);
  });

  it('re-arms a timer earlier and later in place', () => {
    const { s, log, note } = logged();
    const others = [10, 20, 30, 40, 50].map((t) => s.at(t, note(`e${t}`)));
    const rto = s.timer(note('rto'), 'rto');
    rto.set(45);
    expect(rto.deadline).toBe(45);
    rto.set(15); // earlier
    expect(s.pending).toBe(6);
    rto.set(35); // later
    rto.set(5); // earliest
    expect(s.nextAt()).toBe(5);
    expect(s.nextLabel()).toBe('rto');
    rto.set(60); // last
    expect(s.pending).toBe(6);
    s.runUntilIdle();
    expect(log).toEqual(['e10@10', 'e20@20', 'e30@30', 'e40@40', 'e50@50', 'rto@60']);
    expect(others.every((t) => !t.armed)).toBe(true);
  });

  it('setIn and after count from now', () => {
    const { s, log, note } = logged(100);
    s.after(5, note('after'));
    s.timer(note('setIn')).setIn(3);
    s.runUntilIdle();
    expect(log).toEqual(['setIn@103', 'after@105']);
  });

  it('an event armed in the past runs now, without moving the clock back', () => {
    const { s, log, note } = logged();
    s.runUntil(50);
    const t = s.at(10, note('late'));
    expect(t.deadline).toBe(50);
    s.at(Number.NaN, note('nan'));
    s.after(-5, note('negative'));
    s.runUntilIdle();
    expect(log).toEqual(['late@50', 'nan@50', 'negative@50']);
    expect(s.now).toBe(50);
  });

  it('runUntil runs what is due, including events exactly at the limit, and sets now', () => {
    const { s, log, note } = logged();
    s.at(10, note('a'));
    s.at(20, note('b'));
    s.at(20.5, note('c'));
    expect(s.runUntil(20)).toBe(2);
    expect(log).toEqual(['a@10', 'b@20']);
    expect(s.now).toBe(20);
    expect(s.runUntil(15)).toBe(0); // never backwards
    expect(s.now).toBe(20);
    expect(s.advance(100)).toBe(1);
    expect(s.now).toBe(120);
    expect(s.runUntil(130)).toBe(0);
    expect(s.now).toBe(130);
  });

  it('runNext respects its limit', () => {
    const { s, log, note } = logged();
    s.at(10, note('a'));
    expect(s.runNext(9)).toBe(false);
    expect(s.now).toBe(0);
    expect(s.runNext(10)).toBe(true);
    expect(s.runNext()).toBe(false);
    expect(log).toEqual(['a@10']);
  });

  it('runUntilIdle stops after maxEvents when a timer re-arms forever', () => {
    const s = new Scheduler();
    let fired = 0;
    const keepalive = s.timer(() => {
      fired++;
      keepalive.setIn(1000);
    }, 'keepalive');
    keepalive.setIn(1000);
    expect(s.runUntilIdle(25)).toBe(25);
    expect(fired).toBe(25);
    expect(s.now).toBe(25_000);
    expect(keepalive.armed).toBe(true);
  });

  it('events may arm, re-arm and cancel other timers while running', () => {
    const { s, log, note } = logged();
    const victim = s.at(30, note('victim'));
    const moved = s.at(40, note('moved'));
    s.at(10, () => {
      log.push(`first@${s.now}`);
      victim.cancel();
      moved.set(15);
      s.at(10, note('same-time')); // due now: runs in this same pass, after what is already queued at 10
      s.after(2, note('child'));
    });
    s.at(10, note('second'));
    expect(s.runUntil(20)).toBe(5);
    expect(log).toEqual(['first@10', 'second@10', 'same-time@10', 'child@12', 'moved@15']);
    expect(victim.armed).toBe(false);
    expect(s.runUntilIdle()).toBe(0);
  });

  it('an event can re-arm itself', () => {
    const { s, log } = logged();
    let n = 0;
    const t = s.timer(() => {
      log.push(`tick@${s.now}`);
      if (++n < 3) t.setIn(10);
    });
    t.set(0);
    s.runUntilIdle();
    expect(log).toEqual(['tick@0', 'tick@10', 'tick@20']);
  });

  type Op =
    | { kind: 'arm'; timer: number; at: number }
    | { kind: 'cancel'; timer: number }
    | { kind: 'run'; until: number };

  const TIMERS = 8;
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('arm' as const), timer: fc.nat(TIMERS - 1), at: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), timer: fc.nat(TIMERS - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('run' as const), until: fc.integer({ min: 0, max: 40 }) }) },
  );

  /** The obvious O(n) implementation: scan every timer for the smallest (time, arm order). */
  class NaiveScheduler {
    now = 0;
    private seq = 0;
    readonly timers: ({ at: number; seq: number } | undefined)[] = new Array(TIMERS).fill(undefined);
    readonly fired: string[] = [];

    arm(i: number, at: number): void {
      this.timers[i] = { at: Math.max(at, this.now), seq: this.seq++ };
    }

    cancel(i: number): void {
      this.timers[i] = undefined;
    }

    runUntil(limit: number): void {
      for (;;) {
        let best = -1;
        for (let i = 0; i < TIMERS; i++) {
          const t = this.timers[i];
          if (!t || t.at > limit) continue;
          const b = best >= 0 ? this.timers[best]! : undefined;
          if (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
        }
        if (best < 0) break;
        this.now = Math.max(this.now, this.timers[best]!.at);
        this.timers[best] = undefined;
        this.fired.push(`${best}@${this.now}`);
      }
      this.now = Math.max(this.now, limit);
    }
  }

  it('property: random arm / re-arm / cancel sequences run exactly the armed timers in (time, arm order)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const s = new Scheduler();
        const fired: string[] = [];
        const timers = Array.from({ length: TIMERS }, (_, i) => s.timer(() => fired.push(`${i}@${s.now}`)));
        const model = new NaiveScheduler();
        for (const op of ops) {
          if (op.kind === 'arm') {
            timers[op.timer].set(op.at);
            model.arm(op.timer, op.at);
          } else if (op.kind === 'cancel') {
            timers[op.timer].cancel();
            model.cancel(op.timer);
          } else {
            s.runUntil(op.until);
            model.runUntil(op.until);
          }
          expect(s.pending).toBe(model.timers.filter((t) => t !== undefined).length);
          for (let i = 0; i < TIMERS; i++) expect(timers[i].deadline).toBe(model.timers[i]?.at);
        }
        s.runUntil(1000);
        model.runUntil(1000);
        expect(fired).toEqual(model.fired);
        expect(s.now).toBe(model.now);
        expect(s.pending).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
