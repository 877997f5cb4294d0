/**
 * Running and failed dataset imports: a progress bar each (bytes done of the
 * total, from `dataset_import/v1` events), Cancel, and the failure's message.
 */
import * as React from 'react';

import { S } from './components';
import {
  describeImportFailure,
  IImportRecord,
  importFraction,
  importProgressText,
  importSourceLabel,
  isFinished
} from './importtypes';

export function ImportProgress(props: {
  imports: IImportRecord[];
  onCancel: (id: string) => void;
  onDismiss: (id: string) => void;
}): JSX.Element | null {
  if (!props.imports.length) {
    return null;
  }
  return (
    <div data-testid="import-progress">
      {props.imports.map(record => {
        const fraction = importFraction(record);
        const done = isFinished(record.status);
        return (
          <div
            key={record.id}
            style={{ ...S.item, cursor: 'default' }}
            data-testid={`import-${record.id}`}
            data-status={record.status}
          >
            <div style={S.row}>
              <strong>{record.name ?? 'import'}</strong>
              <span style={S.muted} title={importSourceLabel(record)}>
                {record.status}
              </span>
              {!done && record.status !== 'storing' && (
                <button
                  onClick={() => props.onCancel(record.id)}
                  data-testid={`import-cancel-${record.id}`}
                >
                  Cancel
                </button>
              )}
              {done && (
                <button
                  onClick={() => props.onDismiss(record.id)}
                  title="Remove from this list"
                >
                  ✕
                </button>
              )}
            </div>
            {!done && (
              <>
                <progress
                  value={fraction ?? undefined}
                  max={1}
                  style={{ width: '100%' }}
                  aria-label={`import of ${record.name ?? 'a file'}`}
                />
                <div style={S.muted}>{importProgressText(record)}</div>
              </>
            )}
            {record.status === 'failed' && record.error && (
              <div style={S.error} data-testid="import-error">
                {describeImportFailure(record.error)}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
