/**
 * The translation layer: the current locale lives in `$state`, so every
 * `t(...)` in a template re-renders when the language changes.
 *
 * Where the locale comes from, in order: ?lang= in the URL (for the visit
 * only), the remembered choice, the browser's preferred languages, English.
 * The current locale is mirrored to <html lang> (fonts, screen readers,
 * line breaking) and to the document title.
 */

import { readStored, STORAGE_KEYS, urlParam, writeStored } from '../prefs';
import { causeText } from './cause-text';
import { en, type MessageKey, type Messages } from './en';
import { format, isLocale, LOCALES, matchLocale, parts, pickLocale, type Locale, type Part, type PlaceholdersOf } from './format';
import { zhCN } from './zh-CN';

export { LOCALES, type Locale, type MessageKey, type Part };

const DICTIONARIES: Readonly<Record<Locale, Messages>> = { en, 'zh-CN': zhCN };

/** Parameters for key K: none when its English text has no {placeholder}, else exactly those names. */
export type ParamsFor<K extends MessageKey> = [PlaceholdersOf<(typeof en)[K]>] extends [never]
  ? []
  : [params: Readonly<Record<PlaceholdersOf<(typeof en)[K]>, string | number>>];

export class I18n {
  locale = $state<Locale>('en');

  constructor() {
    const stored = readStored(STORAGE_KEYS.locale);
    this.locale =
      matchLocale(urlParam('lang')) ??
      (isLocale(stored) ? stored : undefined) ??
      pickLocale(typeof navigator === 'undefined' ? [] : navigator.languages);
    this.#apply();
  }

  /** The text for `key` in the current locale, with {placeholders} filled in. */
  t = <K extends MessageKey>(key: K, ...params: ParamsFor<K>): string => {
    return format(DICTIONARIES[this.locale][key], params[0]);
  };

  /**
   * The text for a key made at run time (e.g. `tables.drop.${reason}`), or
   * undefined when the dictionary has none: for open-ended codes that may grow
   * faster than the translations. Placeholders are left as they are.
   */
  maybe = (key: string): string | undefined => {
    const dict = DICTIONARIES[this.locale] as Readonly<Record<string, string>>;
    return Object.hasOwn(dict, key) ? dict[key] : undefined;
  };

  /** Why a TCP connection changed state (a traced cause, or a state diagram label), in the current locale: cause-text.ts. */
  cause = (cause: string): string => causeText(cause, (key) => DICTIONARIES[this.locale][key]);

  /** The text for `key` cut at its placeholders, for placeholders rendered as markup. */
  parts = (key: MessageKey): Part[] => parts(DICTIONARIES[this.locale][key]);

  /** A locale's own name ("English", "简体中文"), the same whatever the current locale. */
  nameOf(locale: Locale): string {
    return DICTIONARIES[locale][`locale.${locale}` as const];
  }

  set(locale: Locale): void {
    this.locale = locale;
    writeStored(STORAGE_KEYS.locale, locale);
    this.#apply();
  }

  #apply(): void {
    if (typeof document === 'undefined') return;
    document.documentElement.lang = this.locale;
    document.title = this.t('meta.title');
  }
}

export const i18n = new I18n();

/** Shorthand for templates: `{t('app.tagline')}`. */
export const t = i18n.t;
export const tMaybe = i18n.maybe;
export const tCause = i18n.cause;
