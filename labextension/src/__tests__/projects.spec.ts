import { ApiError } from '../handler';
import { parseTags, ProjectsModel } from '../projects/model';
import { IProject } from '../types';

function project(id: string, partial: Partial<IProject> = {}): IProject {
  return {
    id,
    name: `Project ${id}`,
    notebook_path: `${id}.ipynb`,
    tags: [],
    favorite: false,
    ...partial
  };
}

function makeApi() {
  return {
    queryProjects: jest.fn().mockResolvedValue({
      projects: [
        project('a', { tags: ['etl', 'daily'] }),
        project('b', { tags: ['ml'], favorite: true })
      ],
      total: 2
    }),
    createProject: jest.fn().mockImplementation(async body => ({
      id: 'new',
      ...body
    })),
    updateProject: jest.fn().mockImplementation(async (id, patch) => ({
      ...project(id),
      ...patch
    })),
    deleteProject: jest.fn().mockResolvedValue(undefined),
    duplicateProject: jest.fn().mockResolvedValue(project('copy'))
  };
}

describe('parseTags', () => {
  it('splits on commas, trims, drops blanks and repeats', () => {
    expect(parseTags(' etl, daily,,etl , ')).toEqual(['etl', 'daily']);
    expect(parseTags('')).toEqual([]);
  });
});

describe('ProjectsModel', () => {
  it('loads projects and learns their tags', async () => {
    const api = makeApi();
    const model = new ProjectsModel(api as never);
    await model.load();
    expect(api.queryProjects).toHaveBeenCalledWith({
      sort: '-updated',
      limit: 50,
      offset: 0
    });
    expect(model.projects.map(p => p.id)).toEqual(['a', 'b']);
    expect(model.total).toBe(2);
    expect(model.tags).toEqual(['daily', 'etl', 'ml']);
    model.dispose();
  });

  it('waits for a pause in typing before searching', async () => {
    jest.useFakeTimers();
    const api = makeApi();
    const model = new ProjectsModel(api as never, 200);
    try {
      model.setQuery({ q: 's' });
      model.setQuery({ q: 'sa' });
      model.setQuery({ q: 'sales' });
      expect(api.queryProjects).not.toHaveBeenCalled();
      jest.advanceTimersByTime(201);
      expect(api.queryProjects).toHaveBeenCalledTimes(1);
      expect(api.queryProjects).toHaveBeenCalledWith(
        expect.objectContaining({ q: 'sales' })
      );
      // Filters and sort apply at once.
      model.setQuery({ tag: 'etl' });
      model.setQuery({ favorite: true, sort: 'name' });
      expect(api.queryProjects).toHaveBeenLastCalledWith({
        q: 'sales',
        tag: 'etl',
        favorite: true,
        sort: 'name',
        limit: 50,
        offset: 0
      });
    } finally {
      model.dispose();
      jest.useRealTimers();
    }
  });

  it('keeps only the answer of the latest query', async () => {
    const api = makeApi();
    let answerFirst: (value: unknown) => void = () => undefined;
    api.queryProjects
      .mockImplementationOnce(
        () => new Promise(resolve => (answerFirst = resolve))
      )
      .mockResolvedValueOnce({ projects: [project('latest')], total: 1 });
    const model = new ProjectsModel(api as never, 0);
    const first = model.load();
    await model.load();
    answerFirst({ projects: [project('stale')], total: 1 });
    await first;
    expect(model.projects.map(p => p.id)).toEqual(['latest']);
    model.dispose();
  });

  it('stars at once and undoes it when the server refuses', async () => {
    const api = makeApi();
    const model = new ProjectsModel(api as never);
    await model.load();
    const star = model.toggleFavorite('a');
    expect(model.projects[0].favorite).toBe(true); // optimistic
    await star;
    expect(api.updateProject).toHaveBeenCalledWith('a', { favorite: true });
    expect(model.projects[0].favorite).toBe(true);

    api.updateProject.mockRejectedValueOnce(
      new ApiError(404, 'no project b', { message: 'no project b' })
    );
    await model.toggleFavorite('b');
    expect(model.projects[1].favorite).toBe(true); // back as it was
    expect(model.error).toBe('no project b (HTTP 404)');
    model.dismissError();
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('creates, renames, tags, duplicates and deletes', async () => {
    const api = makeApi();
    const model = new ProjectsModel(api as never);
    await model.load();
    const created = await model.create({
      name: 'N',
      notebook_path: 'n.ipynb',
      tags: ['x']
    });
    expect(created).toMatchObject({ id: 'new', name: 'N' });
    expect(api.queryProjects).toHaveBeenCalledTimes(2); // reloaded
    await expect(model.rename('a', 'Renamed')).resolves.toBe(true);
    expect(model.projects.find(p => p.id === 'a')!.name).toBe('Renamed');
    await model.setTags('a', ['new-tag']);
    expect(model.tags).toContain('new-tag');
    await expect(model.duplicate('a')).resolves.toMatchObject({ id: 'copy' });
    expect(api.duplicateProject).toHaveBeenCalledWith('a', {});
    await expect(model.remove('b')).resolves.toBe(true);
    expect(model.projects.map(p => p.id)).not.toContain('b');
    expect(model.total).toBe(1);
    model.dispose();
  });

  it('reports a refused creation', async () => {
    const api = makeApi();
    api.createProject.mockRejectedValueOnce(
      new ApiError(
        422,
        'the request body does not match the schema: name: too short',
        {
          message: 'the request body does not match the schema: name: too short'
        }
      )
    );
    const model = new ProjectsModel(api as never);
    await expect(
      model.create({ name: '', notebook_path: 'x.ipynb' })
    ).resolves.toBeNull();
    expect(model.error).toContain('name: too short');
    model.dispose();
  });

  it('loads more pages', async () => {
    const api = makeApi();
    api.queryProjects
      .mockResolvedValueOnce({ projects: [project('a')], total: 2 })
      .mockResolvedValueOnce({
        projects: [project('a'), project('b')],
        total: 2
      });
    const model = new ProjectsModel(api as never);
    await model.load();
    await model.more();
    expect(model.projects.map(p => p.id)).toEqual(['a', 'b']);
    await model.more(); // nothing left
    expect(api.queryProjects).toHaveBeenCalledTimes(2);
    model.dispose();
  });
});
