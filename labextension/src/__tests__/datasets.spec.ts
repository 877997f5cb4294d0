import { ServerConnection } from '@jupyterlab/services';

import { ApiError } from '../handler';
import {
  DatasetsApi,
  IXhrLike,
  uploadQueryString,
  xhrError,
  xsrfCookie
} from '../datasets/api';
import {
  asDatasetEvent,
  datasetQueryString,
  describeDatasetError,
  formatBytes,
  formatCell,
  formatCount,
  formatPercent,
  formatStat,
  histogramBars,
  parseTags,
  qualityColor,
  topValueShares,
  uploadFraction
} from '../datasets/format';

describe('formatting', () => {
  it('formats bytes, counts, percentages and statistics', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MB');
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GB');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
    expect(formatCount(1234567.4)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0523)).toBe('5.2%');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(0.00001)).toBe('<0.1%');
    expect(formatStat(3)).toBe('3');
    expect(formatStat(1e6)).toBe('1,000,000');
    expect(formatStat(3.14159265)).toBe('3.142');
    expect(formatStat(0.000123456)).toBe('0.0001235');
    expect(formatStat('2020-01-01T00:00:00')).toBe('2020-01-01T00:00:00');
    expect(formatStat(null)).toBe('—');
    expect(formatStat(Infinity)).toBe('Infinity');
  });

  it('formats preview cells', () => {
    expect(formatCell(null)).toBe('');
    expect(formatCell(1.5)).toBe('1.5');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('parses tags and upload fractions', () => {
    expect(parseTags(' a, b,,c , a')).toEqual(['a', 'b', 'c']);
    expect(parseTags('')).toEqual([]);
    expect(uploadFraction(50, 200)).toBe(0.25);
    expect(uploadFraction(300, 200)).toBe(1);
    expect(uploadFraction(10, 0)).toBe(0);
    expect(uploadFraction(10, NaN)).toBe(0);
  });

  it('colors quality scores', () => {
    expect(qualityColor(95)).toContain('success');
    expect(qualityColor(70)).toContain('warn');
    expect(qualityColor(10)).toContain('error');
    expect(qualityColor(null)).toContain('layout');
  });
});

describe('histogramBars', () => {
  const histogram = { edges: [0, 1, 2, 3, 4], counts: [2, 10, 0, 5] };

  it('scales the tallest bar to the height and shares the width', () => {
    const bars = histogramBars(histogram, 100, 20, 2);
    expect(bars).toHaveLength(4);
    expect(bars.map(b => b.x)).toEqual([0, 25, 50, 75]);
    expect(bars.every(b => b.width === 23)).toBe(true);
    expect(bars[1]).toMatchObject({
      y: 0,
      height: 20,
      count: 10,
      low: 1,
      high: 2
    });
    expect(bars[3].height).toBe(10);
    expect(bars[2].height).toBe(0);
    expect(bars.every(b => b.y + b.height === 20)).toBe(true);
  });

  it('keeps tiny non-zero counts visible', () => {
    const bars = histogramBars({ edges: [], counts: [1, 100000] }, 10, 10);
    expect(bars[0].height).toBe(1);
    expect(bars[0].low).toBe(0);
  });

  it('handles empty and degenerate input', () => {
    expect(histogramBars(null, 100, 20)).toEqual([]);
    expect(histogramBars({ edges: [], counts: [] }, 100, 20)).toEqual([]);
    expect(histogramBars(histogram, 0, 20)).toEqual([]);
    expect(
      histogramBars({ edges: [0, 1], counts: [0] }, 10, 10)[0].height
    ).toBe(0);
    expect(
      histogramBars({ edges: [], counts: [1, 1, 1] }, 2, 10).every(
        b => b.width >= 1
      )
    ).toBe(true);
  });

  it('computes top-value shares', () => {
    expect(
      topValueShares(
        [
          { value: 'a', count: 50 },
          { value: null, count: 25 }
        ],
        100
      )
    ).toEqual([
      { label: 'a', count: 50, share: 0.5 },
      { label: '(null)', count: 25, share: 0.25 }
    ]);
    expect(topValueShares(undefined, 10)).toEqual([]);
    expect(topValueShares([{ value: 1, count: 5 }], 0)[0].share).toBe(0);
  });
});

describe('query strings and events', () => {
  it('builds the list query', () => {
    expect(datasetQueryString({})).toBe('');
    expect(
      datasetQueryString({
        q: ' iris ',
        tag: '',
        project_id: null,
        sort: '-size',
        limit: 10
      })
    ).toBe('?q=iris&sort=-size&limit=10');
    expect(datasetQueryString({ q: 'a&b', project_id: 'p1', offset: 0 })).toBe(
      '?q=a%26b&project_id=p1&offset=0'
    );
  });

  it('builds the upload query', () => {
    expect(uploadQueryString('iris data.csv', {})).toBe(
      '?name=iris%20data.csv'
    );
    expect(
      uploadQueryString('x.csv', {
        name: ' y.csv ',
        projectId: 'p1',
        format: 'csv',
        description: 'd',
        tags: ['a', 'b']
      })
    ).toBe('?name=y.csv&project_id=p1&format=csv&description=d&tags=a%2Cb');
  });

  it('reads the xsrf cookie', () => {
    expect(xsrfCookie('a=1; _xsrf=2%7Cabc; b=3')).toBe('2|abc');
    expect(xsrfCookie('_xsrf=tok')).toBe('tok');
    expect(xsrfCookie('not_xsrf=1')).toBeUndefined();
  });

  it('recognises dataset events', () => {
    const base = {
      schema_id: 'https://schema.jupyter.org/notebook_dag/dataset/v1',
      dataset_id: 'd1'
    };
    expect(
      asDatasetEvent({
        ...base,
        kind: 'report',
        status: 'progress',
        progress: 0.5,
        version: 2
      })
    ).toEqual({
      dataset_id: 'd1',
      version: 2,
      sha256: '',
      kind: 'report',
      status: 'progress',
      progress: 0.5,
      message: ''
    });
    expect(asDatasetEvent({ ...base, kind: 'other' })).toBeNull();
    expect(
      asDatasetEvent({
        ...base,
        schema_id: 'https://schema.jupyter.org/notebook_dag/run/v1',
        kind: 'report'
      })
    ).toBeNull();
    expect(
      asDatasetEvent({ schema_id: base.schema_id, kind: 'upload' })
    ).toBeNull();
    expect(asDatasetEvent(null)).toBeNull();
  });
});

describe('errors', () => {
  it('turns failed uploads into ApiErrors', () => {
    const e = xhrError(
      413,
      'Payload Too Large',
      '{"message": "over the limit", "reason": "payload_too_large"}',
      '/u'
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(413);
    expect(e.message).toBe('over the limit');
    expect(e.reason).toBe('payload_too_large');
    expect(describeDatasetError(e)).toBe('Too large: over the limit');
    const raw = xhrError(502, 'Bad Gateway', '<html>', '/u');
    expect(raw.message).toBe('Bad Gateway');
    expect(raw.body).toBe('<html>');
    expect(xhrError(0, '', '', '/u').message).toContain('interrupted');
  });

  it('describes errors by status', () => {
    expect(describeDatasetError(new ApiError(422, 'bad header', null))).toBe(
      'Cannot read this file: bad header'
    );
    expect(describeDatasetError(new ApiError(404, 'no dataset', null))).toBe(
      'Not found: no dataset'
    );
    expect(describeDatasetError(new ApiError(409, 'still running', null))).toBe(
      'still running'
    );
    expect(describeDatasetError(new ApiError(403, 'x', null))).toContain(
      'Not allowed'
    );
    expect(describeDatasetError(new ApiError(500, 'boom', null))).toBe(
      'boom (HTTP 500)'
    );
    expect(describeDatasetError(new Error('plain'))).toBe('plain');
    expect(describeDatasetError('text')).toBe('text');
  });
});

class FakeXhr implements IXhrLike {
  static last: FakeXhr;
  method = '';
  url = '';
  headers: { [name: string]: string } = {};
  body: unknown = null;
  aborted = false;
  upload: IXhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = '';
  responseText = '';

  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  respond(status: number, text: string, statusText = ''): void {
    this.status = status;
    this.statusText = statusText;
    this.responseText = text;
    this.onload?.();
  }
}

describe('DatasetsApi', () => {
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/base/',
    token: 'secret'
  });
  const api = new DatasetsApi(settings, () => new FakeXhr());

  it('uploads the file as the raw body with progress', async () => {
    const file = new Blob(['a,b\n1,2\n']) as Blob & { name: string };
    file.name = 'x.csv';
    const progress: [number, number][] = [];
    const handle = api.upload(file, { projectId: 'p1', tags: ['t'] }, (l, t) =>
      progress.push([l, t])
    );
    const xhr = FakeXhr.last;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe(
      'http://localhost:8888/base/notebook-dag/api/datasets?name=x.csv&project_id=p1&tags=t'
    );
    expect(xhr.headers['Authorization']).toBe('token secret');
    expect(xhr.headers['Content-Type']).toBe('application/octet-stream');
    expect(xhr.body).toBe(file);
    xhr.upload.onprogress?.({ loaded: 4, total: 8, lengthComputable: true });
    xhr.upload.onprogress?.({ loaded: 8, total: 0, lengthComputable: false });
    xhr.respond(201, '{"id": "d1", "created": true}');
    await expect(handle.promise).resolves.toMatchObject({
      id: 'd1',
      created: true
    });
    expect(progress).toEqual([
      [4, 8],
      [8, file.size]
    ]);
  });

  it('rejects with the server message', async () => {
    const handle = api.upload(new Blob(['x']), {});
    FakeXhr.last.respond(
      422,
      '{"message": "not a valid csv file", "reason": "unprocessable"}'
    );
    await expect(handle.promise).rejects.toMatchObject({
      status: 422,
      message: 'not a valid csv file'
    });
  });

  it('rejects on network errors and aborts', async () => {
    const failed = api.upload(new Blob(['x']), {});
    FakeXhr.last.onerror?.();
    await expect(failed.promise).rejects.toMatchObject({ status: 0 });
    const cancelled = api.upload(new Blob(['x']), {});
    cancelled.abort();
    expect(FakeXhr.last.aborted).toBe(true);
    await expect(cancelled.promise).rejects.toThrow('Upload cancelled');
  });

  it('calls the JSON routes', async () => {
    const calls: [string, RequestInit][] = [];
    const spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockImplementation(async (url, init) => {
        calls.push([url, init]);
        return {
          ok: true,
          status: 200,
          statusText: 'OK',
          text: async () => '{}'
        } as unknown as Response;
      });
    try {
      await api.list({ q: 'iris', sort: 'name' });
      await api.preview('d 1', 50, 25, 2);
      await api.profile('d1', 10);
      await api.requestProfile('d1', true);
      await api.startReport('d1');
      await api.reportStatus('d1');
      await api.update('d1', { tags: ['a'] });
      await api.register('data/x.csv', { projectId: 'p1' });
      await api.versions('d1');
      await api.lineage('d1');
      await api.remove('d1');
    } finally {
      spy.mockRestore();
    }
    const root = 'http://localhost:8888/base/notebook-dag/api/';
    expect(
      calls.map(
        ([url, init]) => `${init.method ?? 'GET'} ${url.slice(root.length)}`
      )
    ).toEqual([
      'GET datasets?q=iris&sort=name',
      'GET datasets/d%201/preview?offset=50&limit=25&version=2',
      'GET datasets/d1/profile?wait=10',
      'POST datasets/d1/profile?force=true',
      'POST datasets/d1/report',
      'GET datasets/d1/report/status',
      'PATCH datasets/d1',
      'POST datasets',
      'GET datasets/d1/versions',
      'GET datasets/d1/lineage',
      'DELETE datasets/d1'
    ]);
    expect(JSON.parse(calls[7][1].body as string)).toEqual({
      path: 'data/x.csv',
      project_id: 'p1'
    });
    expect(api.reportUrl('d1')).toBe(`${root}datasets/d1/report`);
  });
});
