import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT, parseLayout } from '../../../src/panels/lab/layout.svelte';

describe('stored layout', () => {
  it('reads a valid choice back', () => {
    expect(parseLayout('{"mode":"split","left":"flow","right":"web"}')).toEqual({ mode: 'split', left: 'flow', right: 'web' });
  });

  it('falls back field by field on anything unknown, and never shows one view twice', () => {
    expect(parseLayout(undefined)).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout('not json')).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout('{"mode":"grid","left":"packets","right":7}')).toEqual({ mode: 'tabs', left: 'packets', right: 'packets' === DEFAULT_LAYOUT.right ? 'link' : DEFAULT_LAYOUT.right });
    expect(parseLayout('{"mode":"split","left":"web","right":"web"}')).toEqual({ mode: 'split', left: 'web', right: 'link' });
    expect(parseLayout('null')).toEqual(DEFAULT_LAYOUT);
  });
});
