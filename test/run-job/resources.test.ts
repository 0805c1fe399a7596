import { describe, expect, it } from 'vitest';
import { ExportError } from '../../src/errors.js';
import { Resources } from '../../src/resources.js';

describe('Resources', () => {
  it('closes every resource once, last opened first', async () => {
    const closed: string[] = [];
    const resources = new Resources();
    for (const name of ['store', 'ledger', 'custody', 'client'])
      resources.defer(() => void closed.push(name));
    await resources.close();
    await resources.close();
    expect(closed).toEqual(['client', 'custody', 'ledger', 'store']);
  });

  it('runs the remaining closers after one fails, then throws the first failure', async () => {
    const closed: string[] = [];
    const first = new Error('custody close failed');
    const resources = new Resources();
    resources.defer(() => void closed.push('store'));
    resources.defer(() => {
      throw new Error('ledger close failed');
    });
    resources.defer(async () => {
      closed.push('custody');
      throw first;
    });
    resources.defer(() => void closed.push('client'));
    await expect(resources.close()).rejects.toBe(first);
    expect(closed).toEqual(['client', 'custody', 'store']);
  });

  it('refuses a resource opened after the scope closed', async () => {
    const resources = new Resources();
    await resources.close();
    let error: unknown;
    try {
      resources.defer(() => undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('internal');
  });
});
