/**
 * The pure parts of "New project from template": default name and path, and
 * turning the form's text fields into the `template` of `POST /projects`.
 */
import { ITemplate, ITemplateChoice } from '../types';

/**
 * The directory of a contents path (`''` at the root).
 */
export function directoryOf(path: string | null): string {
  if (!path) {
    return '';
  }
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The name and notebook path a new project from `template` starts with: the
 * template's title, and `<id>.ipynb` in `directory`.
 */
export function templateDefaults(
  template: ITemplate,
  directory: string
): { name: string; path: string } {
  const file = `${template.id}.ipynb`;
  return {
    name: template.title,
    path: directory ? `${directory}/${file}` : file
  };
}

/**
 * The `template` of `POST /projects` from the form's values (parameter name →
 * text as typed), or the first problem in words a user understands. Empty
 * optional fields keep the template's own value.
 */
export function templateChoice(
  template: ITemplate,
  values: { [name: string]: string }
): { choice: ITemplateChoice } | { error: string } {
  const parameters: ITemplateChoice['parameters'] = {};
  for (const p of template.parameters) {
    const text = (values[p.name] ?? '').trim();
    if (p.kind === 'dataset') {
      if (!text) {
        return { error: 'Choose a dataset.' };
      }
      parameters[p.name] = text;
    } else if (!text) {
      continue;
    } else if (p.kind === 'column') {
      parameters[p.name] = text;
    } else {
      if (!/^-?\d+$/.test(text)) {
        return { error: `${label(p.name)} must be a whole number.` };
      }
      const value = Number(text);
      if (
        (p.minimum !== null && value < p.minimum) ||
        (p.maximum !== null && value > p.maximum)
      ) {
        return {
          error: `${label(p.name)} must be between ${p.minimum ?? '…'} and ${
            p.maximum ?? '…'
          }.`
        };
      }
      parameters[p.name] = value;
    }
  }
  return { choice: { id: template.id, parameters } };
}

/**
 * A parameter's name as a label: `DATE_COLUMN` → `Date column`.
 */
export function label(name: string): string {
  const words = name.replace(/_/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
