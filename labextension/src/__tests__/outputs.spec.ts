import { formatDuration, outputsToText, stripAnsi } from '../outputs';

describe('outputsToText', () => {
  it('renders streams, results and errors as text', () => {
    const text = outputsToText([
      { output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
      {
        output_type: 'execute_result',
        data: { 'text/plain': '42', 'text/html': '<b>42</b>' },
        execution_count: 3
      },
      { output_type: 'display_data', data: { 'image/png': 'AAAA' } },
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['\u001b[0;31mZeroDivisionError\u001b[0m: division by zero']
      }
    ]);
    expect(text).toEqual([
      { kind: 'stream', name: 'stdout', text: 'a\nb\n' },
      { kind: 'stream', name: 'stderr', text: 'warn\n' },
      { kind: 'result', name: 'execute_result', text: '42' },
      { kind: 'result', name: 'display_data', text: '[image/png]' },
      {
        kind: 'error',
        name: 'ZeroDivisionError',
        text: 'ZeroDivisionError: division by zero\nZeroDivisionError: division by zero'
      }
    ]);
  });

  it('accepts nothing', () => {
    expect(outputsToText(undefined)).toEqual([]);
    expect(outputsToText(null)).toEqual([]);
  });

  it('strips ANSI escapes', () => {
    expect(stripAnsi('\u001b[1;32mok\u001b[0m')).toBe('ok');
  });
});

describe('formatDuration', () => {
  it('is short', () => {
    expect(formatDuration(0.1234)).toBe('123 ms');
    expect(formatDuration(2.345)).toBe('2.3 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
  });
});
