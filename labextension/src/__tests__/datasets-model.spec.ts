/**
 * The datasets panel's model: debounced searches, stale answers dropped,
 * tags, uploads with progress and selection, refresh on dataset events.
 */
import { DatasetsModel, tagsOf } from '../datasets/model';
import { IDataset } from '../datasets/types';

function dataset(id: string, tags: string[] = []): IDataset {
  return { id, name: `${id}.csv`, tags } as unknown as IDataset;
}

describe('DatasetsModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
  };

  it('sends one search after quiet typing, for its project', async () => {
    const list = jest.fn(async () => ({
      datasets: [dataset('a', ['x', 'b']), dataset('b', ['b'])],
      total: 2
    }));
    const model = new DatasetsModel({
      api: { list, upload: jest.fn() } as any,
      projectId: 'p1',
      searchDelay: 100
    });
    model.setQuery('s');
    model.setQuery('sa');
    model.setTag('b');
    jest.advanceTimersByTime(99);
    expect(list).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await settle();
    expect(list).toHaveBeenCalledTimes(1);
    expect(list).toHaveBeenCalledWith({
      q: 'sa',
      tag: 'b',
      project_id: 'p1',
      sort: '-updated',
      limit: 200
    });
    expect(model.total).toBe(2);
    expect(model.tags).toEqual(['b', 'x']);
    model.dispose();
  });

  it('drops an answer older than the last request', async () => {
    let first!: (value: unknown) => void;
    const list = jest
      .fn()
      .mockImplementationOnce(() => new Promise(resolve => (first = resolve)))
      .mockResolvedValueOnce({ datasets: [dataset('new')], total: 1 });
    const model = new DatasetsModel({
      api: { list, upload: jest.fn() } as any,
      projectId: null
    });
    const older = model.load();
    await model.load();
    first({ datasets: [dataset('old')], total: 1 });
    await older;
    expect(model.datasets.map(d => d.id)).toEqual(['new']);
    model.dispose();
  });

  it('uploads with progress, then selects the dataset and lists again', async () => {
    let progress!: (loaded: number, size: number) => void;
    let done!: (value: { id: string }) => void;
    const upload = jest.fn((_file, _options, onProgress) => {
      progress = onProgress;
      return {
        promise: new Promise(resolve => (done = resolve)),
        abort: jest.fn()
      };
    });
    const list = jest.fn(async () => ({ datasets: [dataset('d1')], total: 1 }));
    const model = new DatasetsModel({
      api: { list, upload } as any,
      projectId: 'p1',
      searchDelay: 0
    });
    model.upload([new File(['a,b\n1,2\n'], 'small.csv')]);
    expect(upload.mock.calls[0][1]).toEqual({ projectId: 'p1' });
    expect(model.uploads.map(u => [u.name, u.fraction])).toEqual([
      ['small.csv', 0]
    ]);
    progress(5, 10);
    expect(model.uploads[0].fraction).toBe(0.5);
    done({ id: 'd1' });
    await settle();
    expect(model.uploads).toEqual([]);
    expect(model.selectedId).toBe('d1');
    jest.advanceTimersByTime(0);
    await settle();
    expect(model.selected?.id).toBe('d1');
    model.dispose();
  });

  it('lists again on dataset events, not on report events', () => {
    const model = new DatasetsModel({
      api: { list: jest.fn(), upload: jest.fn() } as any,
      projectId: null
    });
    const refresh = jest.spyOn(model, 'refresh');
    model.onEvent({
      schema_id: 'https://schema.jupyter.org/notebook_dag/dataset/v1',
      kind: 'report',
      dataset_id: 'x'
    });
    expect(refresh).not.toHaveBeenCalled();
    model.onEvent({
      schema_id: 'https://schema.jupyter.org/notebook_dag/dataset/v1',
      kind: 'profile',
      dataset_id: 'x'
    });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(tagsOf([dataset('a', ['z', 'y']), dataset('b', ['y'])])).toEqual([
      'y',
      'z'
    ]);
    model.dispose();
  });
});
