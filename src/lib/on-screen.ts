/**
 * A Svelte attachment that reports whether an element is on screen: panels
 * that poll the worker or redraw charts stop doing it while nobody can see
 * them (scrolled away, or in a view that is not shown).
 *
 *   <div {@attach onScreen((v) => (state.visible = v))}>
 */

import type { Attachment } from 'svelte/attachments';

export function onScreen(report: (visible: boolean) => void): Attachment<Element> {
  return (el) => {
    if (typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => report(entries.some((e) => e.isIntersecting)));
    observer.observe(el);
    return () => observer.disconnect();
  };
}
