/**
 * The dictionaries stay in step: the compiler already rejects a zh-CN
 * dictionary with missing or extra keys (it is typed as `Messages`); this also
 * checks at run time, and checks what the compiler cannot: each translation
 * uses exactly the {placeholders} of its English original.
 */

import { describe, expect, it } from 'vitest';
import { en } from '../../src/lib/i18n/en';
import { format, matchLocale, parts, pickLocale, placeholders } from '../../src/lib/i18n/format';
import { zhCN } from '../../src/lib/i18n/zh-CN';

const dictionaries = { 'zh-CN': zhCN } as const;

describe('dictionaries', () => {
  for (const [name, dictionary] of Object.entries(dictionaries)) {
    it(`${name} has exactly the keys of en`, () => {
      expect(Object.keys(dictionary).sort()).toEqual(Object.keys(en).sort());
    });

    it(`${name} uses the same {placeholders} as en, key by key`, () => {
      const mismatches = Object.entries(en)
        .map(([key, english]) => ({
          key,
          en: placeholders(english),
          [name]: placeholders((dictionary as Record<string, string>)[key] ?? ''),
        }))
        .filter((row) => JSON.stringify(row.en) !== JSON.stringify(row[name]));
      expect(mismatches).toEqual([]);
    });

    it(`${name} has no empty text`, () => {
      expect(Object.entries(dictionary).filter(([, text]) => text.trim() === '')).toEqual([]);
    });
  }

  it('has at least one placeholder somewhere, so the placeholder check is exercised', () => {
    expect(Object.values(en).some((text) => placeholders(text).length > 0)).toBe(true);
  });
});

describe('format', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(format('no params')).toBe('no params');
  });

  it('extracts distinct, sorted placeholder names', () => {
    expect(placeholders('{b} {a} {b}')).toEqual(['a', 'b']);
    expect(placeholders('none')).toEqual([]);
  });

  it('cuts a template at its placeholders', () => {
    expect(parts('add {example} to a link')).toEqual([
      { text: 'add ' },
      { placeholder: 'example' },
      { text: ' to a link' },
    ]);
  });
});

describe('locale matching', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['en-GB', 'en'],
    ['fr', undefined],
  ])('matches %s to %s', (tag, locale) => {
    expect(matchLocale(tag)).toBe(locale);
  });

  it('picks the first supported preferred language, else English', () => {
    expect(pickLocale(['fr-FR', 'zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(['de'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });
});
