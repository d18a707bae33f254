/**
 * @lit/localize set-up. The locale is page-wide: only the define entry (and so the bundle) configures it,
 * and only if the page has not done so already. Locale modules are imported statically so the bundle
 * stays one file.
 */
import { configureLocalization, type LocaleModule } from '@lit/localize';
import { sourceLocale, targetLocales } from './generated/locale-codes.js';
import * as sv from './generated/locales/sv.js';

/** Our Swedish templates, for hosts that configure @lit/localize themselves and merge them into theirs. */
export const bankIdLoginTemplates: Record<'sv', LocaleModule['templates']> = { sv: sv.templates };

let locale: { get: () => string; set: (locale: string) => Promise<void> } | null = null;

/** Configures @lit/localize for sv and en. False if the page had configured it already (then the host owns the locale). */
export function installLocalization(): boolean {
  if (locale) return true;
  try {
    const { getLocale, setLocale } = configureLocalization({
      sourceLocale,
      targetLocales,
      loadLocale: async (code) => {
        // Not the module namespace itself: the bundle would then carry a frozen copy of it.
        if (code === 'sv') return { templates: sv.templates };
        throw new Error(`bankid-login: no locale ${code}`);
      },
    });
    locale = { get: getLocale, set: setLocale };
    return true;
  } catch {
    return false;
  }
}

/** Switches the page's locale to an element's language (when this module configured it). */
export function applyLocale(lang: 'sv' | 'en'): void {
  if (locale && locale.get() !== lang) void locale.set(lang);
}
