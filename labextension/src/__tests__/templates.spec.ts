/**
 * "New project from template": defaults and the `template` body built from
 * the form's text fields.
 */
import {
  directoryOf,
  label,
  templateChoice,
  templateDefaults
} from '../projects/templates';
import { ITemplate } from '../types';

const forecast: ITemplate = {
  id: 'forecast_time_series',
  title: 'Forecast a time series',
  description: 'Holt against baselines',
  source: 'bundled',
  cells: 12,
  parameters: [
    param('df', 'dataset'),
    param('DATE_COLUMN', 'column'),
    { ...param('HORIZON', 'integer'), default: 30, minimum: 1, maximum: 10000 }
  ]
};

function param(name: string, kind: 'dataset' | 'column' | 'integer') {
  return {
    name,
    kind,
    description: '',
    required: kind === 'dataset',
    default: null,
    minimum: null,
    maximum: null
  };
}

describe('project templates', () => {
  it('start with the title and <id>.ipynb beside the current notebook', () => {
    expect(
      templateDefaults(forecast, directoryOf('work/q3/sales.ipynb'))
    ).toEqual({
      name: 'Forecast a time series',
      path: 'work/q3/forecast_time_series.ipynb'
    });
    expect(templateDefaults(forecast, directoryOf('top.ipynb')).path).toBe(
      'forecast_time_series.ipynb'
    );
    expect(directoryOf(null)).toBe('');
  });

  it('send the dataset, typed columns and numbers; leave empty options to the template', () => {
    expect(
      templateChoice(forecast, {
        df: 'ds1',
        DATE_COLUMN: ' Date ',
        HORIZON: ''
      })
    ).toEqual({
      choice: {
        id: 'forecast_time_series',
        parameters: { df: 'ds1', DATE_COLUMN: 'Date' }
      }
    });
    expect(templateChoice(forecast, { df: 'ds1', HORIZON: '14' })).toEqual({
      choice: {
        id: 'forecast_time_series',
        parameters: { df: 'ds1', HORIZON: 14 }
      }
    });
  });

  it('say what is wrong in words', () => {
    expect(templateChoice(forecast, {})).toEqual({
      error: 'Choose a dataset.'
    });
    expect(templateChoice(forecast, { df: 'd', HORIZON: '1.5' })).toEqual({
      error: 'Horizon must be a whole number.'
    });
    expect(templateChoice(forecast, { df: 'd', HORIZON: '0' })).toEqual({
      error: 'Horizon must be between 1 and 10000.'
    });
    expect(label('DATE_COLUMN')).toBe('Date column');
  });
});
