import { describe, expect, it } from 'vitest';

import { publicModelVersion } from '../../src/web/public-model-version.js';

describe('publicModelVersion', () => {
  it('gives 12 hex characters that change with the version and come back the same for it', () => {
    const shown = publicModelVersion('secret');
    const first = shown('c27f35247d10+100001.46799');
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    const next = shown('c27f35247d10+100002.46799');
    expect(next).not.toBe(first);
    expect(shown('c27f35247d10+100001.46799')).toBe(first);
    expect(shown('c27f35247d10+100002.46799')).toBe(next);
  });

  it('is the same in every worker sharing the secret, and tells nothing without it', () => {
    const version = 'c27f35247d10+100001.46799';
    expect(publicModelVersion('secret')(version)).toBe(publicModelVersion('secret')(version));
    expect(publicModelVersion('other')(version)).not.toBe(publicModelVersion('secret')(version));
    expect(publicModelVersion('secret')(version)).not.toContain('100001');
  });
});
