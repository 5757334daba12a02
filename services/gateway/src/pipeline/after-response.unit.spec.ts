import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type buildGateway as BuildGateway } from '../app.js';
import { AfterResponse } from './after-response.js';

describe('AfterResponse', () => {
  it('runs a task in a later turn of the event loop, never synchronously, and returns its result', async () => {
    const lane = new AfterResponse();
    const order: string[] = [];
    setImmediate(() => order.push('due before'));
    const task = lane.run(() => {
      order.push('task');
      return 42;
    });
    queueMicrotask(() => order.push('microtask'));
    order.push('sync');
    await expect(task).resolves.toBe(42);
    expect(order).toEqual(['sync', 'microtask', 'due before', 'task']);
  });

  it('waits for a quiet turn, then lets a quarter of a backlog through per turn, so new I/O gets in between', async () => {
    // A clock that stands still: however slow the machine, the tasks never wait past their longest delay here.
    const lane = new AfterResponse({ quietMs: 0, now: () => 0 });
    const ran: number[] = [];
    const marks: number[] = [];
    // Answering these requests made the current turn busy.
    const tasks = Array.from({ length: 16 }, (_, i) => lane.run(() => void ran.push(i)));
    // One mark per event-loop turn: how many tasks had run when each turn's I/O phase came round.
    const tick = () => {
      marks.push(ran.length);
      if (ran.length < 16) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all(tasks);
    expect(ran).toEqual([...Array(16).keys()]);
    // None in the busy turn; then not all in one: 4 of 16, then 3 of 12, 2 of 9, then one at least per turn.
    expect(marks.slice(0, 5)).toEqual([0, 4, 7, 9, 10]);
    expect(marks.length).toBeGreaterThan(7);
  });

  it('holds bookkeeping back while every turn is busy, up to its longest delay, then keeps pace', async () => {
    let clock = 0;
    const lane = new AfterResponse({ quietMs: 0, maxDelayMs: 10, now: () => clock });
    const ran: number[] = [];
    const tasks = Array.from({ length: 8 }, (_, i) => lane.run(() => void ran.push(i)));
    // A request arrives in every turn, 1 ms apart.
    const seen: number[] = [];
    const arrivals = () => {
      seen.push(ran.length);
      lane.busy();
      clock += 1;
      if (ran.length < 8) setImmediate(arrivals);
    };
    setImmediate(arrivals);
    await Promise.all(tasks);
    // Nothing ran in the ten turns while the oldest task had waited less than 10 ms, then a quarter
    // (at least one) per turn although every turn stayed busy: 2 of 8, 1 of 6, 1 of 5...
    expect(seen).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 5, 6, 7]);
    expect(ran).toEqual([...Array(8).keys()]);
  });

  it('without a quiet window, runs bookkeeping in the first quiet turn, without waiting for its longest delay', async () => {
    const clock = 0;
    const lane = new AfterResponse({ quietMs: 0, maxDelayMs: 60_000, now: () => clock });
    const task = lane.run(() => 'recorded');
    let turns = 0;
    const count = () => {
      turns++;
      if (turns < 100) setImmediate(count);
    };
    setImmediate(count);
    await expect(task).resolves.toBe('recorded');
    // The turn of the answer was busy; the next one was quiet.
    expect(turns).toBeLessThanOrEqual(2);
  });

  describe('quiet window', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('starts bookkeeping once no request arrived, was admitted or answered for the whole window', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'Date'] });
      const lane = new AfterResponse({ quietMs: 2, maxDelayMs: 100, now: () => Date.now() });
      const ran: string[] = [];
      const task = lane.run(() => void ran.push('recorded'));
      await vi.advanceTimersByTimeAsync(1);
      lane.busy(); // the next wave's first request, 1 ms after the answer
      await vi.advanceTimersByTimeAsync(2.9);
      expect(ran).toEqual([]); // the window that ended at 2 ms saw a request: another one is waited for
      await vi.advanceTimersByTimeAsync(0.1);
      expect(ran).toEqual(['recorded']); // quiet from 2 to 4 ms
      await task;
    });

    it('under steady arrivals, waits no longer than its longest delay, then keeps pace a quarter per turn', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'Date'] });
      const lane = new AfterResponse({ quietMs: 2, maxDelayMs: 10, now: () => Date.now() });
      const ran: number[] = [];
      const tasks = Array.from({ length: 8 }, (_, i) => lane.run(() => void ran.push(i)));
      const arrivals = setInterval(() => lane.busy(), 1);
      try {
        await vi.advanceTimersByTimeAsync(9.5);
        expect(ran).toEqual([]);
        await vi.advanceTimersByTimeAsync(0.5);
        expect(ran.length).toBeGreaterThan(0); // the window that closed at 10 ms lets work through, busy or not
        expect(ran.length).toBeLessThan(8); // not all of it in one turn
        await vi.advanceTimersByTimeAsync(20);
        await Promise.all(tasks);
        expect(ran).toEqual([...Array(8).keys()]);
      } finally {
        clearInterval(arrivals);
      }
    });

    it('waits on a timer, not by spinning the event loop', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'Date'] });
      const lane = new AfterResponse({ quietMs: 2, maxDelayMs: 100, now: () => Date.now() });
      const task = lane.run(() => 'recorded');
      // One timer for the window and nothing queued for the next turn: an idle gateway sleeps.
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(2);
      await expect(task).resolves.toBe('recorded');
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('drain() waits for waiting and running tasks, failed ones included', async () => {
    const lane = new AfterResponse();
    let release!: () => void;
    const slow = lane.run(() => new Promise<void>((r) => (release = r)));
    const failing = lane.run(() => Promise.reject(new Error('ledger down')));
    expect(lane.open).toBe(2);
    let drained = false;
    const d = lane.drain().then(() => (drained = true));
    await expect(failing).rejects.toThrow('ledger down');
    expect(drained).toBe(false);
    release();
    await slow;
    await d;
    expect(drained).toBe(true);
    expect(lane.open).toBe(0);
    await expect(lane.drain()).resolves.toBeUndefined();
  });

  it('drain() also waits for tracked work (a request handler), and track() passes its result or error through', async () => {
    const lane = new AfterResponse();
    let finish!: (v: string) => void;
    const handler = lane.track(new Promise<string>((r) => (finish = r)));
    await expect(lane.track(Promise.reject(new Error('bad input')))).rejects.toThrow('bad input');
    expect(lane.open).toBe(1);
    let drained = false;
    const d = lane.drain().then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    finish('reply');
    await expect(handler).resolves.toBe('reply');
    await d;
    expect(lane.open).toBe(0);
  });
});

describe('gateway close', () => {
  let buildGateway: typeof BuildGateway;
  // Loading the whole gateway from source is the slow part on a loaded machine: a hook of its own,
  // with room, so that the test's timeout covers only what it checks.
  beforeAll(async () => {
    ({ buildGateway } = await import('../app.js'));
  }, 60_000);

  it('waits for unfinished request work, but not past its grace period', async () => {
    const after = new AfterResponse();
    let finish!: () => void;
    void after.track(new Promise<void>((r) => (finish = r)));
    const app = buildGateway({ readiness: [], after, closeGraceMs: 60_000 });
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    // Many turns of the event loop: enough for a close that waits for nothing to have ended.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false); // still waiting for the request's work
    finish();
    await closing;
    expect(after.open).toBe(0);

    // A handler that never ends: the close goes on after the grace period (else this test hangs).
    const stuck = new AfterResponse();
    void stuck.track(new Promise<never>(() => undefined));
    await buildGateway({ readiness: [], after: stuck, closeGraceMs: 20 }).close();
    expect(stuck.open).toBe(1);
  });
});
