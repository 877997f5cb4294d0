/**
 * The DAG view's actions as JupyterLab commands, through a real
 * `CommandRegistry` and a `DagModel` over a stand-in API.
 */
import { CommandRegistry } from '@lumino/commands';
import { Stream } from '@lumino/signaling';

import { DagModel, IDagModelApi } from '../model';
import {
  PALETTE_COMMANDS,
  registerViewCommands,
  targetNode,
  ViewCommandIDs
} from '../viewcommands';
import { MemoryViewOptionsStore, setViewOptionsStore } from '../viewoptions';
import { makeApi, sectionDag } from './fixtures';

describe('DAG view commands', () => {
  let api: jest.Mocked<IDagModelApi>;
  let model: DagModel;
  let commands: CommandRegistry;
  let contextNode: string | null;
  let exported: string[];

  beforeEach(async () => {
    setViewOptionsStore(new MemoryViewOptionsStore());
    api = makeApi();
    model = new DagModel({
      projectId: 'p1',
      api,
      events: new Stream<unknown, { [key: string]: unknown }>({}),
      silentCheckMs: 0,
      layoutDelay: -1
    });
    await model.refresh();
    commands = new CommandRegistry();
    contextNode = null;
    exported = [];
    registerViewCommands(commands, {
      findModel: projectId => (!projectId || projectId === 'p1' ? model : null),
      contextNode: () => contextNode,
      exportProject: async (m, format) => {
        exported.push(`${m.projectId}:${format}`);
      },
      hasDatasetsTab: () => true
    });
  });

  afterEach(() => model.dispose());

  it('registers every palette command with a label', () => {
    for (const id of PALETTE_COMMANDS) {
      expect(commands.hasCommand(id)).toBe(true);
      expect(commands.label(id)).not.toBe('');
    }
  });

  it('runs all and stale on the current view', async () => {
    await commands.execute(ViewCommandIDs.runAll);
    expect(api.startRun).toHaveBeenLastCalledWith('p1', { mode: 'all' });
    expect(
      commands.isEnabled(ViewCommandIDs.runStale, { projectId: 'nope' })
    ).toBe(false);
  });

  it('runs the node under the context menu, else the selected one, never a markdown cell', async () => {
    expect(commands.isEnabled(ViewCommandIDs.runUpstream)).toBe(false);
    model.select('clean');
    expect(targetNode(model, {}, null)).toBe('clean');
    await commands.execute(ViewCommandIDs.runUpstream);
    expect(api.startRun).toHaveBeenLastCalledWith('p1', {
      mode: 'upstream',
      block_id: 'clean'
    });
    contextNode = 'load';
    expect(targetNode(model, {}, contextNode)).toBe('load');
    expect(targetNode(model, { cellId: 'md' }, null)).toBeNull();
  });

  it('toggles the layout and display options', async () => {
    expect(commands.isToggled(ViewCommandIDs.direction)).toBe(false);
    await commands.execute(ViewCommandIDs.direction);
    expect(model.viewState.options.direction).toBe('LR');
    expect(commands.isToggled(ViewCommandIDs.direction)).toBe(true);
    await commands.execute(ViewCommandIDs.allEdges);
    expect(model.viewState.options.showAllEdges).toBe(true);
    await commands.execute(ViewCommandIDs.minimap);
    expect(model.viewState.minimapShown).toBe(true);

    api.getDag.mockResolvedValue(sectionDag());
    await commands.execute(ViewCommandIDs.refresh);
    expect(commands.isEnabled(ViewCommandIDs.sections)).toBe(true);
    await commands.execute(ViewCommandIDs.sections);
    expect(model.viewState.view!.nodes.map(n => n.id)).toEqual(['h1', 'h1b']);
    expect(commands.isToggled(ViewCommandIDs.sections)).toBe(true);
  });

  it('toggles Force, opens side tabs, focuses Find and exports', async () => {
    await commands.execute(ViewCommandIDs.force);
    expect(model.runner.force).toBe(true);
    expect(commands.isToggled(ViewCommandIDs.force)).toBe(true);

    const asked: (string | null)[] = [];
    model.requests.sideTabRequested.connect((_, tab) => asked.push(tab));
    await commands.execute(ViewCommandIDs.history);
    model.requests.noteSideTab('history'); // what the view does
    expect(commands.isToggled(ViewCommandIDs.history)).toBe(true);
    await commands.execute(ViewCommandIDs.history);
    expect(asked).toEqual(['history', null]);
    expect(commands.isEnabled(ViewCommandIDs.hiddenEdges)).toBe(false);

    let found = 0;
    model.requests.findRequested.connect(() => found++);
    await commands.execute(ViewCommandIDs.find);
    expect(found).toBe(1);

    expect(commands.label(ViewCommandIDs.exportAs, { format: 'airflow' })).toBe(
      'Export DAG as Airflow DAG'
    );
    await commands.execute(ViewCommandIDs.exportAs, { format: 'ipynb' });
    await commands.execute(ViewCommandIDs.exportAs, { format: 'nope' });
    expect(exported).toEqual(['p1:ipynb']);
  });
});
