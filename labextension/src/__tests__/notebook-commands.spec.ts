import { DagModel } from '../model';
import {
  ICommandContext,
  isCommandEnabled,
  runRequestFor
} from '../notebook/commandsstate';
import { defaultKernelId } from '../notebook/kernelfollow';
import { makeApi } from './fixtures';

const ctx = (partial: Partial<ICommandContext> = {}): ICommandContext => ({
  projectId: 'p1',
  cellId: 'clean',
  cellType: 'code',
  kernelId: 'k1',
  ...partial
});

describe('notebook commands', () => {
  it('are enabled only for a notebook with a project', () => {
    for (const command of [
      'run-cell-upstream',
      'run-cell-downstream',
      'run-stale',
      'show-in-dag',
      'show-outputs'
    ] as const) {
      expect(isCommandEnabled(command, ctx())).toBe(true);
      expect(isCommandEnabled(command, ctx({ projectId: null }))).toBe(false);
      expect(isCommandEnabled(command, null)).toBe(false);
    }
  });

  it('run code cells; show any cell', () => {
    const md = ctx({ cellType: 'markdown', cellId: 'md' });
    expect(isCommandEnabled('run-cell-upstream', md)).toBe(false);
    expect(isCommandEnabled('run-cell-downstream', md)).toBe(false);
    expect(isCommandEnabled('show-in-dag', md)).toBe(true);
    expect(isCommandEnabled('run-stale', md)).toBe(true);
    const none = ctx({ cellId: null, cellType: null });
    expect(isCommandEnabled('show-in-dag', none)).toBe(false);
    expect(isCommandEnabled('run-stale', none)).toBe(true);
  });

  it("start runs on the notebook's kernel", () => {
    expect(runRequestFor('run-cell-upstream', ctx())).toEqual({
      mode: 'upstream',
      block_id: 'clean',
      kernel_id: 'k1'
    });
    expect(runRequestFor('run-cell-downstream', ctx())).toEqual({
      mode: 'downstream',
      block_id: 'clean',
      kernel_id: 'k1'
    });
    expect(runRequestFor('run-stale', ctx())).toEqual({
      mode: 'stale',
      kernel_id: 'k1'
    });
    // no session kernel: the project's
    expect(runRequestFor('run-stale', ctx({ kernelId: null }))).toEqual({
      mode: 'stale'
    });
    expect(runRequestFor('show-in-dag', ctx())).toBeNull();
    expect(
      runRequestFor('run-cell-upstream', ctx({ cellType: 'raw' }))
    ).toBeNull();
  });
});

describe('one kernel by default', () => {
  it("picks the notebook's session kernel", () => {
    expect(defaultKernelId([])).toBeNull();
    expect(
      defaultKernelId([
        { id: 'k1', label: 'a' },
        { id: 'k2', label: 'b' }
      ])
    ).toBe('k1');
  });

  it('follows the session kernel until the user picks one', () => {
    const model = new DagModel({ projectId: 'p1', api: makeApi() });
    const runner = model.runner;
    runner.followKernel('k1');
    expect(runner.kernelId).toBe('k1');
    expect(runner.kernelChosen).toBe(false);
    runner.followKernel('k2'); // the kernel changed
    expect(runner.kernelId).toBe('k2');
    runner.chooseKernel(null); // "Project kernel", explicitly
    expect(runner.kernelId).toBeNull();
    expect(runner.kernelChosen).toBe(true);
    runner.followKernel('k3');
    expect(runner.kernelId).toBeNull();
    model.dispose();
  });
});
