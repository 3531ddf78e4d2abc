/**
 * The socket panels in a real browser, solo mode: a console connection from
 * alice to bob's chat port carries a line each way, both sides close, and the
 * connections table shows the states each side went through; a 1 MB bulk test
 * comes back byte-exact. Screenshots in both themes and both languages.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, hasChromium, useApp } from './browser';

const ALICE_TRAIL = 'SYN_SENT → ESTABLISHED → FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT';
const BOB_TRAIL = 'LISTEN → SYN_RCVD → ESTABLISHED → CLOSE_WAIT → LAST_ACK → CLOSED';

describe.skipIf(!hasChromium)('socket panels in Chromium', () => {
  const app = useApp();

  async function openSolo(query: string, viewport = { width: 1366, height: 768 }): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}?solo&layout=all&${query}`);
    await expect.poll(() => page.locator('.connect-form button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
    return { page, errors };
  }

  for (const [lang, theme, text] of [
    ['en', 'light', { line: 'Line to send', accepted: 'bob accepted a connection from 10.0.0.1:', fin: 'peer closed its side (FIN)', bulk: '1,048,576 bytes echoed back byte-exact' }],
    ['zh-CN', 'dark', { line: '要发送的一行', accepted: 'bob 接受了来自 10.0.0.1:', fin: '对方关闭了它那一侧（FIN）', bulk: '1,048,576 字节全部回显，逐字节一致' }],
  ] as const) {
    it(`chats from alice to bob, closes both sides, and runs a 1 MB echo test (${lang}, ${theme})`, async () => {
      const { page, errors } = await openSolo(`lang=${lang}&theme=${theme}`);
      const consoleCard = page.locator('.console');
      const tab = (host: string) => consoleCard.locator(`.tab[data-host=${host}]`);
      const transcript = consoleCard.locator('.transcript');
      const line = consoleCard.getByRole('textbox', { name: text.line });

      // alice connects to bob:23 (the defaults); bob's accepted socket appears on its own.
      await consoleCard.locator('.connect-form button[type=submit]').click();
      await expect.poll(() => tab('alice').textContent(), { timeout: 10_000 }).toContain('ESTABLISHED');
      await expect.poll(() => tab('bob').getAttribute('data-origin')).toBe('accept');
      expect(await tab('alice').getAttribute('aria-selected')).toBe('true');

      // A line from alice, typed and sent with Enter...
      await line.fill('hello, bob');
      await line.press('Enter');
      await expect.poll(() => transcript.locator('.line.sent').last().textContent()).toContain('hello, bob');
      await expect.poll(() => tab('bob').locator('.unread').count()).toBe(1);

      // ...arrives in bob's accepted socket; bob answers with a tab, Chinese and an escape character.
      await tab('bob').click();
      await expect.poll(() => transcript.textContent()).toContain(text.accepted);
      await expect.poll(() => transcript.locator('.line.received').last().textContent()).toContain('hello, bob');
      await line.fill('hi alice\t你好\u001b');
      await line.press('Enter');
      await tab('alice').click();
      await expect.poll(() => transcript.locator('.line.received').last().textContent()).toContain('hi alice\\t你好\\x1b');
      expect(await transcript.locator('.line.received .esc').allTextContents()).toEqual(['\\t', '\\x1b']);

      // The four-way close: alice closes first (FIN_WAIT_2 once bob ACKs), then bob.
      await consoleCard.locator('.actions button').nth(1).click();
      await expect.poll(() => tab('alice').textContent()).toContain('FIN_WAIT_2');
      // The socket tabs work from the keyboard too.
      await tab('alice').press('ArrowRight');
      expect(await tab('bob').getAttribute('aria-selected')).toBe('true');
      expect(await tab('bob').evaluate((el) => el === document.activeElement)).toBe(true);
      await expect.poll(() => transcript.textContent()).toContain(text.fin);
      await consoleCard.locator('.actions button').nth(1).click();
      await expect.poll(() => tab('bob').textContent()).toContain('CLOSED');
      await expect.poll(() => tab('alice').textContent()).toContain('TIME_WAIT');

      // The connections table: alice waits out 2 MSL in TIME_WAIT; bob's side is closed and kept for reading.
      const table = page.locator('.connections');
      const aliceRow = table.locator('tr[data-host=alice]', { hasText: '10.0.0.2:23' });
      const bobRow = table.locator('tr[data-host=bob]', { hasText: '10.0.0.2:23' });
      await expect.poll(() => aliceRow.getAttribute('data-state')).toBe('TIME_WAIT');
      expect(await aliceRow.locator('.trail').textContent()).toBe(ALICE_TRAIL);
      await expect.poll(() => bobRow.getAttribute('data-state')).toBe('CLOSED');
      expect(await bobRow.locator('.trail').textContent()).toBe(BOB_TRAIL);
      expect(await bobRow.evaluate((tr) => tr.classList.contains('closed'))).toBe(true);
      // Once the table is on screen the poll fills in the numbers, among them the 2 MSL timer counting down.
      await table.scrollIntoViewIfNeeded();
      await expect.poll(() => aliceRow.locator('.timer').textContent(), { timeout: 5_000 }).toMatch(/2\s?MSL \d+(\.\d)? s/);

      await page.locator('.sockets').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `sockets-console-${lang}-${theme}.png`) });

      // A 1 MB bulk test against bob's echo service (the defaults), verified byte by byte.
      const bulk = page.locator('.bulk');
      await bulk.locator('button[type=submit]').click();
      await expect.poll(() => bulk.locator('.bulk-result').textContent(), { timeout: 30_000 }).toContain(text.bulk);
      expect(await bulk.locator('.bulk-result').getAttribute('data-ok')).toBe('true');
      // Its connection shows up in the table too, from alice to port 7.
      await expect.poll(() => table.locator('tr[data-host=alice]', { hasText: '10.0.0.2:7' }).count()).toBeGreaterThan(0);

      await page.locator('.connections').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `sockets-table-${lang}-${theme}.png`) });
      await bulk.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `sockets-bulk-${lang}-${theme}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);
  }

  it('refuses a connection to a port nobody listens on, and fits a phone screen', async () => {
    const { page, errors } = await openSolo('lang=en&theme=light', { width: 390, height: 844 });
    const consoleCard = page.locator('.console');
    await consoleCard.locator('.connect-form input.port').fill('5555');
    await consoleCard.locator('.connect-form button[type=submit]').click();
    await expect.poll(() => consoleCard.locator('.transcript').textContent(), { timeout: 10_000 }).toContain('connection refused');
    const row = page.locator('.connections tr[data-host=alice]', { hasText: '10.0.0.2:5555' });
    await expect.poll(() => row.getAttribute('data-state')).toBe('CLOSED');
    expect(await row.locator('.trail').textContent()).toBe('SYN_SENT → CLOSED');
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.locator('.connections').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'sockets-phone-en-light.png'), fullPage: false });
    await consoleCard.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'sockets-phone-console-en-light.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
