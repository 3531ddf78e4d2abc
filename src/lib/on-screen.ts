/**
 * Svelte attachments that report whether an element can be seen: panels that
 * poll the worker or redraw charts stop doing it while nobody can see them.
 *
 *   <div {@attach onScreen((v) => (state.visible = v))}>          on screen or not
 *   <div {@attach visibility((v) => state.setVisibility(v))}>     'shown' | 'offscreen' | 'hidden'
 *
 * 'offscreen' is rendered but scrolled away (a screen reader, find-in-page or a
 * test can still read it); 'hidden' is inside a view that is not shown
 * (display: none), where nobody reads anything until the view is opened.
 */

import type { Attachment } from 'svelte/attachments';

export type Visibility = 'shown' | 'offscreen' | 'hidden';

export function onScreen(report: (visible: boolean) => void): Attachment<Element> {
  return (el) => {
    if (typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => report(entries.some((e) => e.isIntersecting)));
    observer.observe(el);
    return () => observer.disconnect();
  };
}

export function visibility(report: (v: Visibility) => void): Attachment<Element> {
  return (el) => {
    if (typeof IntersectionObserver === 'undefined') return;
    let intersecting = false;
    let last: Visibility | undefined;
    const update = () => {
      // display: none anywhere above makes the box vanish (checkVisibility); without the API, assume rendered.
      const rendered = typeof el.checkVisibility === 'function' ? el.checkVisibility() : true;
      const v: Visibility = intersecting ? 'shown' : rendered ? 'offscreen' : 'hidden';
      if (v !== last) report((last = v));
    };
    const io = new IntersectionObserver((entries) => {
      intersecting = entries.some((e) => e.isIntersecting);
      update();
    });
    io.observe(el);
    // A view shown or hidden while the element stays out of the viewport changes no intersection, but its size (to or from 0).
    const ro = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(update);
    ro?.observe(el);
    return () => {
      io.disconnect();
      ro?.disconnect();
    };
  };
}
