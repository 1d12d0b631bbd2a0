import { GroupedRuns } from './grouped-runs.js';

/** A run that finishes when the test says so, recording what it carried. */
function controlledWork() {
  const runs: Array<{ key: string; items: number[]; finish: (value: string) => void; fail: (error: Error) => void }> = [];
  const work = (key: string, items: number[]) =>
    new Promise<string>((resolve, reject) => {
      runs.push({ key, items: [...items], finish: resolve, fail: reject });
    });
  return { runs, work };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupedRuns', () => {
  it('starts a run at once when none is in flight', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const answer = grouped.call('a', 1);
    expect(runs.map((run) => run.items)).toEqual([[1]]);
    runs[0].finish('first');
    await expect(answer).resolves.toBe('first');
  });

  it('never answers a call with a run that started before it: callers during a run share the next one', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const first = grouped.call('a', 1);
    const second = grouped.call('a', 2);
    const third = grouped.call('a', 3);
    // Only the first run is out; the others wait for one that starts after they called.
    expect(runs).toHaveLength(1);
    runs[0].finish('run 1');
    await expect(first).resolves.toBe('run 1');
    await tick();
    expect(runs.map((run) => run.items)).toEqual([[1], [2, 3]]);
    const fourth = grouped.call('a', 4);
    runs[1].finish('run 2');
    await expect(second).resolves.toBe('run 2');
    await expect(third).resolves.toBe('run 2');
    await tick();
    expect(runs.map((run) => run.items)).toEqual([[1], [2, 3], [4]]);
    runs[2].finish('run 3');
    await expect(fourth).resolves.toBe('run 3');
  });

  it('lets callers that come in the turn a run ends join the next run', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const first = grouped.call('a', 1);
    const second = grouped.call('a', 2);
    runs[0].finish('run 1');
    await expect(first).resolves.toBe('run 1');
    // Still in the turn that saw run 1 end (its answer and the requests read with it): no run is out yet.
    const third = grouped.call('a', 3);
    expect(runs).toHaveLength(1);
    await tick();
    expect(runs.map((run) => run.items)).toEqual([[1], [2, 3]]);
    runs[1].finish('run 2');
    await expect(second).resolves.toBe('run 2');
    await expect(third).resolves.toBe('run 2');
  });

  it('keeps keys apart', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const a = grouped.call('a', 1);
    const b = grouped.call('b', 2);
    expect(runs.map((run) => [run.key, run.items])).toEqual([
      ['a', [1]],
      ['b', [2]],
    ]);
    runs[1].finish('b');
    runs[0].finish('a');
    await expect(a).resolves.toBe('a');
    await expect(b).resolves.toBe('b');
  });

  it('fails only the callers of the failed run, and runs again for the next ones', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const first = grouped.call('a', 1);
    const second = grouped.call('a', 2);
    runs[0].fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    runs[1].finish('recovered');
    await expect(second).resolves.toBe('recovered');
    // A work function that throws synchronously is a failed run too, not a stuck key.
    const throwing = new GroupedRuns<string, number, string>(() => {
      throw new Error('bad statement');
    });
    await expect(throwing.call('a', 1)).rejects.toThrow('bad statement');
    await expect(throwing.call('a', 2)).rejects.toThrow('bad statement');
  });

  it('keeps nothing once the runs of a key are over', async () => {
    const { runs, work } = controlledWork();
    const grouped = new GroupedRuns(work);
    const answer = grouped.call('a', 1);
    runs[0].finish('done');
    await answer;
    await tick();
    expect((grouped as unknown as { slots: Map<string, unknown> }).slots.size).toBe(0);
    const again = grouped.call('a', 2);
    expect(runs).toHaveLength(2);
    runs[1].finish('again');
    await expect(again).resolves.toBe('again');
  });
});
