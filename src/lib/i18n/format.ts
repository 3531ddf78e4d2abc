/**
 * Pure helpers of the translation layer: placeholder substitution, placeholder
 * extraction (for the dictionary consistency test) and locale matching.
 * No runes here, so Node tests can import it directly.
 */

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** Names of the {placeholders} in a template literal type, e.g. 'a {x} b {y}' -> 'x' | 'y'. */
export type PlaceholdersOf<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PlaceholdersOf<Rest>
  : never;

export type Params = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** Replaces each {name} with params[name]; an unknown name is left visible so it gets noticed. */
export function format(template: string, params?: Params): string {
  if (params === undefined) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** The distinct placeholder names in a template, sorted. */
export function placeholders(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (match) => match[1] as string))].sort();
}

/** A template cut at its placeholders, for rendering a placeholder as markup (a <code>, a link). */
export type Part = { text: string } | { placeholder: string };

export function parts(template: string): Part[] {
  const result: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const index = match.index ?? 0;
    if (index > last) result.push({ text: template.slice(last, index) });
    result.push({ placeholder: match[1] as string });
    last = index + match[0].length;
  }
  if (last < template.length) result.push({ text: template.slice(last) });
  return result;
}

export function isLocale(value: string | undefined): value is Locale {
  return value !== undefined && (LOCALES as readonly string[]).includes(value);
}

/**
 * The supported locale for a language tag: exact match first, then any
 * Chinese tag (zh, zh-Hans, zh-SG, also zh-TW and zh-Hant: a Traditional
 * Chinese reader is better served by Simplified Chinese than by English) to
 * zh-CN, any English tag to en.
 */
export function matchLocale(tag: string | undefined): Locale | undefined {
  if (tag === undefined) return undefined;
  if (isLocale(tag)) return tag;
  const lower = tag.toLowerCase();
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  return undefined;
}

/** The first of the person's preferred languages we support, else the default. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const locale = matchLocale(tag);
    if (locale !== undefined) return locale;
  }
  return DEFAULT_LOCALE;
}
