import { describe, expect, it } from 'vitest';
import { MAX_SPEED, MIN_SPEED, RealtimeDriver, SLICE_MS, type WallClock } from '../../../worker/sim/driver';
import { Scheduler } from '../../../worker/sim/scheduler';

/**
 * A wall clock we turn by hand: `now` only moves in advance(), and host timers
 * fire only there, in due order, each at its own due time.
 */
class FakeWall implements WallClock {
  time = 0;
  private nextHandle = 1;
  readonly timers = new Map<number, { due: number; fn: () => void }>();
  /** Every setTimer call, for asserting how the driver re-arms. */
  readonly armed: { handle: number; due: number }[] = [];

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    const due = this.time + Math.max(0, ms);
    this.timers.set(handle, { due, fn });
    this.armed.push({ handle, due });
    return handle;
  }

  cancelTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Wall-clock due times of the pending host timers. */
  pendingDue(): number[] {
    return [...this.timers.values()].map((t) => t.due);
  }

  /** Moves wall time forward by `ms`, firing due timers on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let fired = 0; ; fired++) {
      if (fired > 10_000) throw new Error('the driver keeps re-arming host timers without progress');
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].due <= end && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].due);
      next[1].fn();
    }
    this.time = end;
  }
}

function setup(start = 0) {
  const scheduler = new Scheduler(start);
  const wall = new FakeWall();
  wall.time = 1000; // the wall clock does not start at zero
  const driver = new RealtimeDriver(scheduler, wall);
  const log: string[] = [];
  const note = (label: string) => () => log.push(`${label}@${+scheduler.now.toFixed(9)} wall ${+wall.time.toFixed(9)}`);
  return { scheduler, wall, driver, log, note };
}

describe('RealtimeDriver', () => {
  it('starts paused and does nothing until run', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(5, note('a'));
    expect(driver.mode).toBe('paused');
    wall.advance(100);
    expect(log).toEqual([]);
    expect(scheduler.now).toBe(0);
    expect(wall.timers.size).toBe(0);
  });

  it('run advances stack time with wall time, firing events on time', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(20, note('a'));
    scheduler.at(35, note('b'));
    driver.run();
    expect(driver.mode).toBe('running');
    expect(wall.pendingDue()).toEqual([1020]);
    wall.advance(19);
    expect(log).toEqual([]);
    wall.advance(1);
    expect(log).toEqual(['a@20 wall 1020']);
    wall.advance(30);
    expect(log).toEqual(['a@20 wall 1020', 'b@35 wall 1035']);
    expect(driver.state().now).toBe(50);
  });

  it('reports the current stack time while running even when no event is due', () => {
    const { scheduler, wall, driver } = setup(100);
    driver.run();
    wall.advance(42);
    expect(driver.state().now).toBe(142);
    expect(scheduler.now).toBe(142);
    driver.pause();
    wall.advance(1000);
    expect(driver.state().now).toBe(142);
  });

  it('at speed 0.1 a 20 ms event takes 200 ms of wall time', () => {
    const { scheduler, wall, driver, log, note } = setup();
    driver.setSpeed(0.1);
    scheduler.at(20, note('rtt'));
    driver.run();
    expect(wall.pendingDue()).toEqual([1200]);
    wall.advance(199);
    expect(log).toEqual([]);
    wall.advance(1);
    expect(log).toEqual(['rtt@20 wall 1200']);
  });

  it('fires an event whose wall timer comes due when float rounding leaves stack time a hair short', () => {
    // 7 ms at speed 0.3 from these anchors: (wall - anchor) * speed lands just under 7.
    const { scheduler, wall, driver, log, note } = setup();
    wall.time = 0.1;
    driver.setSpeed(0.3);
    scheduler.at(7, note('x'));
    driver.run();
    wall.advance(7 / 0.3 + 1e-9);
    expect(log.length).toBe(1);
    // and many random anchors: every event fires when its host timer fires, with no extra wake-ups
    let seed = 1;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const s = new Scheduler(rand() * 1e5);
      const w = new FakeWall();
      w.time = rand() * 1e6;
      const d = new RealtimeDriver(s, w);
      d.setSpeed([1, 0.1, 0.3, 0.7, 0.01][i % 5]);
      let ran = false;
      s.at(s.now + rand() * 1000, () => (ran = true));
      d.run();
      const [due] = w.pendingDue();
      w.advance(due - w.time);
      expect(ran, `case ${i}`).toBe(true);
      expect(w.armed.length, `case ${i}: host timers armed`).toBe(1);
    }
  });

  it('setSpeed clamps to [0.01, 1]', () => {
    const { driver } = setup();
    for (const [asked, got] of [
      [5, MAX_SPEED],
      [1, 1],
      [0.5, 0.5],
      [0.01, 0.01],
      [0.001, MIN_SPEED],
      [0, MIN_SPEED],
      [-3, MIN_SPEED],
      [Number.NaN, 1],
      [Infinity, 1],
    ]) {
      driver.setSpeed(asked);
      expect(driver.speed, `setSpeed(${asked})`).toBe(got);
    }
    expect(MIN_SPEED).toBe(0.01);
    expect(MAX_SPEED).toBe(1);
  });

  it('setSpeed keeps stack time continuous and re-times the pending event', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(160, note('a'));
    driver.run();
    wall.advance(100);
    driver.setSpeed(0.5);
    expect(driver.state().now).toBe(100);
    wall.advance(50);
    expect(driver.state().now).toBe(125);
    // 35 ms of stack time left at half speed: 70 ms of wall time
    expect(wall.pendingDue()).toEqual([1220]);
    wall.advance(70);
    expect(log).toEqual(['a@160 wall 1220']);
    driver.setSpeed(1);
    wall.advance(10);
    expect(driver.state().now).toBe(170);
  });

  it('pause freezes stack time and run resumes from where it stopped', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(50, note('a'));
    driver.run();
    wall.advance(30);
    driver.pause();
    expect(driver.mode).toBe('paused');
    expect(scheduler.now).toBe(30);
    expect(wall.timers.size).toBe(0);
    wall.advance(1000);
    expect(log).toEqual([]);
    expect(driver.state().now).toBe(30);
    driver.run();
    wall.advance(19);
    expect(log).toEqual([]);
    wall.advance(1);
    expect(log).toEqual(['a@50 wall 2050']);
  });

  it('run and pause twice are harmless', () => {
    const { scheduler, wall, driver } = setup();
    scheduler.at(10, () => {});
    driver.run();
    driver.run();
    expect(wall.timers.size).toBe(1);
    driver.pause();
    driver.pause();
    expect(wall.timers.size).toBe(0);
  });

  it('inject while paused queues; step releases exactly one event at a time', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(10, note('timer'));
    driver.inject(note('frame1'));
    driver.inject(note('frame2'));
    wall.advance(100);
    expect(log).toEqual([]);
    expect(driver.state().pending).toBe(3);
    expect(driver.state().nextLabel).toBe('input');
    expect(driver.step()).toBe(true);
    expect(log).toEqual(['frame1@0 wall 1100']);
    expect(driver.step()).toBe(true);
    expect(log).toEqual(['frame1@0 wall 1100', 'frame2@0 wall 1100']);
    expect(driver.step()).toBe(true); // jumps stack time to the timer
    expect(log[2]).toBe('timer@10 wall 1100');
    expect(scheduler.now).toBe(10);
    expect(driver.step()).toBe(false);
    expect(wall.timers.size).toBe(0);
  });

  it('step does nothing while running', () => {
    const { scheduler, driver } = setup();
    scheduler.at(10, () => {});
    driver.run();
    expect(driver.step()).toBe(false);
    expect(scheduler.pending).toBe(1);
  });

  it('inject while running runs at once, at the current stack time', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(100, note('timer'));
    driver.run();
    wall.advance(37);
    driver.inject(note('frame'));
    expect(log).toEqual(['frame@37 wall 1037']);
    expect(scheduler.pending).toBe(1);
  });

  it('inject from inside a running event runs in the same pass, after it', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(10, () => {
      log.push('outer');
      driver.inject(note('inner'));
    });
    scheduler.at(10, note('sibling'));
    driver.run();
    wall.advance(10);
    expect(log).toEqual(['outer', 'sibling@10 wall 1010', 'inner@10 wall 1010']);
    expect(wall.timers.size).toBe(0);
  });

  it('re-arms its host timer for the next event, including ones armed by events and injected input', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(10, () => {
      log.push('a');
      scheduler.after(5, note('child'));
    });
    scheduler.at(30, note('b'));
    driver.run();
    expect(wall.pendingDue()).toEqual([1010]);
    wall.advance(10);
    expect(wall.pendingDue()).toEqual([1015]);
    wall.advance(5);
    expect(wall.pendingDue()).toEqual([1030]);
    // input that arms an earlier timer moves the host timer forward
    driver.inject(() => scheduler.after(2, note('rto')));
    expect(wall.pendingDue()).toEqual([1017]);
    wall.advance(2);
    expect(log).toEqual(['a', 'child@15 wall 1015', 'rto@17 wall 1017']);
    expect(wall.pendingDue()).toEqual([1030]);
    wall.advance(20);
    expect(wall.timers.size).toBe(0); // idle: no host timer at all
    expect(log.at(-1)).toBe('b@30 wall 1030');
  });

  it('keeps its host timer across input that leaves the next event where it was or later (one frame per input, no re-arming)', () => {
    const { scheduler, wall, driver, log, note } = setup();
    let rto = scheduler.at(200, note('rto'));
    driver.run();
    expect(wall.armed.length).toBe(1);
    // 100 frames arrive, each restarting the RTO further out: the host timer armed for 200 stays.
    for (let i = 1; i <= 100; i++) {
      wall.advance(1);
      driver.inject(() => {
        rto.cancel();
        rto = scheduler.at(scheduler.now + 200, note('rto'));
      });
    }
    expect(wall.armed.length).toBe(1);
    // It wakes early (at 200), runs nothing, and arms for the real deadline (300); the RTO fires on time.
    wall.advance(100);
    expect(log).toEqual([]);
    expect(wall.pendingDue()).toEqual([1300]);
    wall.advance(100);
    expect(log).toEqual(['rto@300 wall 1300']);
    expect(wall.armed.length).toBe(2);
  });

  it('runs events that are overdue as soon as it runs, in order', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(1, note('a'));
    scheduler.at(2, note('b'));
    driver.run();
    wall.advance(50); // one late host timer: both events run in one batch
    expect(log).toEqual(['a@1 wall 1001', 'b@2 wall 1002']);
  });

  it('calls onAfterRun after each batch that ran something, and after a step', () => {
    const { scheduler, wall, driver } = setup();
    let batches = 0;
    driver.onAfterRun = () => batches++;
    scheduler.at(10, () => {});
    scheduler.at(10, () => {});
    scheduler.at(20, () => {});
    driver.run();
    expect(batches).toBe(0);
    wall.advance(10);
    expect(batches).toBe(1); // the two events at 10 are one batch
    driver.inject(() => {});
    expect(batches).toBe(2);
    driver.pause();
    expect(batches).toBe(2);
    driver.step();
    expect(batches).toBe(3);
    driver.step();
    expect(batches).toBe(3);
  });

  it('state() describes the driver and the scheduler', () => {
    const { scheduler, driver } = setup();
    scheduler.at(10, () => {}, 'rto');
    driver.setSpeed(0.25);
    expect(driver.state()).toEqual({ mode: 'paused', speed: 0.25, now: 0, pending: 1, nextAt: 10, nextLabel: 'rto', eventsRun: 0, busyMs: 0, throttled: false, throttledMs: 0, anchor: { wall: 1000, stack: 0 } });
  });

  it('counts the wall time its events take (the stack\'s real processing time), not the waits between them', () => {
    const { scheduler, driver, wall } = setup();
    // Each event "computes" for 2 ms of wall time; they are 10 ms of stack time apart.
    for (const at of [10, 20, 30]) scheduler.at(at, () => (wall.time += 2), 'work');
    driver.step();
    expect(driver.state().busyMs).toBe(2);
    driver.run();
    wall.advance(100);
    expect(driver.state().busyMs).toBe(6);
    expect(driver.state().eventsRun).toBe(3);
  });

  it('reports its anchor: while running, stack time t happened at wall anchor.wall + (t - anchor.stack) / speed, on the clock its origin names', () => {
    const scheduler = new Scheduler();
    const wall = new FakeWall();
    wall.time = 1000;
    const driver = new RealtimeDriver(scheduler, Object.assign(wall, { origin: 1.7e12 }));
    driver.run();
    wall.advance(400);
    driver.setSpeed(0.25); // re-anchors at stack 400, wall 1400
    wall.advance(800);
    const s = driver.state();
    expect(s.anchor).toEqual({ wall: 1.7e12 + 1400, stack: 400 });
    expect(s.now).toBe(600);
    expect(s.anchor.stack + (1.7e12 + wall.now() - s.anchor.wall) * s.speed).toBe(s.now);
    // Paused, the anchor stays: stack time stops, and stepped events fall where the running clock would have put them.
    driver.pause();
    expect(driver.state().anchor).toEqual(s.anchor);
  });
});

describe('RealtimeDriver: a stack slower than real time', () => {
  it(`yields to its host after ${SLICE_MS} ms of events in one pass and goes on at once, without moving the clock past events not run`, () => {
    const { scheduler, wall, driver } = setup();
    const order: number[] = [];
    // 1,000 events due at once, each taking 0.1 ms of wall time: 100 ms of work.
    for (let i = 0; i < 1000; i++) scheduler.at(0, () => (order.push(i), (wall.time += 0.1)));
    const passes: number[] = [];
    driver.onAfterRun = () => passes.push(order.length - passes.reduce((a, b) => a + b, 0));
    driver.run();
    expect(passes).toHaveLength(1);
    expect(passes[0]).toBeGreaterThanOrEqual(SLICE_MS / 0.1);
    expect(passes[0]).toBeLessThanOrEqual(SLICE_MS / 0.1 + 16); // the wall clock is read every 16 events
    expect(scheduler.now).toBe(0); // behind the wall clock, not jumped ahead of the waiting events
    expect(wall.pendingDue()).toEqual([wall.time]); // a 0 ms host timer: the host runs its other tasks first
    for (let i = 0; i < 100 && order.length < 1000; i++) wall.advance(20);
    expect(order).toEqual([...Array(1000).keys()]);
    expect(passes.length).toBeGreaterThanOrEqual(9);
    expect(Math.max(...passes)).toBeLessThanOrEqual(SLICE_MS / 0.1 + 16);
  });
});

describe('RealtimeDriver: throttle (solo mode waits for the display)', () => {
  /** Events at stack 20, 50 and 80; running; throttled at wall 1030 (stack 30) after the first. */
  function held() {
    const t = setup();
    const { scheduler, wall, driver, note } = t;
    for (const [at, label] of [[20, 'a'], [50, 'b'], [80, 'c']] as const) scheduler.at(at, note(label));
    driver.run();
    wall.advance(30);
    driver.throttle(true);
    return t;
  }

  it('while throttled and running nothing runs, even as the wall clock passes due times, and no host timer is armed', () => {
    const { scheduler, wall, driver, log } = held();
    expect(log).toEqual(['a@20 wall 1020']);
    expect(scheduler.now).toBe(30); // brought up to the instant of the hold, as pause does
    expect(wall.timers.size).toBe(0);
    wall.advance(500);
    expect(log).toEqual(['a@20 wall 1020']);
    const s = driver.state();
    expect(s).toMatchObject({ mode: 'running', throttled: true, now: 30, pending: 2, nextAt: 50 });
    expect(wall.timers.size).toBe(0); // state() did not pump either
  });

  it('on release stack time continues from the hold (no catching up): events run at their stack times, later on the wall', () => {
    const { scheduler, wall, driver, log } = held();
    wall.advance(500); // held from wall 1030 to 1530
    driver.throttle(false);
    expect(log).toEqual(['a@20 wall 1020']); // nothing burst out
    expect(driver.state().now).toBe(30);
    expect(wall.pendingDue()).toEqual([1550]); // b at 50: 20 ms of stack time after the release
    wall.advance(19);
    expect(log).toHaveLength(1);
    wall.advance(1);
    expect(log).toEqual(['a@20 wall 1020', 'b@50 wall 1550']);
    wall.advance(40);
    // stack time after release = stack time at hold + elapsed since release x speed
    expect(driver.state().now).toBe(30 + 60);
    expect(log.at(-1)).toBe('c@80 wall 1580');
    expect(scheduler.pending).toBe(0);
  });

  it('at a slower speed the release continues at that speed', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(100, note('x'));
    driver.setSpeed(0.5);
    driver.run();
    wall.advance(40); // stack 20
    driver.throttle(true);
    wall.advance(1000);
    driver.throttle(false); // wall 2040
    wall.advance(100);
    expect(driver.state().now).toBe(20 + 100 * 0.5);
    expect(wall.pendingDue()).toEqual([2040 + (100 - 20) / 0.5]);
    wall.advance(60);
    expect(log).toEqual(['x@100 wall 2200']);
  });

  it('input injected while held queues as events and runs on release, at the stack time of the hold, in order', () => {
    const { wall, driver, log, note } = held();
    wall.advance(100);
    driver.inject(note('frame1'));
    wall.advance(100);
    driver.inject(note('frame2'));
    expect(log).toHaveLength(1);
    expect(driver.state()).toMatchObject({ pending: 4, nextLabel: 'input' });
    expect(wall.timers.size).toBe(0);
    driver.throttle(false);
    expect(log).toEqual(['a@20 wall 1020', 'frame1@30 wall 1230', 'frame2@30 wall 1230']);
    expect(wall.pendingDue()).toEqual([1250]);
  });

  it('the person\'s controls keep their meaning: pause while held pauses, step still steps, run while held stays held until release', () => {
    const { scheduler, wall, driver, log } = held();
    driver.pause();
    expect(driver.state()).toMatchObject({ mode: 'paused', throttled: true, now: 30 });
    // Step is the person asking for one event: it runs, hold or not.
    expect(driver.step()).toBe(true);
    expect(log.at(-1)).toBe('b@50 wall 1030');
    // Run while held: running, but nothing moves until the display catches up.
    driver.run();
    expect(driver.mode).toBe('running');
    wall.advance(200);
    expect(log).toHaveLength(2);
    expect(wall.timers.size).toBe(0);
    expect(driver.step()).toBe(false); // running: step does nothing, as ever
    driver.throttle(false); // wall 1230, stack 50
    expect(wall.pendingDue()).toEqual([1260]);
    // Released while paused: nothing runs until run().
    driver.pause();
    driver.throttle(true);
    driver.throttle(false);
    wall.advance(100);
    expect(log).toHaveLength(2);
    expect(scheduler.now).toBe(50);
    driver.run();
    wall.advance(30);
    expect(log.at(-1)).toBe('c@80 wall 1360');
  });

  it('setSpeed while held changes the speed without arming anything; the release uses it', () => {
    const { wall, driver, log } = held();
    driver.setSpeed(0.5);
    expect(wall.timers.size).toBe(0);
    wall.advance(100);
    expect(driver.state().now).toBe(30);
    driver.throttle(false); // wall 1130
    expect(wall.pendingDue()).toEqual([1130 + 20 / 0.5]);
    wall.advance(40);
    expect(log.at(-1)).toBe('b@50 wall 1170');
  });

  it('throttledMs adds up the wall time held while running (ongoing holds included, paused time not), twice is harmless', () => {
    const { wall, driver } = held(); // held since wall 1030
    driver.throttle(true);
    wall.advance(100);
    expect(driver.state().throttledMs).toBe(100);
    driver.throttle(false);
    driver.throttle(false);
    wall.advance(10);
    expect(driver.state()).toMatchObject({ throttled: false, throttledMs: 100 });
    driver.throttle(true);
    wall.advance(50);
    expect(driver.state().throttledMs).toBe(150);
    driver.pause(); // paused: the person's wait, not the display's
    wall.advance(1000);
    expect(driver.state().throttledMs).toBe(150);
    driver.run(); // still held
    wall.advance(25);
    expect(driver.state()).toMatchObject({ throttled: true, throttledMs: 175 });
    driver.throttle(false);
    wall.advance(1000);
    expect(driver.state().throttledMs).toBe(175);
  });

  it('busyMs still counts only the events, not the holds', () => {
    const { scheduler, wall, driver } = setup();
    for (const at of [10, 20]) scheduler.at(at, () => (wall.time += 2));
    driver.run();
    wall.advance(10); // the first: 2 ms busy
    driver.throttle(true);
    wall.advance(500);
    driver.throttle(false);
    wall.advance(100);
    expect(driver.state()).toMatchObject({ busyMs: 4, eventsRun: 2 });
  });

  it('a hold asked for from inside an event takes effect after that pass: no host timer is armed', () => {
    const { scheduler, wall, driver, log, note } = setup();
    scheduler.at(10, () => {
      log.push('asks');
      driver.throttle(true);
    });
    scheduler.at(10, note('same pass'));
    scheduler.at(40, note('later'));
    driver.run();
    wall.advance(10);
    expect(log).toEqual(['asks', 'same pass@10 wall 1010']);
    expect(wall.timers.size).toBe(0);
    wall.advance(100);
    expect(log).toHaveLength(2);
    driver.throttle(false);
    wall.advance(30);
    expect(log.at(-1)).toBe('later@40 wall 1140');
  });
});
