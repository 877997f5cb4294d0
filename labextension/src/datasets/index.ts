/**
 * The datasets panel of notebook_dag and its API client.
 */
export { DatasetsApi, IUploadHandle } from './api';
export { DatasetsPanel, IDatasetsPanelProps } from './DatasetsPanel';
export { createReportWidget, DatasetsWidget } from './widgets';
export * from './format';
export * from './types';
