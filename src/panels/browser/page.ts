/**
 * Turning a peer's HTML into something safe to show: the page is untrusted
 * (another tab wrote it), so it is rendered in an iframe that may not run any
 * script, behind a Content-Security-Policy that lets it load nothing from any
 * network. Its stylesheets and images are fetched over OUR stack first (each a
 * request in the waterfall) and inlined: CSS as <style>, images as data: URLs.
 *
 * Runs in the page (it uses DOMParser and URL); no Svelte.
 */

/** Nothing may be loaded or run; inline styles and data: images only. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; base-uri 'none'";

/** Elements that could run code, load something, or navigate by themselves: removed with their content. */
const REMOVED = 'script, iframe, frame, frameset, object, embed, applet, base, link:not([rel~="stylesheet" i]), meta[http-equiv], portal, template';

export interface Subresource {
  kind: 'css' | 'img';
  /** Absolute URL. */
  url: string;
  element: Element;
}

/** An absolute http URL for `ref` relative to `base`, or undefined for anything else (javascript:, mailto:, https:, ...). */
export function absoluteHttp(ref: string, base: string): string | undefined {
  try {
    const u = new URL(ref, base);
    return u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses and defangs the HTML: removes active elements, event-handler
 * attributes and non-http URLs, makes links absolute (so a click can be
 * followed over our stack), and lists the stylesheets and images to fetch.
 */
export function preparePage(html: string, baseUrl: string): { doc: Document; resources: Subresource[]; removed: number } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  let removed = 0;
  for (const el of [...doc.querySelectorAll(REMOVED)]) {
    el.remove();
    removed++;
  }
  const resources: Subresource[] = [];
  for (const el of [...doc.querySelectorAll('*')]) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      // on*="..." handlers, and any attribute that smuggles a javascript: or data: URL (xlink:href, formaction...).
      if (name.startsWith('on') || /^\s*(javascript|vbscript|data):/i.test(attr.value)) {
        if (!(el.tagName === 'IMG' && name === 'src')) {
          el.removeAttribute(attr.name);
          removed++;
        }
      }
    }
    if (el.tagName === 'A' && el.hasAttribute('href')) {
      const abs = absoluteHttp(el.getAttribute('href')!, baseUrl);
      const href = el.getAttribute('href')!;
      if (href.startsWith('#')) continue;
      if (abs) el.setAttribute('href', abs);
      else el.removeAttribute('href');
    } else if (el.tagName === 'LINK') {
      const abs = absoluteHttp(el.getAttribute('href') ?? '', baseUrl);
      if (abs) resources.push({ kind: 'css', url: abs, element: el });
      else el.remove();
    } else if (el.tagName === 'IMG') {
      el.removeAttribute('srcset');
      const abs = absoluteHttp(el.getAttribute('src') ?? '', baseUrl);
      if (abs) resources.push({ kind: 'img', url: abs, element: el });
      else el.removeAttribute('src');
    }
  }
  return { doc, resources, removed };
}

/** Puts a fetched stylesheet or image into the page in place of its reference. */
export function inlineResource(doc: Document, r: Subresource, body: Uint8Array, contentType: string): void {
  if (r.kind === 'css') {
    const style = doc.createElement('style');
    // CSS can reach out with url() and @import: the policy forbids those loads, so they stay harmless.
    style.textContent = new TextDecoder().decode(body);
    r.element.replaceWith(style);
  } else {
    const type = /^image\/(png|gif|jpeg|webp|svg\+xml)\b/i.exec(contentType)?.[0] ?? 'application/octet-stream';
    r.element.setAttribute('src', `data:${type};base64,${base64(body)}`);
  }
}

/** The document as srcdoc, with the policy as its first child of <head>. */
export function toSrcdoc(doc: Document): string {
  const meta = doc.createElement('meta');
  meta.setAttribute('http-equiv', 'Content-Security-Policy');
  meta.setAttribute('content', PAGE_CSP);
  doc.head.prepend(meta);
  return `<!doctype html>\n${doc.documentElement.outerHTML}`;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A text/plain or other non-HTML body shown as a page of its own. */
export function textPage(text: string, title: string): string {
  const doc = document.implementation.createHTMLDocument(title);
  const pre = doc.createElement('pre');
  pre.style.whiteSpace = 'pre-wrap';
  pre.style.font = '14px ui-monospace, monospace';
  pre.textContent = text;
  doc.body.append(pre);
  return toSrcdoc(doc);
}
