/**
 * Light or dark. Follows the system (prefers-color-scheme) until the person
 * picks one with the toggle; that pick is remembered. `?theme=dark|light` in
 * the URL wins for the visit without being remembered.
 *
 * The result is applied as <html data-theme="..."> and drives the CSS
 * variables in app.css. index.html sets the same attribute before first paint
 * so a dark page never flashes white.
 */

import { readStored, STORAGE_KEYS, urlParam, writeStored } from './prefs';

export type ThemeName = 'light' | 'dark';

export function parseTheme(value: string | undefined): ThemeName | undefined {
  return value === 'light' || value === 'dark' ? value : undefined;
}

export class Theme {
  /** An explicit choice (URL or toggle); undefined means "follow the system". */
  #chosen = $state<ThemeName | undefined>(undefined);
  #systemDark = $state(false);

  readonly current: ThemeName = $derived(this.#chosen ?? (this.#systemDark ? 'dark' : 'light'));

  constructor() {
    this.#chosen = parseTheme(urlParam('theme')) ?? parseTheme(readStored(STORAGE_KEYS.theme));
    if (typeof matchMedia === 'function') {
      const query = matchMedia('(prefers-color-scheme: dark)');
      this.#systemDark = query.matches;
      query.addEventListener('change', (event) => {
        this.#systemDark = event.matches;
        this.#apply();
      });
    }
    this.#apply();
  }

  get isDark(): boolean {
    return this.current === 'dark';
  }

  toggle(): void {
    this.set(this.isDark ? 'light' : 'dark');
  }

  set(theme: ThemeName): void {
    this.#chosen = theme;
    writeStored(STORAGE_KEYS.theme, theme);
    this.#apply();
  }

  #apply(): void {
    if (typeof document === 'undefined') return;
    const root = document.documentElement;
    root.dataset.theme = this.current;
    root.style.colorScheme = this.current;
  }
}

export const theme = new Theme();
