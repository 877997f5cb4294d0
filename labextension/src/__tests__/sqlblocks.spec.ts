/**
 * SQL blocks in the DAG view: detection, editor language, the template of a
 * new block, and "Add code / SQL block" going into the open notebook or
 * through the REST API.
 */
import { CommandRegistry } from '@lumino/commands';

import {
  AddBlockCommandIDs,
  addBlockToView,
  insertionAnchor,
  newBlockSource,
  registerAddBlockCommands
} from '../addblock';
import { ApiError } from '../handler';
import { DagModel } from '../model';
import {
  blockLanguage,
  freshName,
  isSqlSource,
  PLACEHOLDER_TABLE,
  sqlBlockSource,
  sqlTableName,
  templateTable
} from '../sqlblocks';
import { makeApi, sampleDag } from './fixtures';

describe('SQL block detection', () => {
  it.each([
    ['%%sql result= <<\nSELECT 1', true],
    ['%%sql\nSELECT 1', true],
    ['\n  %%sql out <<\nSELECT 1', true],
    ['%%sql', true],
    ['%sql SELECT 1', false], // a line magic in Python code
    ['%%sqlite\nSELECT 1', false],
    ['x = 1\n%%sql', false],
    ['', false]
  ])('%j is SQL: %s', (source, expected) => {
    expect(isSqlSource(source)).toBe(expected);
  });

  it('gives the editor language of a block', () => {
    expect(blockLanguage('code', '%%sql\nSELECT 1')).toBe('sql');
    expect(blockLanguage('code', 'import pandas as pd')).toBe('python');
    expect(blockLanguage('markdown', '%%sql')).toBe('markdown');
    expect(blockLanguage('raw', 'x')).toBe('text');
    expect(isSqlSource(null)).toBe(false);
  });
});

describe('SQL block template', () => {
  it('binds and shows the result of a query over a table', () => {
    expect(sqlBlockSource('iris')).toBe(
      '%%sql result= <<\nSELECT *\nFROM iris\nLIMIT 10'
    );
    expect(sqlBlockSource('"my data"', 'result_2')).toBe(
      '%%sql result_2= <<\nSELECT *\nFROM "my data"\nLIMIT 10'
    );
  });

  it('names a dataset table as the server matches it', () => {
    expect(sqlTableName('iris.csv')).toBe('iris');
    expect(sqlTableName('sales_2024.parquet')).toBe('sales_2024');
    expect(sqlTableName('data/raw/orders.csv')).toBe('orders');
    expect(sqlTableName('my data.csv')).toBe('"my data"');
    expect(sqlTableName('2024.csv')).toBe('"2024"');
    expect(sqlTableName('order.csv')).toBe('"order"');
    expect(sqlTableName('say "hi".json')).toBe('"say ""hi"""');
    expect(sqlTableName('.hidden')).toBe('".hidden"');
  });

  it('picks a result name the notebook does not use', () => {
    expect(freshName('result', ['df'])).toBe('result');
    expect(freshName('result', ['result', 'result_2'])).toBe('result_3');
  });

  it("reads the project's first dataset, else a shared one, else an upstream name", () => {
    const datasets = [
      { name: 'other.csv', project_id: 'p2' },
      { name: 'shared.csv', project_id: null },
      { name: 'iris.csv', project_id: 'p1' }
    ];
    expect(templateTable('p1', datasets)).toBe('iris');
    expect(templateTable('p3', datasets)).toBe('shared');
    expect(templateTable('p2', datasets.slice(1, 2))).toBe('shared');
    expect(templateTable('p1', [], ['df', 'x'])).toBe('df');
    expect(templateTable('p1', [{ name: 'o.csv', project_id: 'p2' }])).toBe(
      PLACEHOLDER_TABLE
    );
  });
});

function dagWithNames() {
  const dag = sampleDag();
  dag.nodes = dag.nodes.map(node =>
    node.id === 'load'
      ? { ...node, defines: ['data'] }
      : node.id === 'stats'
        ? { ...node, defines: ['result'] }
        : node
  );
  return dag;
}

async function loadedModel(notebooks: unknown = null) {
  const api = makeApi();
  api.getDag.mockImplementation(async () => dagWithNames());
  (api as any).insertBlock = jest.fn(async () => ({ id: 'new1' }));
  const model = new DagModel({
    projectId: 'p1',
    api,
    notebooks: notebooks as any,
    silentCheckMs: 0,
    layoutDelay: -1
  });
  await model.refresh();
  return { api, model, insertBlock: (api as any).insertBlock as jest.Mock };
}

describe('Add code / SQL block', () => {
  it('goes after the selected node, else at the end', async () => {
    const { model } = await loadedModel();
    expect(insertionAnchor(model)).toBeNull();
    model.select('load');
    expect(insertionAnchor(model)).toBe('load');
    expect(insertionAnchor(model, null)).toBeNull();
    expect(insertionAnchor(model, 'clean')).toBe('clean');
    expect(insertionAnchor(model, 'gone')).toBeNull();
    model.select('dataset:d1');
    expect(insertionAnchor(model)).toBeNull();
    model.dispose();
  });

  it('makes a SQL template over the datasets or an upstream DataFrame', async () => {
    const { model } = await loadedModel();
    const datasets = async () => [{ name: 'iris.csv', project_id: 'p1' }];
    await expect(
      newBlockSource(model, 'sql', 'load', { datasets })
    ).resolves.toBe('%%sql result_2= <<\nSELECT *\nFROM iris\nLIMIT 10');
    const failing = async (): Promise<never> => {
      throw new Error('datasets are off');
    };
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    await expect(
      newBlockSource(model, 'sql', 'load', { datasets: failing })
    ).resolves.toBe('%%sql result_2= <<\nSELECT *\nFROM data\nLIMIT 10');
    warn.mockRestore();
    await expect(newBlockSource(model, 'code', 'load')).resolves.toBe('');
    model.dispose();
  });

  it('inserts through the REST API when the notebook is not open, then opens the editor', async () => {
    const { model, insertBlock } = await loadedModel();
    model.select('clean');
    const edits: string[] = [];
    model.editRequested.connect((_, id) => edits.push(id));
    const id = await addBlockToView(model, 'sql', undefined, {
      datasets: async () => [{ name: 'iris.csv', project_id: 'p1' }]
    });
    expect(id).toBe('new1');
    expect(insertBlock).toHaveBeenCalledWith('p1', {
      source: '%%sql result_2= <<\nSELECT *\nFROM iris\nLIMIT 10',
      cell_type: 'code',
      after: 'clean'
    });
    expect(model.notice?.text).toBe('Added a SQL block after Clean.');
    expect(edits).toEqual(['new1']);
    expect(model.selectedId).toBe('new1');
    model.dispose();
  });

  it('inserts into the open notebook, not the file', async () => {
    const notebooks = {
      isOpen: jest.fn(() => true),
      setSource: jest.fn(async () => true),
      insertCode: jest.fn(async () => 'cell-9')
    };
    const { model, insertBlock } = await loadedModel(notebooks);
    const id = await addBlockToView(model, 'code', null);
    expect(id).toBe('cell-9');
    expect(notebooks.insertCode).toHaveBeenCalledWith(
      'example.ipynb',
      null,
      ''
    );
    expect(insertBlock).not.toHaveBeenCalled();
    expect(model.notice?.text).toBe(
      'Added a code block at the end in the open notebook example.ipynb (unsaved: save the notebook to keep it).'
    );
    expect(model.selectedId).toBe('cell-9');
    model.dispose();
  });

  it('falls back to the open notebook on 409 open_in_editor, and reports failures', async () => {
    const notebooks = {
      isOpen: jest.fn(() => false),
      setSource: jest.fn(async () => true),
      insertCode: jest.fn(async () => 'cell-7')
    };
    const { model, insertBlock } = await loadedModel(notebooks);
    insertBlock.mockRejectedValueOnce(
      new ApiError(409, 'open', { message: 'open', reason: 'open_in_editor' })
    );
    await expect(addBlockToView(model, 'code', 'load')).resolves.toBe('cell-7');
    expect(notebooks.insertCode).toHaveBeenCalledWith(
      'example.ipynb',
      'load',
      ''
    );
    insertBlock.mockRejectedValueOnce(
      new ApiError(403, 'forbidden', { message: 'forbidden' })
    );
    await expect(addBlockToView(model, 'code', 'load')).resolves.toBeNull();
    expect(model.notice?.kind).toBe('error');
    expect(model.notice?.text).toContain('Cannot add a code block');
    model.dispose();
  });

  it('registers the commands on the current DAG view', async () => {
    const { model, insertBlock } = await loadedModel();
    const commands = new CommandRegistry();
    registerAddBlockCommands(commands, {
      findModel: projectId => (projectId && projectId !== 'p1' ? null : model),
      datasets: async () => []
    });
    expect(commands.label(AddBlockCommandIDs.addSql)).toBe('Add SQL Block');
    expect(commands.isEnabled(AddBlockCommandIDs.addCode)).toBe(true);
    expect(
      commands.isEnabled(AddBlockCommandIDs.addCode, { projectId: 'zz' })
    ).toBe(false);
    model.select('load');
    await commands.execute(AddBlockCommandIDs.addSql, { afterId: 'clean' });
    expect(insertBlock).toHaveBeenLastCalledWith('p1', {
      source: `%%sql result_2= <<\nSELECT *\nFROM ${PLACEHOLDER_TABLE}\nLIMIT 10`,
      cell_type: 'code',
      after: 'clean'
    });
    await commands.execute(AddBlockCommandIDs.addCode, {});
    expect(insertBlock).toHaveBeenLastCalledWith('p1', {
      source: '',
      cell_type: 'code',
      after: null // the selected block just added is not in the (mocked) DAG
    });
    model.dispose();
  });
});
