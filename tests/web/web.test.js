/*
 * The web dashboard driven through headless Chromium (run by test_web.sh, which
 * starts the server and helloworld). Every step fails the run on a console error,
 * an uncaught page error, or a request to anything but this machine's loopback.
 * Environment: WEB_URL, API_URL, HELLO_ADDR, SHOTS (screenshot folder), CHROMIUM.
 */
'use strict';
const { chromium } = require('playwright-core');
const assert = require('node:assert/strict');
const path = require('node:path');

const WEB = process.env.WEB_URL;
const API = process.env.API_URL;
const SHOTS = process.env.SHOTS;
const TIMEOUT = 10000;

const problems = [];
let expectedHttpError = null;   /* a console line the current step provokes on purpose */

function isLoopback(url) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'about:' || u.protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

async function text(page, selector) {
  return (await page.locator(selector).innerText({ timeout: TIMEOUT })).trim();
}

const steps = [];
function step(name, fn) { steps.push({ name, fn }); }

step('a page loaded without a token redirects to login', async (page) => {
  await page.goto(WEB + '/service/helloworld');
  await page.waitForURL(WEB + '/login?next=/service/helloworld');
  await page.locator('#username').waitFor();
  await shot(page, '01-login');
});

step('a wrong password shows the error', async (page, context) => {
  /* the gateway answers 400, which Chromium reports on the console */
  expectedHttpError = /status of 400/;
  await page.fill('#username', 'admin');
  await page.fill('#password', 'not-the-password');
  await page.click('#login');
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.match(await text(page, '#login-error'), /Secret not correct/);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal((await context.cookies()).filter((c) => c.name === 'micro-token').length, 0);
  await shot(page, '02-login-error');
  expectedHttpError = null;
});

step('logging in stores the token and goes back to the page asked for', async (page, context) => {
  await page.fill('#password', 'micro');
  await page.click('#login');
  await page.waitForURL(WEB + '/service/helloworld');
  const cookie = (await context.cookies()).find((c) => c.name === 'micro-token');
  assert.ok(cookie && cookie.value.length > 20, 'micro-token cookie set');
});

step('the services list filters as you type', async (page) => {
  await page.goto(WEB + '/');
  await page.locator('#services li[data-name="helloworld"]').waitFor();
  const all = await page.locator('#services li').count();
  assert.ok(all >= 10, `core services and helloworld listed (${all})`);
  await page.locator('#filter').pressSequentially('hello');
  assert.equal(await page.locator('#services li:not(.hidden)').count(), 1);
  assert.equal(await text(page, '#services li:not(.hidden)'), 'helloworld');
  assert.equal(await text(page, '#count'), `1 of ${all} services`);
  await shot(page, '03-services');
  await page.press('#filter', 'Enter');
  await page.waitForURL(WEB + '/service/helloworld');
});

step('the service page shows endpoints, nodes and schemas', async (page) => {
  await page.locator('#endpoints a', { hasText: 'Helloworld.Call' }).waitFor();
  assert.match(await text(page, '#endpoints'), /Helloworld\.Stream\s*server stream/);
  assert.match(await text(page, '#nodes'), new RegExp(process.env.HELLO_ADDR.replace(/\./g, '\\.')));
  assert.equal(await page.locator('details summary').count(), 2);
  await shot(page, '04-service');
});

step('the generated form calls helloworld through the gateway', async (page) => {
  await page.click('#endpoints a:text-is("Helloworld.Call")');
  await page.waitForURL(WEB + '/service/helloworld/Helloworld.Call');
  await page.fill('input[name="name"]', 'Alice');
  assert.equal(await text(page, '#micro-cmd'), `micro call helloworld Helloworld.Call '{"name":"Alice"}'`);
  assert.equal(await text(page, '#curl-cmd'),
    `curl -H 'Content-Type: application/json' -H "Authorization: Bearer $MICRO_TOKEN" -d '{"name":"Alice"}' ${API}/helloworld/Helloworld/Call`);
  await page.click('#call');
  await page.locator('#response dd', { hasText: 'Hello Alice' }).waitFor();
  assert.equal(await text(page, '#response dt'), 'msg');
  await shot(page, '05-endpoint-fields');
  await page.click('#output-tabs [data-tab="JSON"]');
  assert.deepEqual(JSON.parse(await text(page, '#response pre')), { msg: 'Hello Alice' });
  await shot(page, '06-endpoint-json');
});

step('the raw JSON tab edits the same request', async (page) => {
  await page.click('#input-tabs [data-tab="JSON"]');
  assert.deepEqual(JSON.parse(await page.inputValue('#raw')), { name: 'Alice' });
  await page.fill('#raw', '{"name": "Carol"}');
  await page.click('#call');
  await page.locator('#response pre', { hasText: 'Hello Carol' }).waitFor();
  await page.fill('#raw', '{"name": ');
  assert.ok(await page.locator('#call').isDisabled(), 'invalid JSON disables the call');
  await page.fill('#raw', '{"name": "Dave"}');
  await page.click('#input-tabs [data-tab="Form"]');
  assert.equal(await page.inputValue('input[name="name"]'), 'Dave');
});

step('a shareable URL pre-fills the endpoint form', async (page) => {
  const href = await page.getAttribute('#share', 'href');
  await page.goto(WEB + href);
  await page.locator('#call').waitFor();
  assert.equal(await page.inputValue('input[name="name"]'), 'Dave');
  /* upstream's shape too: key=value, and a method name in any case */
  await page.goto(WEB + '/service/helloworld/call?name=Bob');
  await page.locator('#call').waitFor();
  assert.equal(await page.inputValue('input[name="name"]'), 'Bob');
  assert.equal(new URL(page.url()).pathname, '/service/helloworld/Helloworld.Call');
});

step('a server stream is rendered as its messages arrive', async (page) => {
  await page.goto(WEB + '/service/helloworld/Helloworld.Stream');
  await page.fill('input[name="count"]', 'three');
  assert.match(await text(page, '.field[data-path="count"] .problem'), /not a valid int64/);
  assert.ok(await page.locator('#call').isDisabled(), 'an invalid number disables the call');
  await page.fill('input[name="count"]', '3');
  assert.equal(await text(page, '#micro-cmd'), `micro stream helloworld Helloworld.Stream '{"count":"3"}'`);
  await page.click('#call');
  await page.locator('#call-status', { hasText: 'done, 3 messages' }).waitFor();
  const messages = await page.locator('#response .message').allInnerTexts();
  assert.deepEqual(messages.map((m) => m.replace(/\s+/g, ' ').trim()),
    ['msg Hello 0', 'msg Hello 1', 'msg Hello 2']);
  await shot(page, '07-stream');
});

step('stream messages appear while the stream is open, and Stop ends it', async (page, context) => {
  await page.goto(WEB + '/service/registry/Registry.Watch');
  await page.click('#call');
  await page.locator('#call-status', { hasText: 'streaming' }).waitFor();
  await page.waitForTimeout(200);   /* the watch is registered before the change below */
  const token = (await context.cookies()).find((c) => c.name === 'micro-token').value;
  const rsp = await fetch(API + '/registry/Registry/Register', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify({ name: 'webwatch', nodes: [{ id: 'webwatch-1', address: '127.0.0.1:9' }] })
  });
  assert.equal(rsp.status, 200);
  await page.locator('#response .message', { hasText: 'webwatch' }).waitFor();
  assert.match(await text(page, '#call-status'), /^streaming/);
  await page.click('#stop');
  await page.locator('#call-status', { hasText: 'stopped' }).waitFor();
  assert.ok(await page.locator('#call').isEnabled());
});

step('nested fields of a core service: Config.Set then Config.Get', async (page) => {
  await page.goto(WEB + '/service/config/Config.Set');
  await page.locator('fieldset[data-path="value"] input[name="value.data"]').waitFor();
  assert.equal(await page.getAttribute('input[name="options.secret"]', 'type'), 'checkbox');
  await page.fill('input[name="path"]', 'web.colour');
  await page.fill('input[name="value.data"]', '"blue"');
  assert.equal(await text(page, '#micro-cmd'),
    `micro call config Config.Set '{"path":"web.colour","value":{"data":"\\"blue\\""}}'`);
  await shot(page, '08-nested-form');
  await page.click('#call');
  await page.locator('#call-status', { hasText: 'ok' }).waitFor();
  await page.goto(WEB + '/service/config/Config.Get?path=web.colour');
  await page.locator('#call').waitFor();
  await page.click('#call');
  await page.locator('#response .value', { hasText: '"blue"' }).waitFor();
  await page.click('#output-tabs [data-tab="JSON"]');
  assert.deepEqual(JSON.parse(await text(page, '#response pre')),
    { value: { data: '"blue"', format: 'json' } });
});

step('repeated and map fields add and remove rows', async (page) => {
  await page.goto(WEB + '/service/auth/Auth.Generate');
  await page.locator('button.add[data-path="scopes"]').waitFor();
  await page.click('button.add[data-path="scopes"]');
  await page.click('button.add[data-path="scopes"]');
  await page.fill('input[name="scopes[0]"]', 'first');
  await page.fill('input[name="scopes[1]"]', 'second');
  await page.click('.field[data-path="scopes"] .row:first-child button.remove');
  await page.click('button.add[data-path="metadata"]');
  await page.fill('input[name="metadata.key"]', 'team');
  await page.fill('input[name="metadata.value"]', 'web');
  await page.fill('input[name="id"]', 'robot');
  await page.click('#input-tabs [data-tab="JSON"]');
  assert.deepEqual(JSON.parse(await page.inputValue('#raw')),
    { id: 'robot', metadata: { team: 'web' }, scopes: ['second'] });
});

step('the runtime page lists the runtime services', async (page) => {
  await page.goto(WEB + '/runtime');
  await page.locator('#runtime-empty, #runtime tr').first().waitFor();
  await shot(page, '09-runtime');
});

step('following logs of an unknown service shows the error in-band', async (page) => {
  await page.goto(WEB + '/runtime/nosuchservice');
  await page.locator('.error', { hasText: 'not found' }).waitFor();
  assert.equal(await text(page, '#logs-status'), 'the log ended');
});

step('logging out clears the token', async (page) => {
  await page.goto(WEB + '/');
  await page.click('#logout');
  await page.waitForURL(WEB + '/login');
  await page.goto(WEB + '/runtime');
  await page.waitForURL(WEB + '/login?next=/runtime');
});

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    problems.push('request outside the machine: ' + url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expectedHttpError && expectedHttpError.test(m.text())) return;
    problems.push('console error: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));

  let passed = 0, failed = 0;
  for (const s of steps) {
    try {
      await s.fn(page, context);
      if (problems.length) throw new Error(problems.splice(0).join('; '));
      console.log('ok - ' + s.name);
      passed++;
    } catch (e) {
      console.log('not ok - ' + s.name + '\n  ' + String(e.stack || e).split('\n').slice(0, 6).join('\n  '));
      await shot(page, 'failed-' + (passed + failed + 1)).catch(() => {});
      failed++;
      break;   /* later steps build on this one */
    }
  }
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || passed !== steps.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
