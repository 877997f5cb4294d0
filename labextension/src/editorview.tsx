/**
 * The side editor of a block's source: a CodeMirror editor created through
 * JupyterLab's editor services (as JupyterLab's own editors are), with save.
 * A SQL block (`%%sql`) is highlighted as SQL, other code as IPython.
 */
import {
  CodeEditor,
  CodeEditorWrapper,
  IEditorServices
} from '@jupyterlab/codeeditor';
import * as React from 'react';

import { LuminoHost } from './lumino';
import { blockLanguage, SQL_MIME } from './sqlblocks';

function isCodeLanguage(language: string): boolean {
  return language === 'python' || language === 'sql';
}

/**
 * The editor's MIME type for a block language (see `blockLanguage`): SQL
 * blocks get JupyterLab's SQL mode (its editor language registry knows it),
 * code the IPython mode.
 */
export function editorMimeType(
  editorServices: IEditorServices,
  language: string
): string {
  if (language === 'sql') {
    return editorServices.mimeTypeService.getMimeTypeByLanguage({
      name: 'sql',
      mimetype: SQL_MIME
    });
  }
  return editorServices.mimeTypeService.getMimeTypeByLanguage({
    name: language,
    codemirror_mode: language === 'python' ? 'ipython' : undefined
  });
}

export function SourceEditor(props: {
  cellId: string;
  source: string;
  language: string;
  editorServices?: IEditorServices | null;
  onSave: (source: string) => Promise<boolean>;
  onClose: () => void;
}): JSX.Element {
  const { editorServices, source, cellId } = props;
  const [saving, setSaving] = React.useState(false);
  const [text, setText] = React.useState(source);
  const wrapper = React.useMemo(() => {
    if (!editorServices) {
      return null;
    }
    const mimeType = editorMimeType(editorServices, props.language);
    const model = new CodeEditor.Model({ mimeType });
    model.sharedModel.setSource(source);
    const widget = new CodeEditorWrapper({
      factory: editorServices.factoryService.newInlineEditor,
      model,
      editorOptions: { config: { lineNumbers: true } }
    });
    widget.addClass('jp-NotebookDag-editorWidget');
    return widget;
    // A new editor per cell; a new source of the same cell keeps the edits.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editorServices, cellId]);
  // A code cell turning into a SQL block (or back) as it is typed.
  React.useEffect(() => {
    if (!wrapper || !editorServices || !isCodeLanguage(props.language)) {
      return;
    }
    const model = wrapper.model;
    const follow = () => {
      const language = blockLanguage('code', model.sharedModel.getSource());
      const mimeType = editorMimeType(editorServices, language);
      if (model.mimeType !== mimeType) {
        model.mimeType = mimeType;
      }
    };
    model.sharedModel.changed.connect(follow);
    return () => {
      model.sharedModel.changed.disconnect(follow);
    };
  }, [wrapper]);
  React.useEffect(() => {
    if (!wrapper) {
      return;
    }
    requestAnimationFrame(() => {
      if (!wrapper.isDisposed) {
        wrapper.editor.focus();
      }
    });
    return () => {
      const model = wrapper.model;
      wrapper.dispose();
      model.dispose();
    };
  }, [wrapper]);
  const current = () =>
    wrapper ? wrapper.model.sharedModel.getSource() : text;
  const save = async () => {
    setSaving(true);
    try {
      if (await props.onSave(current())) {
        props.onClose();
      }
    } finally {
      setSaving(false);
    }
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      event.stopPropagation();
      void save();
    } else if (event.key === 'Escape') {
      event.stopPropagation();
      props.onClose();
    }
  };
  return (
    <div
      className="jp-NotebookDag-editor"
      data-testid="dag-source-editor"
      onKeyDown={onKeyDown}
    >
      {wrapper ? (
        <LuminoHost widget={wrapper} className="jp-NotebookDag-editorHost" />
      ) : (
        <textarea
          className="jp-NotebookDag-editorFallback"
          aria-label="Source of the cell"
          value={text}
          onChange={event => setText(event.target.value)}
        />
      )}
      <div className="jp-NotebookDag-editorButtons">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={() => void save()}
          disabled={saving}
          title="Save the source into the notebook (Ctrl+S)"
        >
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={props.onClose}
          disabled={saving}
          title="Close the editor without saving (Escape)"
        >
          Cancel
        </button>
      </div>
    </div>
  );
}
