/**
 * The DAG view's options in JupyterLab's settings registry and state
 * database, through the real `SettingRegistry` and `StateDB` classes over an
 * in-memory connector holding the plugin's own schema.
 */
import { SettingRegistry, ISettingRegistry } from '@jupyterlab/settingregistry';
import { StateDB } from '@jupyterlab/statedb';
import type { IDataConnector } from '@jupyterlab/statedb';

import {
  createViewOptionsStore,
  defaultsFromSettings,
  settingsFromDefaults,
  STATE_KEY
} from '../viewsettings';
import schema from '../../schema/plugin.json';

const PLUGIN = 'notebook_dag:plugin';

function connector(
  raw: string
): IDataConnector<ISettingRegistry.IPlugin, string> & { saved: string } {
  const store = {
    saved: raw,
    fetch: async (id: string) => ({
      id,
      schema,
      raw: store.saved,
      data: { composite: {}, user: {} },
      version: '1'
    }),
    list: async () => ({ ids: [], values: [] }),
    save: async (_id: string, value: string) => {
      store.saved = value;
    },
    remove: async () => undefined
  };
  return store as any;
}

describe('view settings', () => {
  it('map the schema values to view defaults and back', () => {
    const defaults = defaultsFromSettings({
      layoutDirection: 'LR',
      showAllEdges: true,
      minimap: 'never',
      maxParallel: 2
    });
    expect(defaults).toEqual({
      direction: 'LR',
      showAllEdges: true,
      showDatasets: false,
      showMinimap: false,
      collapseSections: false,
      maxParallel: 2
    });
    expect(
      defaultsFromSettings({ maxParallel: 0, minimap: 'auto' })
    ).toMatchObject({
      maxParallel: null,
      showMinimap: null
    });
    expect(
      settingsFromDefaults({ showMinimap: null, maxParallel: null })
    ).toEqual({
      minimap: 'auto',
      maxParallel: 0
    });
  });

  it('read the registry, write the toolbar choices back, and keep sections per project', async () => {
    const data = connector('{"layoutDirection": "LR", "maxParallel": 4}');
    const registry = new SettingRegistry({ connector: data });
    const state = new StateDB();
    await state.save(STATE_KEY, { p1: ['h1'] });

    const store = await createViewOptionsStore(registry, state, PLUGIN);
    expect(store.defaults()).toMatchObject({ direction: 'LR', maxParallel: 4 });
    expect(store.collapsed('p1')).toEqual(['h1']);
    expect(store.collapsed('p2')).toBeNull();

    store.setDefaults({ showAllEdges: true, direction: 'TB' });
    store.setCollapsed('p2', ['h2', 'h3']);
    await new Promise(resolve => setTimeout(resolve, 0));
    // Saved through the connector (JupyterLab writes JSON5 with comments).
    expect(data.saved).toMatch(/"layoutDirection": "TB"/);
    expect(data.saved).toMatch(/"showAllEdges": true/);
    expect(data.saved).toMatch(/"maxParallel": 4/);
    expect(await state.fetch(STATE_KEY)).toEqual({
      p1: ['h1'],
      p2: ['h2', 'h3']
    });

    // A change in the settings editor reaches the next view.
    const settings = await registry.load(PLUGIN);
    await settings.set('minimap', 'always');
    expect(store.defaults().showMinimap).toBe(true);
  });

  it('work in memory without registry or state database', async () => {
    const store = await createViewOptionsStore(null, null, PLUGIN);
    store.setDefaults({ direction: 'LR' });
    store.setCollapsed('p', ['x']);
    expect(store.defaults().direction).toBe('LR');
    expect(store.collapsed('p')).toEqual(['x']);
  });
});
