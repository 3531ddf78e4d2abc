/**
 * The mini browser in a real Chromium: alice browses bob's site by name over
 * our stack with 5 % loss each way; the page renders with its stylesheet and
 * images (each a request in the waterfall, on one keep-alive connection); a
 * link click is followed over the stack; bob's script test page proves that a
 * peer's script never runs; an edited page is served at once.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('mini browser in Chromium', () => {
  const app = useApp();

  it('browses www.bob.lab through 5 % loss, follows a link, blocks scripts, serves an edited page', async () => {
    const page = await app.browser.newPage({ viewport: { width: 1366, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.url}?solo&layout=all&lang=en&theme=light`);
    // 5 % loss each way (opening a section opens it on both direction cards).
    await page.locator('.direction[data-host=alice] .sections summary', { hasText: 'Loss' }).click();
    for (const host of ['alice', 'bob']) {
      const d = page.locator(`.direction[data-host=${host}]`);
      await d.getByRole('spinbutton', { name: 'Loss', exact: true }).fill('5');
      await expect.poll(() => d.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('5 % random');
    }
    const panel = page.locator('.browser-panel');
    await panel.scrollIntoViewIfNeeded();
    const address = panel.getByRole('textbox', { name: 'Address' });
    await expect.poll(() => address.isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(await address.inputValue()).toBe('http://www.bob.lab/');
    await panel.getByRole('button', { name: 'Go', exact: true }).click();

    // The page: bob's home, rendered in the sandboxed frame with its stylesheet inlined.
    const frame = page.frameLocator('.browser-panel iframe');
    await expect.poll(() => panel.locator('.page-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('200');
    expect(await frame.locator('body').textContent()).toContain('bob');
    expect(await frame.locator('style').count()).toBeGreaterThan(0);
    expect(await panel.locator('iframe').getAttribute('sandbox')).toBe('allow-same-origin');
    // The waterfall: the document, its stylesheet and its images, all 200, the first on a new connection.
    const rows = panel.locator('.waterfall tr.row');
    expect(await rows.first().getAttribute('data-kind')).toBe('document');
    expect(await panel.locator('.waterfall tr.row[data-kind=css]').count()).toBeGreaterThan(0);
    expect(await panel.locator('.waterfall tr.row[data-kind=img]').count()).toBeGreaterThan(0);
    for (const s of await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')))) expect(s).toBe('200');
    expect(await rows.first().getAttribute('data-reused')).toBe('false');
    // With keep-alive, everything after the first request rode the same connection: one handshake.
    await expect.poll(() => panel.locator('.stats').getAttribute('data-handshakes')).toBe('1');
    // The name was looked up by asking bob's server.
    expect(await panel.locator('div.dns').first().textContent()).toContain('10.0.0.2');
    await panel.screenshot({ path: join(ARTIFACTS, 'browser-en-light.png') });

    // A link in the page is followed over our stack.
    // (The address and the status line together, so a failure says what the browser showed instead.)
    const shown = async () => `${await address.inputValue()} ${(await panel.locator('.view').textContent())?.slice(0, 200)}`;
    await frame.locator('a[href$="/about.html"]').first().click();
    // The home page's "200 OK" stays up while about.html loads: wait for about's own title.
    await expect.poll(shown, { timeout: 30_000 }).toMatch(/^http:\/\/www\.bob\.lab\/about\.html 200 OK\s*About/);

    // The script test page: its script would rewrite #verdict; it must not run.
    await address.fill('http://www.bob.lab/script.html');
    await panel.getByRole('button', { name: 'Go', exact: true }).click();
    await expect.poll(shown, { timeout: 60_000 }).toMatch(/^http:\/\/www\.bob\.lab\/script\.html 200 OK/);
    await expect.poll(() => frame.locator('#verdict').textContent(), { timeout: 30_000 }).toContain('No: scripts are blocked');
    expect(await panel.locator('.page-status .tag.warn').textContent()).toMatch(/\d+ active parts removed/);

    // Edit bob's home page and fetch it again.
    await panel.locator('details.editor summary').click();
    await expect.poll(() => panel.locator('details.editor textarea').inputValue()).toContain('<');
    await panel.locator('details.editor textarea').fill('<!doctype html><title>Edited</title><h1 id="edited">Hello from the workshop</h1>');
    await panel.getByRole('button', { name: 'Serve it' }).click();
    // Start loading another page, then type the home address over it and go: the newer address wins,
    // whatever order the two loads finish in, and the typed text is never overwritten.
    await address.fill('http://www.bob.lab/about.html');
    await panel.getByRole('button', { name: 'Go', exact: true }).click();
    await address.fill('http://www.bob.lab/');
    await panel.getByRole('button', { name: 'Go', exact: true }).click();
    await expect.poll(() => frame.locator('#edited').textContent(), { timeout: 30_000 }).toBe('Hello from the workshop');
    expect(await address.inputValue()).toBe('http://www.bob.lab/');

    // "Type a URL", the whole story: from cold caches, every phase is marked across the ladder diagram.
    await panel.locator('[data-action=story]').click();
    await expect.poll(() => panel.locator('.page-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('200');
    const ladder = page.locator('.flow-ladder');
    await ladder.scrollIntoViewIfNeeded();
    await expect.poll(() => ladder.locator('g.phase[data-phase=render]').count(), { timeout: 15_000 }).toBe(1);
    const marked = await ladder.locator('g.phase').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-phase')));
    expect(marked).toEqual(expect.arrayContaining(['response', 'close', 'render']));
    await ladder.screenshot({ path: join(ARTIFACTS, 'browser-story-ladder-en-light.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);
});
