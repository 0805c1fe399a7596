/** The request executor's joined signals: abort follows the parent, and children let go of it. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkedAbort } from '../../src/api/linked-abort.js';

describe('linkedAbort', () => {
  it('aborts with the parent that fired, and only the children still following it', () => {
    const close = new AbortController();
    const caller = new AbortController();
    const a = linkedAbort([caller.signal, close.signal]);
    const b = linkedAbort([close.signal]);
    const done = linkedAbort([close.signal]);
    done.dispose();
    caller.abort('caller gave up');
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe('caller gave up');
    expect(b.signal.aborted).toBe(false);
    close.abort('client closed');
    expect(b.signal.reason).toBe('client closed');
    // A child disposed before the abort is not aborted by it.
    expect(done.signal.aborted).toBe(false);
  });

  it('is aborted at once by a parent already aborted', () => {
    const parent = new AbortController();
    parent.abort('earlier');
    const link = linkedAbort([new AbortController().signal, parent.signal]);
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe('earlier');
  });

  it('aborting the child alone leaves the parent untouched', () => {
    const parent = new AbortController();
    const link = linkedAbort([parent.signal]);
    link.abort();
    expect(link.signal.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
  });

  it('a parent of thousands of requests has one listener, and disposed children are let go', () => {
    const close = new AbortController();
    const links = Array.from({ length: 2_000 }, () => linkedAbort([close.signal]));
    expect(getEventListeners(close.signal, 'abort')).toHaveLength(1);
    for (const link of links.slice(0, 1_999)) link.dispose();
    close.abort();
    expect(links.filter((l) => l.signal.aborted)).toHaveLength(1);
    expect(links[1_999]!.signal.aborted).toBe(true);
  });
});
