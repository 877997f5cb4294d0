/**
 * The dialog asking which of a notebook's projects to open.
 */
import { InputDialog } from '@jupyterlab/apputils';

import { IProject } from '../types';
import { choiceLabels } from './projectchoice';

/**
 * Ask which project of `notebookPath` to open, newest first as given.
 *
 * @returns the chosen project, or `null` when cancelled
 */
export async function askProject(
  projects: IProject[],
  notebookPath: string
): Promise<IProject | null> {
  const labels = choiceLabels(projects);
  const result = await InputDialog.getItem({
    title: 'Open DAG view',
    label: `${notebookPath} has ${projects.length} projects. Which one?`,
    items: labels,
    current: 0,
    okLabel: 'Open'
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return projects[labels.indexOf(result.value)] ?? null;
}
