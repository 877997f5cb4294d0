/**
 * The DAG views' options in JupyterLab: the user's defaults in the settings
 * registry (`notebook_dag:plugin`, schema `labextension/schema/plugin.json`,
 * editable in Settings → Settings Editor), each project's collapsed sections
 * in the state database (`IStateDB`), where JupyterLab keeps its own UI state.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import {
  IViewDefaults,
  IViewOptionsStore,
  MemoryViewOptionsStore
} from './viewoptions';

/**
 * The state database key of the collapsed sections of every project.
 */
export const STATE_KEY = 'notebook-dag:view-sections';

/**
 * Settings as the schema writes them → the view's defaults.
 */
export function defaultsFromSettings(composite: {
  [key: string]: unknown;
}): IViewDefaults {
  const minimap = composite.minimap;
  const parallel = Number(composite.maxParallel);
  return {
    direction: composite.layoutDirection === 'LR' ? 'LR' : 'TB',
    showAllEdges: composite.showAllEdges === true,
    showDatasets: composite.showDatasets === true,
    showMinimap:
      minimap === 'always' ? true : minimap === 'never' ? false : null,
    collapseSections: composite.collapseSections === true,
    maxParallel: parallel >= 1 ? Math.floor(parallel) : null
  };
}

/**
 * The view's defaults → settings as the schema writes them (only `patch`'s keys).
 */
export function settingsFromDefaults(patch: Partial<IViewDefaults>): {
  [key: string]: string | number | boolean;
} {
  const out: { [key: string]: string | number | boolean } = {};
  if (patch.direction !== undefined) {
    out.layoutDirection = patch.direction;
  }
  if (patch.showAllEdges !== undefined) {
    out.showAllEdges = patch.showAllEdges;
  }
  if (patch.showDatasets !== undefined) {
    out.showDatasets = patch.showDatasets;
  }
  if (patch.showMinimap !== undefined) {
    out.minimap =
      patch.showMinimap === null
        ? 'auto'
        : patch.showMinimap
          ? 'always'
          : 'never';
  }
  if (patch.collapseSections !== undefined) {
    out.collapseSections = patch.collapseSections;
  }
  if (patch.maxParallel !== undefined) {
    out.maxParallel = patch.maxParallel ?? 0;
  }
  return out;
}

/**
 * A store over the settings registry and the state database; either may be
 * missing (then that part lives in memory for the session).
 */
export async function createViewOptionsStore(
  registry: ISettingRegistry | null,
  state: IStateDB | null,
  pluginId: string
): Promise<IViewOptionsStore> {
  const memory = new MemoryViewOptionsStore();
  let settings: ISettingRegistry.ISettings | null = null;
  if (registry) {
    try {
      settings = await registry.load(pluginId);
      memory.setDefaults(defaultsFromSettings(settings.composite));
      settings.changed.connect(() =>
        memory.setDefaults(defaultsFromSettings(settings!.composite))
      );
    } catch (error) {
      console.warn('notebook_dag: the DAG view settings cannot be read', error);
    }
  }
  let sections: { [projectId: string]: string[] } = {};
  if (state) {
    try {
      const saved = (await state.fetch(STATE_KEY)) as {
        [projectId: string]: string[];
      } | null;
      sections = saved && typeof saved === 'object' ? { ...saved } : {};
    } catch (error) {
      console.warn('notebook_dag: the DAG view state cannot be read', error);
    }
  }
  return {
    defaults: () => memory.defaults(),
    setDefaults: patch => {
      memory.setDefaults(patch);
      if (settings) {
        for (const [key, value] of Object.entries(
          settingsFromDefaults(patch)
        )) {
          void settings
            .set(key, value)
            .catch(error =>
              console.warn(
                `notebook_dag: cannot save the setting ${key}`,
                error
              )
            );
        }
      }
    },
    collapsed: projectId =>
      Array.isArray(sections[projectId]) ? [...sections[projectId]] : null,
    setCollapsed: (projectId, collapsed) => {
      sections = { ...sections, [projectId]: [...collapsed] };
      void state
        ?.save(STATE_KEY, sections as unknown as ReadonlyPartialJSONObject)
        .catch(error =>
          console.warn('notebook_dag: cannot save the DAG view state', error)
        );
    }
  };
}
