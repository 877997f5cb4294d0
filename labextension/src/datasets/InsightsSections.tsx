/**
 * A dataset's "Analysis" section (statistics, correlation, clustering) and
 * "Charts" gallery, each item with "Add to project". Their state lives in a
 * `DatasetInsights` model (./insights.ts); these components only render it.
 */
import * as React from 'react';

import { ANALYSIS_KINDS, AnalysisKind, IAnalysis } from './analysistypes';
import {
  ClusteringView,
  CorrelationView,
  StatisticsTable
} from './analysisviews';
import { AddedNotice, AddToProjectButton } from './AddToProject';
import { S } from './components';
import { formatCount } from './format';
import { DatasetInsights } from './insights';
import { previewSrc } from './insightsformat';
import { IInsightsState, ILoad } from './insightsstate';

const CARD: React.CSSProperties = {
  width: 240,
  display: 'flex',
  flexDirection: 'column',
  gap: 4,
  padding: 6,
  border: '1px solid var(--jp-border-color2)',
  borderRadius: 4,
  background: 'var(--jp-layout-color1)'
};

/**
 * The model's state, re-rendered on every change.
 */
export function useInsights(model: DatasetInsights): IInsightsState {
  const [state, setState] = React.useState(model.state);
  React.useEffect(() => {
    const onChange = (_: DatasetInsights, next: IInsightsState) =>
      setState(next);
    model.changed.connect(onChange);
    setState(model.state);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
  return state;
}

/**
 * Loading and error states of a request (the server's message on error).
 */
export function LoadStatus(props: {
  load: ILoad<unknown>;
  what: string;
}): JSX.Element | null {
  const { load } = props;
  if (load.status === 'loading' || load.status === 'idle') {
    return (
      <div style={S.muted} role="status">
        Computing {props.what}…
      </div>
    );
  }
  if (load.status === 'error') {
    return (
      <div style={S.error} role="alert" data-testid="insights-error">
        {load.error}
      </div>
    );
  }
  return null;
}

function AnalysisResult(props: { analysis: IAnalysis }): JSX.Element {
  const r = props.analysis.result;
  switch (r.kind) {
    case 'statistics':
      return <StatisticsTable result={r} />;
    case 'correlation':
      return <CorrelationView result={r} />;
    default:
      return <ClusteringView result={r} />;
  }
}

export function AnalysisSection(props: {
  model: DatasetInsights;
  /** Names the added block's notification ("correlation of iris.csv"). */
  datasetName?: string;
}): JSX.Element {
  const { model } = props;
  const state = useInsights(model);
  React.useEffect(() => {
    void model.showKind(model.state.kind);
  }, [model]);
  const load = state.analyses[state.kind];
  const analysis = load.data;
  return (
    <div data-testid="dataset-analysis" data-kind={state.kind}>
      <div style={S.row} role="tablist" aria-label="Analysis">
        {ANALYSIS_KINDS.map((kind: AnalysisKind) => (
          <button
            key={kind}
            role="tab"
            aria-selected={kind === state.kind}
            disabled={kind === state.kind}
            onClick={() => void model.showKind(kind)}
          >
            {kind}
          </button>
        ))}
        {analysis && (
          <span style={S.muted}>
            {analysis.cached ? 'cached' : `${analysis.seconds.toFixed(1)} s`}
          </span>
        )}
      </div>
      <LoadStatus load={load} what={state.kind} />
      {analysis && (
        <>
          <AnalysisResult analysis={analysis} />
          <AddToProjectButton
            model={model}
            state={state}
            item={{
              key: `analysis:${analysis.kind}`,
              title: `${analysis.kind} of ${props.datasetName ?? 'the dataset'}`,
              code: analysis.code
            }}
          />
        </>
      )}
      <AddedNotice state={state} />
    </div>
  );
}

export function ChartsGallery(props: { model: DatasetInsights }): JSX.Element {
  const { model } = props;
  const state = useInsights(model);
  React.useEffect(() => {
    void model.loadCharts();
  }, [model]);
  const charts = state.charts.data;
  return (
    <div data-testid="dataset-charts">
      <LoadStatus load={state.charts} what="chart suggestions" />
      {charts && charts.charts.length === 0 && (
        <div style={S.muted}>
          No chart to suggest for these {formatCount(charts.rows)} rows.
        </div>
      )}
      <AddedNotice state={state} />
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}>
        {charts?.charts.map((chart, i) => {
          const src = previewSrc(chart.preview);
          return (
            <div
              key={`${i}-${chart.title}`}
              style={CARD}
              data-testid="chart-card"
              data-kind={chart.kind}
            >
              {src ? (
                <img
                  src={src}
                  alt={chart.title}
                  style={{ width: '100%', background: 'white' }}
                />
              ) : (
                <div style={S.error}>
                  No preview: {chart.preview_error ?? 'not drawn'}
                </div>
              )}
              <strong>{chart.title}</strong>
              <div style={S.muted}>{chart.reason}</div>
              <AddToProjectButton
                model={model}
                state={state}
                item={{
                  key: `chart:${i}`,
                  title: chart.title,
                  code: chart.code
                }}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}
