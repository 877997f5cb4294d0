/**
 * JupyterLab widgets around the datasets panel: the panel as a Lumino widget and
 * a main-area tab showing a finished report.
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { IFrame } from '@jupyterlab/ui-components';
import * as React from 'react';

import { DatasetsPanel, IDatasetsPanelProps } from './DatasetsPanel';

/**
 * A JupyterLab tab showing a report. The iframe is sandboxed with scripts
 * allowed but not the same origin (the server also sends a `sandbox` CSP), so
 * the report's scripts cannot reach JupyterLab or the server's API.
 */
export function createReportWidget(
  url: string,
  title: string
): MainAreaWidget<IFrame> {
  const content = new IFrame({ sandbox: ['allow-scripts', 'allow-popups'] });
  content.url = url;
  const widget = new MainAreaWidget({ content });
  widget.id = `notebook-dag-report-${Math.random().toString(36).slice(2)}`;
  widget.title.label = title;
  widget.title.closable = true;
  return widget;
}

/**
 * The panel as a Lumino widget (for a side panel or a main-area tab).
 */
export class DatasetsWidget extends ReactWidget {
  constructor(private readonly props: IDatasetsPanelProps) {
    super();
    this.addClass('jp-NotebookDag-datasetsWidget');
    this.title.label = 'Datasets';
  }

  protected render(): JSX.Element {
    return <DatasetsPanel {...this.props} />;
  }
}
