/**
 * The ladder, state machine and windows panels in a real browser, solo mode:
 * alice connects to bob's chat port; the ladder shows SYN, SYN+ACK, ACK with
 * the right numbers and the state machine ESTABLISHED; a line of data moves the
 * windows; alice closes first and waits in TIME_WAIT with a countdown, then
 * CLOSED; a frame the conditioner dropped ends in an X; clicking an arrow
 * selects its frame. Screenshots of each panel in both themes and languages.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('ladder, state machine and windows in Chromium', () => {
  const app = useApp();

  async function openSolo(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}?solo&layout=all&${query}`);
    await expect.poll(() => page.locator('.connect-form button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
    return { page, errors };
  }

  async function shoot(page: Page, selector: string, name: string): Promise<void> {
    const el = page.locator(selector).first();
    await el.scrollIntoViewIfNeeded();
    await el.screenshot({ path: join(ARTIFACTS, name) });
  }

  const tcpLabels = (page: Page) => page.locator('.flow-ladder g.arrow[data-proto=tcp]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-label') ?? ''));

  it('handshake, data, active close through TIME_WAIT to CLOSED (en, light)', async () => {
    const { page, errors } = await openSolo('lang=en&theme=light');
    const consoleCard = page.locator('.console');
    await consoleCard.locator('.connect-form button[type=submit]').click();
    await expect.poll(() => consoleCard.locator('.tab[data-host=alice]').textContent(), { timeout: 10_000 }).toContain('ESTABLISHED');

    // The ladder: the three segments of the handshake, relative numbers, sender to receiver.
    await page.locator('.flow-ladder').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await tcpLabels(page)).length).toBeGreaterThanOrEqual(3);
    const [syn, synAck, ack] = await tcpLabels(page);
    expect(syn).toMatch(/^SYN seq=0 win=\d+ len=0$/);
    expect(synAck).toMatch(/^SYN, ACK seq=0 ack=1 win=\d+ len=0$/);
    expect(ack).toMatch(/^ACK seq=1 ack=1 win=\d+ len=0$/);
    // Absolute numbers on request: the SYN+ACK acknowledges the SYN's sequence number plus one.
    await page.locator('.flow-ladder .card-head button[aria-pressed]').click();
    const [absSyn, absSynAck, absAck] = await tcpLabels(page);
    const num = (label: string | undefined, field: 'seq' | 'ack') => Number(new RegExp(`${field}=(\\d+)`).exec(label ?? '')?.[1]);
    const isn = num(absSyn, 'seq');
    const serverIsn = num(absSynAck, 'seq');
    expect(isn).toBeGreaterThan(0);
    expect(serverIsn).toBeGreaterThan(0);
    expect(num(absSynAck, 'ack')).toBe((isn + 1) % 2 ** 32);
    // The third segment: alice's next sequence number, acknowledging bob's ISN plus one.
    expect(num(absAck, 'seq')).toBe((isn + 1) % 2 ** 32);
    expect(num(absAck, 'ack')).toBe((serverIsn + 1) % 2 ** 32);
    await page.locator('.flow-ladder .card-head button[aria-pressed]').click();
    // States are written beside each host.
    expect(await page.locator('.flow-ladder g.state[data-host=alice] text').allTextContents()).toEqual(expect.arrayContaining(['SYN_SENT', 'ESTABLISHED']));
    expect(await page.locator('.flow-ladder g.state[data-host=bob] text').allTextContents()).toEqual(expect.arrayContaining(['SYN_RCVD', 'ESTABLISHED']));

    // Pick alice's side of the connection in the connections table: the state machine and windows follow it.
    const aliceRow = page.locator('.connections tr[data-host=alice]', { hasText: '10.0.0.2:23' });
    await aliceRow.click();
    const fsm = page.locator('.fsm');
    await expect.poll(() => fsm.locator('[data-current-state]').textContent()).toBe('ESTABLISHED');
    expect(await fsm.locator('g.node.on').getAttribute('data-node')).toBe('ESTABLISHED');
    expect(await fsm.locator('[data-cause]').textContent()).toBe('rcv SYN,ACK / snd ACK');
    expect(await fsm.locator('g.edge[data-edge="SYN_SENT>ESTABLISHED"] .count').textContent()).toBe('×1');
    // Hovering a state explains it.
    await fsm.locator('g.node[data-node=TIME_WAIT]').hover();
    await expect.poll(() => fsm.locator('.explain h4').textContent()).toBe('TIME_WAIT');

    // A line of data: the windows panel shows it sent and acknowledged.
    await consoleCard.getByRole('textbox', { name: 'Line to send' }).fill('hello, bob');
    await consoleCard.getByRole('textbox', { name: 'Line to send' }).press('Enter');
    const windows = page.locator('.windows');
    await expect.poll(() => windows.locator('[data-mark="SND.UNA"] .text').textContent(), { timeout: 10_000 }).toMatch(/SND\.UNA 11$/);
    expect(await windows.locator('[data-num=rto]').textContent()).toMatch(/\d/);
    await shoot(page, '.windows', 'flow-windows-en-light.png');

    // alice closes first and waits 2 MSL in TIME_WAIT; bob closes when it reads the FIN.
    await consoleCard.locator('.tab[data-host=alice]').click();
    await consoleCard.locator('.actions button').nth(1).click();
    await expect.poll(() => consoleCard.locator('.tab[data-host=alice]').textContent()).toContain('FIN_WAIT_2');
    await consoleCard.locator('.tab[data-host=bob]').click();
    await consoleCard.locator('.actions button').nth(1).click();
    await expect.poll(() => fsm.locator('[data-current-state]').textContent(), { timeout: 10_000 }).toBe('TIME_WAIT');
    await expect.poll(() => fsm.locator('[data-countdown]').textContent()).toMatch(/^2 MSL: \d+(\.\d)? s left$/);
    // A countdown: it goes down as stack time passes.
    const left = async () => Number(/([\d.]+) s left/.exec((await fsm.locator('[data-countdown]').textContent()) ?? '')?.[1]);
    const before = await left();
    await expect.poll(left, { timeout: 10_000 }).toBeLessThanOrEqual(before - 1);
    expect(await fsm.locator('g.node.on').getAttribute('data-node')).toBe('TIME_WAIT');
    // The ladder brackets the running 2 MSL timer on alice's side.
    await page.locator('.flow-ladder').scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.flow-ladder g.timer.running[data-timer=time-wait][data-host=alice]').count()).toBe(1);
    await shoot(page, '.flow-ladder', 'flow-ladder-en-light.png');
    await shoot(page, '.fsm', 'flow-fsm-en-light.png');

    // 2 MSL later the connection is CLOSED, by the timer. Rather than wait 60 s: pause, and Step, which jumps
    // the stack's clock straight to the next event (one of them is the 2 MSL timer firing).
    await page.getByRole('button', { name: 'Pause' }).click();
    const step = page.getByRole('button', { name: 'Step' });
    for (let i = 0; i < 40 && (await fsm.locator('[data-current-state]').textContent()) !== 'CLOSED'; i++) await step.click();
    await expect.poll(() => fsm.locator('[data-current-state]').textContent(), { timeout: 10_000 }).toBe('CLOSED');
    expect(await fsm.locator('g.node.on').getAttribute('data-node')).toBe('CLOSED_END');
    expect(await fsm.locator('[data-cause]').textContent()).toBe('2 MSL timeout');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  for (const [lang, theme] of [
    ['zh-CN', 'dark'],
    ['en', 'dark'],
    ['zh-CN', 'light'],
  ] as const) {
    it(`a dropped frame ends in an X, and clicking an arrow selects its frame (${lang}, ${theme})`, async () => {
      const { page, errors } = await openSolo(`lang=${lang}&theme=${theme}`);
      // Hold bob's next SYN+ACK in the conditioner and drop it by hand.
      const bob = page.locator('.direction[data-host=bob]');
      await bob.locator('form.hold select').selectOption('tcp-synack');
      await bob.locator('form.hold button[type=submit]').click();
      const consoleCard = page.locator('.console');
      await consoleCard.locator('.connect-form button[type=submit]').click();
      const held = bob.locator('.held-list li');
      await expect.poll(() => held.count(), { timeout: 10_000 }).toBe(1);
      await held.locator('button.bad').click();
      // Both sides time out (1 s) and send again; the handshake completes.
      await expect.poll(() => consoleCard.locator('.tab[data-host=alice]').textContent(), { timeout: 15_000 }).toContain('ESTABLISHED');
      await page.locator('.flow-ladder').scrollIntoViewIfNeeded();
      const killed = page.locator('.flow-ladder g.arrow[data-proto=tcp][data-fate=lost]');
      await expect.poll(() => killed.count()).toBe(1);
      expect(await killed.getAttribute('data-label')).toMatch(/^SYN, ACK seq=0 ack=1 /);
      expect(await killed.locator('path.x').count()).toBe(1);
      expect(await killed.locator('polygon.tip').count()).toBe(0);
      // The same frame in the packet list: clicking its arrow selects its row, coloured and marked as lost.
      await killed.locator('line.hit').click({ force: true });
      const listed = page.locator('.packets .row[aria-selected=true]');
      await expect.poll(() => listed.count()).toBe(1);
      expect(await listed.getAttribute('class')).toMatch(/\bc-lost\b/);
      expect(await listed.locator('.info-text').textContent()).toMatch(/^23 → \d+ \[SYN, ACK\] Seq=\d+ Ack=\d+ /);
      expect(await listed.locator('.fates').count()).toBe(1);
      // A SYN+ACK sent again arrives: an arrowhead, no X (the ladder redraws at most ~30 times a second: wait for it).
      const synAck = page.locator('.flow-ladder g.arrow[data-proto=tcp][data-fate=arrived][data-label^="SYN, ACK seq=0 ack=1"]').first();
      await expect.poll(() => synAck.locator('polygon.tip').count()).toBe(1);
      expect(await synAck.locator('path.x').count()).toBe(0);

      // Clicking an arrow selects that frame: it is highlighted and described below the diagram.
      await synAck.locator('line.hit').click({ force: true });
      await expect.poll(() => synAck.evaluate((g) => g.classList.contains('sel'))).toBe(true);
      expect(await page.locator('#ladder-selected').textContent()).toMatch(/^bob → alice: SYN, ACK seq=0 ack=1/);
      // ...and in the packet list and its detail.
      const row = page.locator('.packets .row[aria-selected=true]');
      await expect.poll(() => row.locator('.info-text').textContent()).toMatch(/^23 → \d+ \[SYN, ACK\]/);
      expect(await row.getAttribute('class')).not.toMatch(/\bc-lost\b/);
      const no = await row.getAttribute('data-no');
      await expect.poll(() => page.locator('.packets .detail .frame-line').textContent()).toMatch(new RegExp(`^\\D*${no}\\D`));
      expect(await page.locator('.packets .detail [data-abbrev="tcp"]').count()).toBe(1);
      // ...and the keyboard moves the selection to the frame before it.
      await page.locator('.flow-ladder .viewport').focus();
      await page.keyboard.press('ArrowUp');
      await expect.poll(() => synAck.evaluate((g) => g.classList.contains('sel'))).toBe(false);
      expect(await page.locator('.flow-ladder g.arrow.sel').count()).toBe(1);
      expect(await page.locator('#ladder-selected').textContent()).not.toMatch(/^bob → alice: SYN, ACK seq=0 ack=1 win=\d+ len=0$/);

      await shoot(page, '.flow-ladder', `flow-ladder-${lang}-${theme}.png`);
      await page.locator('.connections tr[data-host=alice]', { hasText: '10.0.0.2:23' }).click();
      await shoot(page, '.fsm', `flow-fsm-${lang}-${theme}.png`);
      await shoot(page, '.windows', `flow-windows-${lang}-${theme}.png`);
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);
  }
});

