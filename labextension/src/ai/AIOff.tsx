/**
 * An AI control while AI cannot work: the button, disabled, and one line
 * saying why, with the server's set-up instructions a click away.
 */
import { showDialog, Dialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { IAIAvailability } from './availability';

export function AIOff(props: {
  label: string;
  availability: IAIAvailability;
}): JSX.Element {
  const { availability } = props;
  const showHelp = () =>
    void showDialog({
      title: 'Set up an AI provider',
      body: availability.help ?? '',
      buttons: [Dialog.okButton()]
    });
  return (
    <div className="jp-NotebookDag-aiOff">
      <button
        className="jp-Button jp-mod-styled"
        disabled
        title={availability.hint ?? undefined}
      >
        {props.label}
      </button>
      <span className="jp-NotebookDag-aiOff-hint" role="note">
        {availability.hint}{' '}
        {availability.help && (
          <button className="jp-NotebookDag-linkButton" onClick={showHelp}>
            How to set one up
          </button>
        )}
      </span>
    </div>
  );
}
