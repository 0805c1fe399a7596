/** The oldest Node the tool starts on: 20.10, the first 20.x whose file writes honour `flush`. */
import { describe, expect, it } from 'vitest';
import { nodeTooOld } from '../../src/cli/node-version.js';

describe('nodeTooOld', () => {
  it('refuses Node before 20.10 and names the version', () => {
    for (const v of ['18.19.0', '20.0.0', '20.9.1', 'garbage']) {
      expect(nodeTooOld(v)).toContain(`Node ${v} is too old`);
    }
  });

  it('accepts 20.10 and later, and this Node', () => {
    for (const v of ['20.10.0', '20.20.2', '22.1.0', '24.0.0']) expect(nodeTooOld(v)).toBeNull();
    expect(nodeTooOld()).toBeNull();
  });
});
