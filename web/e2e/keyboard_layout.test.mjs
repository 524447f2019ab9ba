// Scenario (e): the login form works with the keyboard alone; and the dashboard's layout holds
// at desktop (1280 px) and tablet (768 px) widths, with screenshots for a human to look at.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_USERS, DEMO_PASSWORD, DESKTOP, TABLET, heading, launchBrowser, openPage, screenshotPath, signIn } from './helpers.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const focusedName = (page) => page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.tagName);

test('login with Tab and Enter only', { timeout: 60_000 }, async () => {
  const page = await openPage(browser);
  await heading(page, 'Sign in').waitFor();
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));

  let presses = 0;
  while ((await focusedName(page)) !== 'username') {
    assert.ok(++presses <= 5, 'Tab never reached the username field');
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type(DEMO_USERS.coder);
  await page.keyboard.press('Tab');
  assert.equal(await focusedName(page), 'password');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await heading(page, 'Dashboard').waitFor();

  // Once in, the first Tab stop is the skip link, and it moves focus to the main content.
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  page.assertNoPageErrors();
});

test('dashboard layout at 1280 px and 768 px', { timeout: 60_000 }, async () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]]) {
    const page = await openPage(browser, viewport);
    await signIn(page, DEMO_USERS.admin);
    await page.locator('li.card').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: page scrolls sideways by ${overflow} px`);

    const nav = page.getByRole('navigation', { name: 'Main' });
    const menu = page.getByRole('button', { name: 'Menu' });
    if (viewport === TABLET) {
      assert.ok(await menu.isVisible(), 'tablet: the Menu button is hidden');
      assert.ok(!(await nav.isVisible()), 'tablet: the navigation is open before Menu is pressed');
      await page.screenshot({ path: screenshotPath(`dashboard-${name}.png`), fullPage: true });
      await menu.click();
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await nav.getByRole('link', { name: 'Admin', exact: true }).waitFor();
      await page.screenshot({ path: screenshotPath(`dashboard-${name}-menu.png`), fullPage: true });
      await nav.getByRole('link', { name: 'Admin', exact: true }).click();
      await heading(page, 'Admin').waitFor();
      assert.ok(!(await nav.isVisible()), 'tablet: the menu stays open after navigating');
    } else {
      assert.ok(!(await menu.isVisible()), 'desktop: the Menu button is shown');
      assert.ok(await nav.isVisible(), 'desktop: the navigation is hidden');
      await page.screenshot({ path: screenshotPath(`dashboard-${name}.png`), fullPage: true });
    }
    page.assertNoPageErrors();
    await page.context().close();
  }
});
