import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ApiError } from '../handler';
import { ImportsApi } from '../datasets/importapi';
import { ImportSection } from '../datasets/ImportSection';
import {
  applyImportEvent,
  asImportEvent,
  describeImportFailure,
  IImportRecord,
  IImportRequest,
  IMPORT_EVENT_SCHEMA_ID,
  importFraction,
  importProgressText
} from '../datasets/importtypes';

(
  globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

function record(patch: Partial<IImportRecord> = {}): IImportRecord {
  return {
    id: 'i1',
    status: 'downloading',
    source: { url: 'https://example.org/iris.csv' },
    name: 'iris.csv',
    project_id: null,
    bytes_done: 0,
    bytes_total: null,
    error: null,
    dataset: null,
    created_at: '2026-01-01T00:00:00Z',
    finished_at: null,
    ...patch
  };
}

describe('import helpers', () => {
  it('reads dataset_import/v1 events and ignores others', () => {
    const event = asImportEvent({
      schema_id: IMPORT_EVENT_SCHEMA_ID,
      import_id: 'i1',
      status: 'downloading',
      bytes_done: 512,
      bytes_total: 1024,
      dataset_id: null,
      error_status: null,
      message: 'downloading'
    });
    expect(event).toEqual({
      import_id: 'i1',
      status: 'downloading',
      bytes_done: 512,
      bytes_total: 1024,
      dataset_id: null,
      error_status: null,
      message: 'downloading'
    });
    expect(
      asImportEvent({ schema_id: 'x/dataset/v1', import_id: 'i1' })
    ).toBeNull();
    expect(
      asImportEvent({
        schema_id: IMPORT_EVENT_SCHEMA_ID,
        import_id: 'i1',
        status: 'weird'
      })
    ).toBeNull();
    const applied = applyImportEvent(record({ bytes_done: 100 }), event!);
    expect(applied.bytes_done).toBe(512);
    expect(importFraction(applied)).toBe(0.5);
    expect(importProgressText(applied)).toBe('512 B of 1.0 KB');
    // an older event never moves a finished record back
    const done = record({ status: 'failed' });
    expect(applyImportEvent(done, event!)).toBe(done);
    expect(importFraction(record())).toBeNull();
  });

  it('describes failures by their status', () => {
    expect(
      describeImportFailure({
        status: 504,
        reason: 'gateway_timeout',
        message: 'slow'
      })
    ).toBe('Timed out: slow');
    expect(
      describeImportFailure({
        status: 403,
        reason: 'source_unauthorized',
        message: 'no'
      })
    ).toContain('Access refused');
  });
});

describe('ImportSection', () => {
  let container: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  async function flush(ms = 0): Promise<void> {
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, ms));
    });
  }

  function type(input: HTMLInputElement, value: string): void {
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!;
    act(() => {
      setter.call(input, value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  it('imports a URL with a progress bar from events, then announces the dataset', async () => {
    const started: IImportRequest[] = [];
    let current = record({ status: 'queued' });
    const api = {
      start: async (request: IImportRequest) => {
        started.push(request);
        return current;
      },
      get: async () => current,
      cancel: async () => current
    } as unknown as ImportsApi;
    const events = new Signal<unknown, { [key: string]: unknown }>({});
    const imported: string[] = [];
    act(() => {
      root.render(
        <ImportSection
          projectId="p1"
          api={api}
          events={events}
          onImported={id => imported.push(id)}
          pollInterval={60000}
        />
      );
    });
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-url-button"]'
        ) as HTMLButtonElement
      ).click();
    });
    type(
      container.querySelector(
        '[data-testid="import-url-input"]'
      ) as HTMLInputElement,
      'https://example.org/iris.csv'
    );
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-url-submit"]'
        ) as HTMLButtonElement
      ).click();
    });
    await flush();
    expect(started).toEqual([
      { url: 'https://example.org/iris.csv', name: undefined, project_id: 'p1' }
    ]);
    act(() => {
      events.emit({
        schema_id: IMPORT_EVENT_SCHEMA_ID,
        import_id: 'i1',
        status: 'downloading',
        bytes_done: 300,
        bytes_total: 1200
      });
    });
    const bar = container.querySelector('progress') as HTMLProgressElement;
    expect(bar.value).toBeCloseTo(0.25);
    expect(container.textContent).toContain('300 B of 1.2 KB');
    current = record({
      status: 'succeeded',
      bytes_done: 1200,
      bytes_total: 1200,
      dataset: { id: 'd9' } as IImportRecord['dataset']
    });
    act(() => {
      events.emit({
        schema_id: IMPORT_EVENT_SCHEMA_ID,
        import_id: 'i1',
        status: 'succeeded',
        bytes_done: 1200,
        bytes_total: 1200,
        dataset_id: 'd9'
      });
    });
    await flush();
    expect(imported).toEqual(['d9']);
    expect(container.querySelector('[data-testid="import-i1"]')).toBeNull();
  });

  it('cancels, shows failures and refused requests', async () => {
    let current = record({ status: 'downloading', bytes_done: 10 });
    const cancelled: string[] = [];
    const api = {
      start: async (request: IImportRequest) => {
        if (request.url?.startsWith('file:')) {
          throw new ApiError(400, 'file:// URLs are not imported', null, '');
        }
        return current;
      },
      get: async () => current,
      cancel: async (id: string) => {
        cancelled.push(id);
        current = record({ status: 'cancelled' });
        return current;
      }
    } as unknown as ImportsApi;
    act(() => {
      root.render(
        <ImportSection
          projectId={null}
          api={api}
          onImported={() => undefined}
        />
      );
    });
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-url-button"]'
        ) as HTMLButtonElement
      ).click();
    });
    const input = container.querySelector(
      '[data-testid="import-url-input"]'
    ) as HTMLInputElement;
    type(input, 'file:///etc/passwd');
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-url-submit"]'
        ) as HTMLButtonElement
      ).click();
    });
    await flush();
    expect(container.textContent).toContain('file:// URLs are not imported');
    type(input, 'https://example.org/slow.csv');
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-url-submit"]'
        ) as HTMLButtonElement
      ).click();
    });
    await flush();
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-cancel-i1"]'
        ) as HTMLButtonElement
      ).click();
    });
    await flush();
    expect(cancelled).toEqual(['i1']);
    const item = container.querySelector('[data-testid="import-i1"]')!;
    expect(item.getAttribute('data-status')).toBe('cancelled');
    expect(container.querySelector('progress')).toBeNull();
  });

  it('searches Kaggle and imports a result', async () => {
    const started: IImportRequest[] = [];
    const api = {
      searchKaggle: async (search: string) => ({
        page: 1,
        datasets: [
          {
            ref: 'uciml/iris',
            title: `Iris (${search})`,
            subtitle: '',
            size_bytes: 3900,
            url: 'https://www.kaggle.com/datasets/uciml/iris',
            last_updated: null,
            downloads: 10,
            votes: 1,
            license: 'CC0'
          }
        ]
      }),
      start: async (request: IImportRequest) => {
        started.push(request);
        return record({
          id: 'k1',
          status: 'failed',
          source: { kaggle: 'uciml/iris' },
          error: {
            status: 403,
            reason: 'source_unauthorized',
            message: 'set up kaggle.json'
          }
        });
      },
      get: async () => record()
    } as unknown as ImportsApi;
    act(() => {
      root.render(
        <ImportSection
          projectId={null}
          api={api}
          onImported={() => undefined}
        />
      );
    });
    act(() => {
      (
        container.querySelector(
          '[data-testid="import-kaggle-button"]'
        ) as HTMLButtonElement
      ).click();
    });
    type(
      container.querySelector(
        '[data-testid="kaggle-search-input"]'
      ) as HTMLInputElement,
      'iris'
    );
    act(() => {
      (
        container.querySelector(
          '[data-testid="kaggle-search"]'
        ) as HTMLButtonElement
      ).click();
    });
    await flush();
    const result = container.querySelector(
      '[data-testid="kaggle-result-uciml/iris"]'
    )!;
    expect(result.textContent).toContain('Iris (iris)');
    act(() => {
      (result.querySelector('button') as HTMLButtonElement).click();
    });
    await flush();
    expect(started).toEqual([{ kaggle: 'uciml/iris', project_id: null }]);
    expect(
      container.querySelector('[data-testid="import-error"]')!.textContent
    ).toContain('set up kaggle.json');
  });
});
