/**
 * Outputs of a block rendered by JupyterLab's rendermime (text, tables,
 * images, errors with their traceback), or as plain text without it.
 */
import * as nbformat from '@jupyterlab/nbformat';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { LuminoHost } from './lumino';
import { outputsToText } from './outputs';
import { IOutput } from './types';

/**
 * Outputs as nbformat wants them (streams and texts may come as arrays).
 */
export function toNbformatOutputs(outputs: IOutput[]): nbformat.IOutput[] {
  return outputs.map(output => {
    if (output.output_type === 'stream' && Array.isArray(output.text)) {
      return { ...output, text: output.text.join('') } as nbformat.IOutput;
    }
    return output as unknown as nbformat.IOutput;
  });
}

function RenderedOutputs(props: {
  outputs: IOutput[];
  rendermime: IRenderMimeRegistry;
}): JSX.Element {
  const { rendermime, outputs } = props;
  const area = React.useMemo(
    () =>
      new OutputArea({
        // Untrusted: HTML is sanitised and scripts do not run (outputs may
        // come from another user's run of a shared project).
        model: new OutputAreaModel({ trusted: false }),
        rendermime
      }),
    [rendermime]
  );
  React.useEffect(() => {
    return () => {
      area.model.dispose();
      area.dispose();
    };
  }, [area]);
  React.useEffect(() => {
    area.model.clear();
    area.model.fromJSON(toNbformatOutputs(outputs));
  }, [area, outputs]);
  return (
    <LuminoHost
      widget={area}
      className="jp-NotebookDag-outputArea"
      testId="dag-outputs"
    />
  );
}

/**
 * The outputs of a block.
 */
export function OutputView(props: {
  outputs: IOutput[];
  rendermime?: IRenderMimeRegistry | null;
}): JSX.Element {
  const { outputs, rendermime } = props;
  if (rendermime) {
    return <RenderedOutputs outputs={outputs} rendermime={rendermime} />;
  }
  return (
    <div data-testid="dag-outputs">
      {outputsToText(outputs).map((output, i) => (
        <pre
          key={i}
          className={`jp-NotebookDag-output jp-NotebookDag-output-${output.kind} jp-NotebookDag-output-${output.name}`}
          data-testid="dag-output"
        >
          {output.text}
        </pre>
      ))}
    </div>
  );
}
