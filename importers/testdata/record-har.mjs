// record-har.mjs records demo-shop.har: a real browser (Debian's chromium,
// driven by playwright-core) logs in to the demo target's web shop, waits
// for the account page's script to fill the cart, and places an order.
// It is run by hand, never by the tests, which read the HAR it wrote:
//
//   go run ./cmd/perfcase target &            # the demo target on 127.0.0.1:8080
//   npm install playwright-core               # in any scratch folder
//   NODE_PATH=$PWD/node_modules node importers/testdata/record-har.mjs \
//       http://127.0.0.1:8080 importers/testdata/demo-shop.har
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [base = 'http://127.0.0.1:8080', out = 'demo-shop.har'] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// content: 'embed' keeps the response bodies in the HAR: the importer
// finds the tokens to correlate in them.
const context = await browser.newContext({ recordHar: { path: out, content: 'embed' } });
const page = await context.newPage();

await page.goto(base + '/web/');
await page.waitForTimeout(800); // the user reads the page
await page.fill('input[name=user]', 'ann');
await page.fill('input[name=password]', 'secret');
await Promise.all([page.waitForURL('**/web/account'), page.click('button[type=submit]')]);
await page.waitForSelector('#cart[data-ready]');
await page.waitForTimeout(600); // and looks at the cart
await Promise.all([page.waitForURL('**/web/orders/**'), page.click('button[type=submit]')]);
await page.waitForLoadState('load');

await context.close(); // writes the HAR
await browser.close();
