/**
 * The sync manager and the DAG view's edits against a real shared notebook
 * (`YNotebook`, what JupyterLab's notebook model holds); the model's
 * `contentChanged` is emitted on each Y update as JupyterLab does on cell
 * changes. The document context and the server are stand-ins.
 */
import { YNotebook } from '@jupyter/ydoc';
import { Signal } from '@lumino/signaling';

import { ApiError } from '../handler';
import { DagModel } from '../model';
import {
  insertCodeCell,
  OpenNotebookEdits,
  setCellSource
} from '../notebook/docedits';
import { NotebookSync } from '../notebook/sync';
import { makeApi } from './fixtures';

const settle = async () => {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
};

interface IModel {
  sharedModel: YNotebook;
  contentChanged: Signal<unknown, void>;
  isDisposed: boolean;
  readonly dirty: boolean;
}

function notebookModel(): IModel {
  const sharedModel = new YNotebook();
  sharedModel.insertCells(0, [
    { id: 'load', cell_type: 'code', source: 'data = [1]' },
    { id: 'use', cell_type: 'code', source: 'print(data)' }
  ]);
  sharedModel.dirty = false;
  const contentChanged = new Signal<unknown, void>({});
  sharedModel.ydoc.on('update', () => contentChanged.emit());
  return {
    sharedModel,
    contentChanged,
    isDisposed: false,
    get dirty() {
      return sharedModel.dirty;
    }
  };
}

/**
 * A notebook panel as the tracker hands it out: a context with a path, a
 * model and the signals the manager follows.
 */
function panelOf(path: string, model: IModel) {
  const context = {
    path,
    model,
    isDisposed: false,
    isReady: true,
    ready: Promise.resolve(),
    disposed: new Signal<unknown, void>({}),
    pathChanged: new Signal<unknown, string>({})
  };
  return { context } as any;
}

describe('NotebookSync', () => {
  let api: {
    listProjects: jest.Mock;
    putDocument: jest.Mock;
    deleteDocument: jest.Mock;
  };
  let views: { refresh: jest.Mock };
  let added: Signal<unknown, any>;
  let sync: NotebookSync;
  let model: IModel;

  beforeEach(() => {
    jest.useFakeTimers();
    api = {
      listProjects: jest.fn(async () => [
        { id: 'p1', name: 'nb', notebook_path: 'nb.ipynb' }
      ]),
      putDocument: jest.fn(async () => ({
        live: 'editor',
        revision: 1,
        expires_in: 120
      })),
      deleteDocument: jest.fn(async () => undefined)
    };
    views = { refresh: jest.fn() };
    added = new Signal<unknown, any>({});
    sync = new NotebookSync({
      notebooks: { widgetAdded: added, forEach: () => undefined },
      api: api as any,
      views
    });
    model = notebookModel();
  });

  afterEach(() => {
    sync.dispose();
    jest.useRealTimers();
  });

  it('sends a notebook with a project when opened, after typing, and releases it on close', async () => {
    const panel = panelOf('nb.ipynb', model);
    added.emit(panel);
    await settle();
    expect(api.listProjects).toHaveBeenCalledWith('nb.ipynb');
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    const [projectId, body] = api.putDocument.mock.calls[0];
    expect(projectId).toBe('p1');
    expect(body.cells.map((c: any) => [c.id, c.source])).toEqual([
      ['load', 'data = [1]'],
      ['use', 'print(data)']
    ]);
    expect(views.refresh).toHaveBeenCalledWith('nb.ipynb');

    // Typing: one PUT 300 ms after the pause, then the views reload.
    model.sharedModel.getCell(0).setSource('data = [1, 2]');
    model.sharedModel.getCell(0).setSource('data = [1, 2, 3]');
    jest.advanceTimersByTime(299);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(2);
    expect(api.putDocument.mock.calls[1][1].cells[0].source).toBe(
      'data = [1, 2, 3]'
    );
    expect(views.refresh).toHaveBeenCalledTimes(2);

    // Outputs only: nothing the server reads changed, nothing sent.
    (model.sharedModel.getCell(1) as any).setOutputs([
      { output_type: 'stream', name: 'stdout', text: '[1]\n' }
    ]);
    jest.advanceTimersByTime(300);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(2);

    // The heartbeat re-sends unchanged content without reloading the views.
    jest.advanceTimersByTime(30000);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(3);
    expect(views.refresh).toHaveBeenCalledTimes(2);

    panel.context.isDisposed = true;
    panel.context.disposed.emit();
    expect(api.deleteDocument).toHaveBeenCalledWith('p1', false);
    expect(views.refresh).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(60000);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(3);
  });

  it('sends nothing for a notebook without project until a DAG view opens', async () => {
    api.listProjects.mockResolvedValue([]);
    added.emit(panelOf('nb.ipynb', model));
    await settle();
    model.sharedModel.getCell(0).setSource('x = 1');
    jest.advanceTimersByTime(31000);
    await settle();
    expect(api.putDocument).not.toHaveBeenCalled();

    await sync.prepare('p9', 'nb.ipynb');
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    expect(api.putDocument.mock.calls[0][0]).toBe('p9');
    // Not open: nothing to prepare.
    await sync.prepare('p9', 'other.ipynb');
    expect(api.putDocument).toHaveBeenCalledTimes(1);
  });

  it('a DAG view restored before its notebook loaded sends the loaded notebook, not the initial cell', async () => {
    // JupyterLab restores both at once: the notebook's model starts with
    // one empty cell and gets the file's cells before `context.ready`.
    const loading = notebookModel();
    loading.sharedModel.deleteCellRange(0, 2);
    loading.sharedModel.insertCell(0, { cell_type: 'code', source: '' });
    let loaded!: () => void;
    const panel = panelOf('nb.ipynb', loading);
    panel.context.isReady = false;
    panel.context.ready = new Promise<void>(resolve => {
      loaded = () => {
        loading.sharedModel.deleteCellRange(0, 1);
        loading.sharedModel.insertCells(0, [
          { id: 'load', cell_type: 'code', source: 'data = [1]' },
          { id: 'use', cell_type: 'code', source: 'print(data)' }
        ]);
        panel.context.isReady = true;
        resolve();
      };
    });
    added.emit(panel);
    const prepared = sync.prepare('p1', 'nb.ipynb');
    await settle();
    expect(api.putDocument).not.toHaveBeenCalled();
    loaded();
    await prepared;
    await settle();
    expect(api.putDocument).toHaveBeenCalled();
    for (const [, body] of api.putDocument.mock.calls) {
      expect(body.cells.map((c: any) => c.id)).toEqual(['load', 'use']);
    }
  });

  it('stops sending when the server reads the collaboration document, and still reloads the views', async () => {
    api.putDocument.mockResolvedValue({ live: 'collaboration' });
    const panel = panelOf('nb.ipynb', model);
    added.emit(panel);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    const reloads = views.refresh.mock.calls.length;
    model.sharedModel.getCell(0).setSource('x = 2');
    jest.advanceTimersByTime(31000);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    // the shared document changed: the DAG views reload it from the server
    expect(views.refresh).toHaveBeenCalledTimes(reloads + 1);
    await expect(sync.push('nb.ipynb')).resolves.toBe(true);
    panel.context.disposed.emit();
    expect(api.deleteDocument).not.toHaveBeenCalled();
  });

  it('stops when the project is gone (404)', async () => {
    api.putDocument.mockRejectedValue(
      new ApiError(404, 'no project', { message: 'no project' })
    );
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    added.emit(panelOf('nb.ipynb', model));
    await settle();
    model.sharedModel.getCell(0).setSource('x = 3');
    jest.advanceTimersByTime(31000);
    await settle();
    expect(api.putDocument).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('edits the open notebook model, unsaved, and pushes it at once', async () => {
    added.emit(panelOf('nb.ipynb', model));
    await settle();
    const edits = new OpenNotebookEdits(sync);
    expect(edits.isOpen('nb.ipynb')).toBe(true);
    expect(edits.isOpen('other.ipynb')).toBe(false);
    await expect(edits.setSource('nb.ipynb', 'use', 'print(2)')).resolves.toBe(
      true
    );
    expect(model.sharedModel.getCell(1).getSource()).toBe('print(2)');
    expect(model.dirty).toBe(true);
    expect(api.putDocument).toHaveBeenCalledTimes(2);
    expect(api.putDocument.mock.calls[1][1].cells[1].source).toBe('print(2)');
    await expect(edits.setSource('nb.ipynb', 'nope', 'x')).resolves.toBe(false);
    await expect(edits.setSource('other.ipynb', 'use', 'x')).resolves.toBe(
      false
    );

    const id = await edits.insertCode('nb.ipynb', 'load', 'z = 0');
    expect(model.sharedModel.cells.map(c => c.id)).toEqual(['load', id, 'use']);
    expect(model.sharedModel.getCell(1).cell_type).toBe('code');
    expect(api.putDocument).toHaveBeenCalledTimes(3);
    await expect(edits.insertCode('other.ipynb', null, 'q')).resolves.toBe(
      null
    );
  });
});

describe('docedits on a shared notebook', () => {
  it('sets a source and inserts cells (at the end without anchor)', () => {
    const shared = notebookModel().sharedModel;
    expect(setCellSource(shared, 'load', 'a = 1')).toBe(true);
    expect(setCellSource(shared, 'missing', 'a = 1')).toBe(false);
    expect(shared.getCell(0).getSource()).toBe('a = 1');
    const id = insertCodeCell(shared, null, 'end = 1');
    expect(shared.cells[shared.cells.length - 1].id).toBe(id);
    expect(shared.getCell(2).getSource()).toBe('end = 1');
  });
});

describe('DagEditor with the notebook open', () => {
  const open = (isOpen: boolean) => ({
    isOpen: jest.fn(() => isOpen),
    setSource: jest.fn(async () => isOpen),
    insertCode: jest.fn(async () => null)
  });

  it('puts the edit into the open notebook, not the file', async () => {
    const api = makeApi();
    const notebooks = open(true);
    const model = new DagModel({
      projectId: 'p1',
      api,
      notebooks,
      silentCheckMs: 0,
      layoutDelay: -1
    });
    await model.refresh();
    await expect(model.editor.saveSource('load', 'data = [9]')).resolves.toBe(
      true
    );
    expect(notebooks.setSource).toHaveBeenCalledWith(
      'example.ipynb',
      'load',
      'data = [9]'
    );
    expect(api.updateBlock).not.toHaveBeenCalled();
    expect(model.notice?.text).toBe(
      'Changed Load data in the open notebook example.ipynb (unsaved: save the notebook to keep it).'
    );
    model.dispose();
  });

  it('retries through the notebook when the server says it is open', async () => {
    const api = makeApi();
    api.updateBlock.mockRejectedValueOnce(
      new ApiError(409, 'open in JupyterLab', {
        message: 'open in JupyterLab',
        reason: 'open_in_editor'
      })
    );
    const notebooks = open(false);
    const model = new DagModel({
      projectId: 'p1',
      api,
      notebooks,
      silentCheckMs: 0,
      layoutDelay: -1
    });
    await model.refresh();
    await expect(model.editor.saveSource('load', 'x')).resolves.toBe(false);
    expect(api.updateBlock).toHaveBeenCalledTimes(1);
    expect(notebooks.setSource).toHaveBeenCalledWith(
      'example.ipynb',
      'load',
      'x'
    );
    expect(model.notice?.text).toContain('open in another window');
    notebooks.isOpen.mockReturnValue(true);
    notebooks.setSource.mockResolvedValue(true);
    api.updateBlock.mockRejectedValueOnce(
      new ApiError(409, 'open', { message: 'open', reason: 'open_in_editor' })
    );
    notebooks.isOpen.mockReturnValueOnce(false); // opened after the check
    await expect(model.editor.saveSource('load', 'y')).resolves.toBe(true);
    expect(model.notice?.text).toContain('in the open notebook');
    model.dispose();
  });
});
