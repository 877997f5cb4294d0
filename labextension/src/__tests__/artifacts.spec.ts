import {
  artifactRunOf,
  fileUrl,
  formatBytes,
  IArtifact,
  isPreviewable,
  PREVIEW_LIMIT
} from '../artifacts';

const artifact = (over: Partial<IArtifact>): IArtifact => ({
  run_id: 'r1',
  block_id: 'c1',
  path: 'art/fig.png',
  name: 'fig.png',
  size: 2048,
  sha256: 'ab',
  mime: 'image/png',
  change: 'created',
  created_at: '2026-12-07T00:00:00Z',
  ...over
});

describe('artifacts', () => {
  it('formats sizes for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TB');
  });

  it('previews small images only', () => {
    expect(isPreviewable(artifact({}))).toBe(true);
    expect(isPreviewable(artifact({ mime: 'image/svg+xml' }))).toBe(true);
    expect(isPreviewable(artifact({ mime: 'text/csv' }))).toBe(false);
    expect(isPreviewable(artifact({ mime: null }))).toBe(false);
    expect(isPreviewable(artifact({ size: PREVIEW_LIMIT + 1 }))).toBe(false);
  });

  it('shows the followed run only when the block executed in it', () => {
    const followed = {
      id: 'run2',
      blocks: [
        { block_id: 'c1', started_at: '2026-12-07T00:00:00Z' },
        { block_id: 'c2', started_at: null }
      ]
    };
    expect(artifactRunOf('c1', followed, 'run1')).toBe('run2');
    expect(artifactRunOf('c2', followed, 'run1')).toBe('run1');
    expect(artifactRunOf('c3', followed, null)).toBeNull();
    expect(artifactRunOf('c1', null, 'run1')).toBe('run1');
  });

  it('downloads through the files/ URL, each path part encoded', () => {
    expect(fileUrl('/lab/base/', 'my dir/a#b.csv')).toBe(
      '/lab/base/files/my%20dir/a%23b.csv'
    );
  });
});
