// Uses the dashboard of a running `svcgen up shop` in the machine's Chromium as a person would:
// waits for the four services to show healthy, creates a customer and an item and places an
// order through each service's API form, follows the order's request id to its trace, opens
// the trace's waterfall, and restarts inventory from the page. Prints what it saw, as JSON;
// with `screenshots` set, saves the main pages there as PNG files.
//
// node dashboard.mjs '{"url": URL, "screenshots": DIR or null}'

import { chromium } from 'playwright-core';
import { join } from 'node:path';

const config = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const seen = {};
const shot = async (page, name) => {
  if (config.screenshots) {
    await page.screenshot({ path: join(config.screenshots, `${name}.png`), fullPage: true });
  }
};

/** Fills the form of `method path` on the service's API page and sends it; the answer shown. */
async function send(page, service, method, path, { params = {}, body, credential } = {}) {
  await page.goto(`${config.url}/services/${service}`);
  const section = page.locator(`section.operation[data-method="${method}"][data-path="${path}"]`);
  for (const [name, value] of Object.entries(params)) {
    await section.locator(`input[data-name="${name}"]`).fill(value);
  }
  if (body !== undefined) {
    await section.locator('textarea[data-body]').fill(JSON.stringify(body));
  }
  if (credential) {
    await section.locator('select[data-credential]').selectOption(credential);
  }
  await section.locator('button[type="submit"]').click();
  const answer = section.locator('.answer');
  await answer.locator('pre').waitFor();
  const status = Number(await answer.locator('.status').textContent().then((t) => t.split(' ')[0]));
  const text = await answer.locator('pre').textContent();
  const requestId = await answer.locator('a.request-id').textContent().catch(() => null);
  return { status, body: JSON.parse(text), requestId, section, answer };
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20000);

  // The overview: every service healthy, in the table and in the graph.
  await page.goto(config.url);
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#services [data-field="health"]')];
    return cells.length === 4 && cells.every((c) => c.classList.contains('healthy'));
  });
  seen.services = await page.$$eval('#services tbody tr', (rows) =>
    rows.map((r) => ({
      name: r.dataset.service,
      health: r.querySelector('[data-field="health"]').textContent,
    })));
  seen.graph = await page.$$eval('svg.graph g.node', (nodes) =>
    nodes.map((n) => ({ name: n.dataset.service, healthy: n.classList.contains('healthy') })));

  // A customer, an item, and an order of it, each through its service's form, as staff.
  const user = await send(page, 'users', 'POST', '/users', {
    body: { name: 'Ada', email: `ada-${Date.now()}@example.org` },
    credential: 'staff',
  });
  const item = await send(page, 'inventory', 'POST', '/items', {
    body: { sku: 'TEA-0001', name: 'Tea', price_cents: 450, stock: 5, tags: ['tea'] },
    credential: 'staff',
  });
  const order = await send(page, 'orders', 'POST', '/orders', {
    body: { user_id: user.body.id, lines: [{ sku: 'TEA-0001', quantity: 2 }] },
    credential: 'staff',
  });
  seen.created = { user: user.status, item: item.status, order: order.status };
  seen.order = { requestId: order.requestId, total: order.body.total_cents };
  await shot(page, 'dashboard-api');

  // The order's request id leads to its trace: searched until the services have sent it.
  await order.answer.locator('a.request-id').click();
  await page.waitForURL(/\/traces\?request=/);
  // Each service sends its spans in its own batches: until all four have.
  const everyService = ['orders', 'users', 'inventory', 'notification'];
  for (let i = 0; i < 40; i++) {
    const row = page.locator('#traces tbody tr').first();
    if ((await row.count()) > 0) {
      const services = await row.locator('td').last().textContent();
      if (everyService.every((s) => services.includes(s))) break;
    }
    await page.waitForTimeout(500);
    await page.reload();
  }
  seen.trace = await page.$$eval('#traces tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  await shot(page, 'dashboard-traces');
  await page.locator('#traces tbody tr a').first().click();
  await page.locator('.waterfall').waitFor();
  seen.waterfall = await page.$$eval('.span-row', (rows) =>
    rows.map((r) => ({
      kind: r.querySelector('.kind').textContent,
      service: r.querySelector('.service').textContent,
      name: r.querySelector('.span-name').textContent.trim(),
      depth: Number(r.querySelector('.span-name').dataset.depth),
    })));
  await shot(page, 'dashboard-trace');

  // The logs of that request, filtered by its id.
  await page.goto(`${config.url}/logs?request=${encodeURIComponent(order.requestId)}`);
  seen.logs = await page.$$eval('#logs tbody tr', (rows) =>
    rows.map((r) => r.querySelectorAll('td')[0].textContent));
  await shot(page, 'dashboard-logs');

  // Restarting inventory from the page: it is healthy again, once restarted, while the others
  // kept their pids.
  await page.goto(config.url);
  const pids = await page.$$eval('#services tbody tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.service, r.querySelector('[data-field="pid"]').textContent])));
  await page.locator('button.restart[data-service="inventory"]').click();
  await page.waitForFunction(() => {
    const row = document.querySelector('#services tr[data-service="inventory"]');
    return row.querySelector('[data-field="restarts"]').textContent === '1'
      && row.querySelector('[data-field="health"]').classList.contains('healthy');
  }, null, { timeout: 120000 });
  const after = await page.$$eval('#services tbody tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.service, r.querySelector('[data-field="pid"]').textContent])));
  seen.restart = { before: pids, after };
  await shot(page, 'dashboard-overview');

  // And the restarted inventory answers the form again, and orders, whose client held
  // connections to the inventory that was stopped, reaches the new one.
  const again = await send(page, 'inventory', 'GET', '/items/{sku}', {
    params: { sku: 'TEA-0001' },
    credential: 'staff',
  });
  const second = await send(page, 'orders', 'POST', '/orders', {
    body: { user_id: user.body.id, lines: [{ sku: 'TEA-0001', quantity: 1 }] },
    credential: 'staff',
  });
  seen.after_restart = { status: again.status, stock: again.body.stock, order: second.status };
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
