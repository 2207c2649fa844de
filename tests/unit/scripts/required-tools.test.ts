import { describe, expect, it } from 'vitest';
import { missingTools } from '../../../scripts/local-stack/required-tools.ts';

describe('required tools of the local stack', () => {
  it('finds git and ansible-playbook on this machine (CI installs them)', () => {
    expect(missingTools()).toEqual([]);
  });

  it('says how to install each missing one', () => {
    // Act: a PATH where neither exists
    const missing = missingTools({ ...process.env, PATH: '/nonexistent' });

    // Assess
    expect(missing).toHaveLength(2);
    expect(missing[0]).toMatch(/^git is not installed\. Install it: /);
    expect(missing[1]).toMatch(/^ansible-playbook is not installed\. Install it: .*ansible-core/);
  });
});
