import { NotebookModel } from '@jupyterlab/notebook';

import {
  cellUpdates,
  toNbOutput,
  wasExecuted,
  writeCellUpdates
} from '../notebook/kerneloutputs';
import { IRun } from '../types';
import { sampleRun } from './fixtures';

function run(): IRun {
  const value = sampleRun();
  value.blocks[0].status = 'up_to_date'; // load: not executed
  value.blocks[0].started_at = null;
  value.blocks[1].started_at = '2024-01-01T00:00:03Z'; // clean ran last
  value.blocks[3].status = 'failed';
  value.blocks[3].outputs = [
    { output_type: 'error', ename: 'ZeroDivisionError', evalue: 'boom' }
  ];
  return value;
}

describe('run outputs into notebook cells', () => {
  it('tells executed blocks from skipped ones', () => {
    const blocks = run().blocks;
    expect(blocks.map(wasExecuted)).toEqual([false, true, true, true]);
    expect(wasExecuted({ ...blocks[1], status: 'running' })).toBe(false);
    expect(
      wasExecuted({ ...blocks[1], status: 'skipped', started_at: null })
    ).toBe(false);
  });

  it('maps the executed blocks to cell updates in the order they ran', () => {
    const updates = cellUpdates(run());
    expect(updates.map(u => u.cellId)).toEqual(['plot', 'stats', 'clean']);
    expect(updates[0]).toEqual({
      cellId: 'plot',
      executionCount: 3,
      outputs: [{ output_type: 'stream', name: 'stdout', text: '[2, 4, 6]\n' }]
    });
    expect(updates[1].outputs).toEqual([
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'boom',
        traceback: []
      }
    ]);
    // already written, or not asked for
    expect(cellUpdates(run(), new Set(['plot'])).map(u => u.cellId)).toEqual([
      'stats',
      'clean'
    ]);
    expect(
      cellUpdates(run(), new Set(), new Set(['clean', 'load'])).map(
        u => u.cellId
      )
    ).toEqual(['clean']);
  });

  it('makes valid nbformat outputs', () => {
    expect(
      toNbOutput(
        { output_type: 'execute_result', data: { 'text/plain': '38.5' } },
        7
      )
    ).toEqual({
      output_type: 'execute_result',
      execution_count: 7,
      data: { 'text/plain': '38.5' },
      metadata: {}
    });
    expect(
      toNbOutput({ output_type: 'stream', name: 'stderr', text: ['a', 'b'] }, 1)
    ).toEqual({ output_type: 'stream', name: 'stderr', text: 'ab' });
    expect(
      toNbOutput(
        { output_type: 'display_data', data: { 'text/html': '<b/>' } },
        1
      )
    ).toEqual({
      output_type: 'display_data',
      data: { 'text/html': '<b/>' },
      metadata: {}
    });
  });

  it('writes outputs and execution counts into the cells by id', () => {
    const model = new NotebookModel();
    model.sharedModel.insertCells(0, [
      { cell_type: 'markdown', id: 'md', source: '# t' },
      {
        cell_type: 'code',
        id: 'load',
        source: 'data = [1, 2, 3]',
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'kept\n' }],
        execution_count: 9
      },
      { cell_type: 'code', id: 'clean', source: 'clean = 1', outputs: [] },
      { cell_type: 'code', id: 'plot', source: 'print(clean)', outputs: [] }
    ]);
    let transactions = 0;
    const ydoc = (model.sharedModel as any).ydoc;
    ydoc.on('afterTransaction', () => transactions++);
    const updates = cellUpdates(run());
    const written = writeCellUpdates(model, updates, { plot: 'print(clean)' });
    expect(written.sort()).toEqual(['clean', 'plot']); // no cell 'stats'
    expect(transactions).toBe(1); // one transaction
    const byId = (id: string) =>
      model.sharedModel.cells.find(c => c.id === id)!.toJSON() as any;
    expect(byId('plot').execution_count).toBe(3);
    expect(byId('plot').outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: '[2, 4, 6]\n' }
    ]);
    expect(byId('clean').execution_count).toBe(2);
    expect(byId('clean').outputs).toEqual([]);
    // not executed by the run: kept
    expect(byId('load').execution_count).toBe(9);
    expect(byId('load').outputs[0].text).toBe('kept\n');
    // the model's outputs follow the shared model
    const plot = model.cells.get(3) as any;
    expect(plot.outputs.length).toBe(1);
    expect(plot.executionCount).toBe(3);
    expect(model.dirty).toBe(true); // the user saves
    model.dispose();
  });
});
