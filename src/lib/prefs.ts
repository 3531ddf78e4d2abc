/**
 * Where a display preference (theme, language) comes from, in order:
 * the page URL (?theme=dark&lang=zh-CN, handy in an instructor's link; used for
 * this visit only), then the choice remembered in localStorage, then the system.
 *
 * localStorage can be missing or throw (private windows, file://, strict
 * settings); a preference that cannot be remembered is not an error.
 */

export const STORAGE_KEYS = {
  theme: 'wiretab.theme',
  locale: 'wiretab.locale',
  layout: 'wiretab.layout',
  /** STUN/TURN servers for pairing (src/lib/peer/ice-servers.ts). */
  ice: 'wiretab.ice',
} as const;

/** A query parameter of the current page, if present and non-empty. */
export function urlParam(name: string): string | undefined {
  if (typeof location === 'undefined') return undefined;
  const value = new URLSearchParams(location.search).get(name);
  return value === null || value === '' ? undefined : value;
}

export function readStored(key: string): string | undefined {
  try {
    return globalThis.localStorage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writeStored(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // Not remembered across visits; the choice still applies now.
  }
}
