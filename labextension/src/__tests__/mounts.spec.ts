/**
 * The DAG view's mount points as a registry the feature plugins fill.
 */
import { DagViewMounts } from '../mounts';

describe('DagViewMounts', () => {
  it('offers what the plugins added, the latest first, until taken away', () => {
    const mounts = new DagViewMounts();
    expect(mounts.datasetsTab).toBeUndefined();
    const tab = () => null;
    const fix = () => null;
    const otherFix = () => null;
    mounts.add({ datasetsTab: tab });
    const remove = mounts.add({ aiFix: fix, aiAddBlock: undefined });
    expect(mounts.datasetsTab).toBe(tab);
    expect(mounts.aiFix).toBe(fix);
    expect(mounts.aiAddBlock).toBeUndefined();
    const removeOther = mounts.add({ aiFix: otherFix });
    expect(mounts.aiFix).toBe(otherFix);
    removeOther();
    expect(mounts.aiFix).toBe(fix);
    remove();
    expect(mounts.aiFix).toBeUndefined();
    expect(mounts.datasetsTab).toBe(tab);
  });
});
