// The web app in real headless Chromium (Debian's /usr/bin/chromium via playwright-core) against
// a real server on PGlite: sign-in, the keyboard review loop with prefetch, the audit trail,
// blind mode, untrusted markup, masked personal data and its audited reveal, live updates, the
// threshold preview, the dashboard's charts, and the phone layout. Saves the README's screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type Browser } from './browser.ts';
import { importLabels } from '../src/engine/importLabels.ts';
import { runSurgePass } from '../src/engine/surge.ts';
import { retrainWorkflow } from '../src/engine/retrain.ts';
import { addReviewer } from '../src/engine/access.ts';
import { webAppBuilt, webRoot } from '../src/api/webApp.ts';
import { adminKey, client, eventually, freshDb, labelWorkflow, startApp, topicWords, type TestApp, type TestDb } from './harness.ts';
import { startScorer, type Scorer } from './scorer.ts';
import { demoName, seedQualityDemo, type QualityFixture } from './qualityFixture.ts';


function sourcesNewerThanBuild(): boolean {
  const built = statSync(`${webRoot}/index.html`).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs)));
  return newest('src/web') > built;
}
const shots = 'docs/screenshots';
const password = 'correct horse battery';
const xss = 'Refund please <img src=x onerror=alert(1)> and <script>alert(1)</script> thanks';
const pii = 'Call me on +44 20 7946 0958 or mail jane.doe@example.com, card 4111 1111 1111 1111';

/**
 * WCAG 2.x AA contrast of every visible piece of text on the page: the computed text colour
 * against the effective background (the element's and its ancestors' background colours
 * composited down to the first opaque one, over white), opacity included. 4.5:1, or 3:1 for
 * large text (24 px, or 18.66 px bold). Disabled controls are exempt (WCAG 1.4.3).
 */
async function contrastFailures(page: Page): Promise<string[]> {
  // tsx keeps function names with a __name helper that the page does not have.
  await page.evaluate('window.__name ??= (f) => f');
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba | null => {
      const m = /^rgba?\(([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:[ ,/]+([\d.]+)(%?))?\)$/.exec(c.trim());
      if (!m) return null;
      const a = m[4] === undefined ? 1 : Number(m[4]) / (m[5] ? 100 : 1);
      return [Number(m[1]), Number(m[2]), Number(m[3]), a];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3] + under[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const ch = (i: number) => (top[i]! * top[3] + under[i]! * under[3] * (1 - top[3])) / a;
      return [ch(0), ch(1), ch(2), a];
    };
    const luminance = ([r, g, b]: Rgba) => {
      const lin = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const background = (el: Element): Rgba | string => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor;
        const c = parse(bg);
        if (!c) return `unparsed background ${bg}`;
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      return layers.reduceRight<Rgba>((acc, layer) => over(layer, acc), [255, 255, 255, 1]);
    };
    const opacity = (el: Element) => {
      let o = 1;
      for (let e: Element | null = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
      return o;
    };
    const failures: string[] = [];
    const seen = new Set<Element>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const candidates: Element[] = [...document.querySelectorAll('input:not([type=range]):not([type=checkbox]):not([type=radio]), select, textarea')];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if ((n.textContent ?? '').trim() && n.parentElement) candidates.push(n.parentElement);
    }
    for (const el of candidates) {
      if (seen.has(el)) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || style.visibility !== 'visible' || el.closest('[aria-hidden="true"], .sr-only, svg, canvas')) continue;
      if (el.closest(':disabled, [aria-disabled="true"]')) continue;
      if (el.closest('dialog:not([open])')) continue;
      const bg = background(el);
      const fgRaw = parse(style.color);
      if (typeof bg === 'string' || !fgRaw) {
        failures.push(`${el.tagName}: ${typeof bg === 'string' ? bg : `unparsed colour ${style.color}`}`);
        continue;
      }
      const fg = over([fgRaw[0], fgRaw[1], fgRaw[2], fgRaw[3] * opacity(el)], bg);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        const text = (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ? el.value || el.placeholder : el.textContent ?? '').trim().slice(0, 40);
        failures.push(`${el.tagName}.${el.className} "${text}": ${ratio.toFixed(2)} (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`);
      }
    }
    return failures;
  });
}

async function assertContrast(page: Page, screen: string): Promise<void> {
  const failures = await contrastFailures(page);
  assert.deepEqual(failures, [], `${screen}: text below WCAG AA contrast`);
}

describe('web app in Chromium', () => {
  let t: TestDb;
  let app: TestApp;
  let scorer: Scorer;
  let quality: QualityFixture;
  let context: BrowserContext;
  let browser: Browser | undefined;
  let admin: ReturnType<typeof client>;
  const dialogs: string[] = [];

  const submit = async (workflow: string, text: string, extra: Record<string, unknown> = {}) => {
    const r = await admin.post(`/v1/workflows/${workflow}/items`, { text, ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };

  const signIn = async (email: string, width = 1280, height = 800): Promise<Page> => {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(app.url);
    await page.getByLabel('Email').waitFor();
    if (!existsSync(`${shots}/signin.png`)) await page.screenshot({ path: `${shots}/signin.png` });
    await assertContrast(page, 'sign-in');
    // By keyboard alone: the form opens with the e-mail field focused, Tab moves on, Enter signs in.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  };

  before(async () => {
    if (!webAppBuilt() || sourcesNewerThanBuild()) {
      // The app is built by `npm run build` (and so by `npm ci`); a bare checkout, or one whose
      // src/web changed since, builds it here so the test never drives a stale app.
      const { build } = await import('vite');
      await build({ configFile: 'src/web/vite.config.ts', logLevel: 'warn' });
    }
    assert.ok(webAppBuilt(), `no web app in ${webRoot}`);
    mkdirSync(shots, { recursive: true });
    t = await freshDb('pglite');
    app = await startApp(t.db);
    admin = client(app.url, adminKey);
    scorer = await startScorer({ kind: 'labels', labels: { billing: 0.62, bug: 0.2, fraud: 0.1, other: 0.08 }, explanation: ['refund', 'invoice'] });
    scorer.behave.set('crash', { kind: 'labels', labels: { bug: 0.97, billing: 0.01, fraud: 0.01, other: 0.01 }, explanation: ['crash'] });
    const http = { type: 'http', url: scorer.url, timeoutMs: 2000 };
    for (const spec of [
      labelWorkflow('triage', { model: http, policy: { threshold: 0.99 }, costs: { reviewerPerHour: 30, errorCost: 5 } }),
      labelWorkflow('blind', { model: http, policy: { threshold: 0.99 }, blindMode: true }),
      labelWorkflow('untrusted', { model: http, policy: { threshold: 0.99 } }),
      labelWorkflow('learn', { model: { type: 'builtin', minExamples: 20 }, targetAccuracy: 0.9 }),
      labelWorkflow('surging', { model: http, policy: { threshold: 0.99 }, surge: { order: ['prioritize', 'notify'], targetWaitSeconds: 60, holdSeconds: 0, prioritize: { when: "metadata.segment == 'vip'" } } }),
    ]) {
      assert.equal((await admin.post('/v1/workflows', spec)).status, 201);
    }
    await addReviewer(t.db, { email: 'rita@test', name: 'Rita Reviewer', role: 'reviewer', workflows: ['triage', 'blind'], password });
    // Three reviewers voting on every item, with gold, audits, segments, shown then blind: the quality panel's data.
    quality = await seedQualityDemo(app.url, t.db);
    await addReviewer(t.db, { email: 'lee@test', name: 'Lee Lead', role: 'lead', workflows: ['triage', 'blind', 'untrusted', 'learn', 'surging', demoName], password });

    // A built-in model with two versions, for the learning curve and the reliability diagram.
    const wf = await app.engine.workflows.get(t.db, 'learn');
    const rows = Object.entries(topicWords).flatMap(([label, words]) =>
      Array.from({ length: 60 }, (_, i) => ({ text: `${words[i % words.length]} ${words[(i * 3 + 1) % words.length]} today ${i}`, label })));
    await importLabels(t.db, wf, rows.filter((_, i) => i % 2 === 0), { text: 'text', label: 'label' });
    const v1 = await retrainWorkflow(app.engine, 'learn', true);
    assert.ok(v1.trained, JSON.stringify(v1));
    await importLabels(t.db, wf, rows.filter((_, i) => i % 2 === 1), { text: 'text', label: 'label' });
    await retrainWorkflow(app.engine, 'learn', true);

    browser = await launchChromium('tandem-chromium-');
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await scorer?.close();
    await quality?.close();
    await t?.drop();
  });

  test('the server serves the app at / and at any non-API path, with a strict content security policy; /v1 stays JSON', async () => {
    const root = await fetch(`${app.url}/`);
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-type') ?? '', /text\/html/);
    assert.match(root.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await root.text(), /<div id="root">/);
    assert.equal((await fetch(`${app.url}/items/123`)).status, 200);
    const api404 = await fetch(`${app.url}/v1/nope`);
    assert.equal(api404.status, 404);
    assert.match(api404.headers.get('content-type') ?? '', /problem\+json/);
  });

  test('a reviewer signs in, works the queue by keyboard, the next task shows at once, and the decision is in the audit trail', async () => {
    const first = await submit('triage', 'Where is my refund for the invoice from May?', { fields: { amount: 42 }, metadata: { segment: 'vip', channel: 'email' } });
    const second = await submit('triage', 'Please refund the double invoice', { metadata: { segment: 'standard' } });
    const third = await submit('triage', 'The invoice was charged twice', { metadata: { segment: 'standard' } });
    const page = await signIn('rita@test');
    await page.screenshot({ path: `${shots}/queues.png` });
    await assertContrast(page, 'queues');
    // The check can fail: light grey on white is caught; large text is held to the lower bar (3:1).
    await page.evaluate(() => {
      for (const [id, color, size] of [['pale', '#999', '15px'], ['big', '#888', '30px']] as const) {
        const p = document.createElement('p');
        p.id = id;
        p.textContent = id;
        Object.assign(p.style, { color, fontSize: size, background: '#fff' });
        document.body.append(p);
      }
    });
    const caught = await contrastFailures(page);
    assert.equal(caught.length, 1, caught.join('; '));
    assert.match(caught[0]!, /"pale": 2\.85/);
    await page.evaluate(() => document.querySelectorAll('#pale, #big').forEach((e) => e.remove()));
    // Keyboard alone: Tab to the triage queue, Enter opens its first task.
    for (let i = 0; i < 30 && !/^triage/.test(await page.evaluate(() => document.activeElement?.textContent ?? '')); i++) await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^triage/);
    await page.keyboard.press('Enter');
    const card = page.locator('[data-item-id]');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-item-id'), first);
    // Suggestion, confidence, evidence and the route's reasons are shown; the evidence is marked in the text.
    assert.match(await page.getByTestId('suggestion').innerText(), /billing\s+62 %/);
    assert.equal(await page.locator('[data-testid="item-text"] mark').first().innerText(), 'refund');
    assert.match(await page.getByRole('list', { name: 'Why this is here' }).innerText(), /below the threshold/);
    assert.match(await page.getByRole('region', { name: 'Customer context' }).innerText(), /vip/);
    await page.keyboard.press('?');
    await page.getByRole('dialog').waitFor();
    await page.screenshot({ path: `${shots}/keys.png` });
    await assertContrast(page, 'keys');
    await page.keyboard.press('Escape');
    await page.screenshot({ path: `${shots}/workspace.png` });
    await assertContrast(page, 'workspace');
    await page.waitForTimeout(400); // the next task is claimed ahead meanwhile

    await page.keyboard.press('2'); // labels are in order of the machine's belief: 1 billing, 2 bug
    assert.equal(await page.getByRole('radio', { checked: true }).innerText().then((s) => s.replace(/\s+/g, ' ').trim()), '2 bug');
    // Timed in the page, from the key press to the next item's text in the document.
    await page.evaluate((id) => {
      const w = window as unknown as { shown: Promise<number> };
      w.shown = new Promise((resolve) => {
        let pressed = 0;
        document.addEventListener('keydown', (e) => e.key === 'Enter' && (pressed = performance.now()), { capture: true, once: true });
        new MutationObserver((_m, obs) => {
          if (document.querySelector('[data-item-id]')?.getAttribute('data-item-id') === id) {
            obs.disconnect();
            resolve(performance.now() - pressed);
          }
        }).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
    }, second);
    // Layout shift across submit → next task, counting every shift (even those right after the key press).
    await page.evaluate(() => {
      const w = window as unknown as { shifted: number };
      w.shifted = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.shifted += (e as PerformanceEntry & { value: number }).value;
      }).observe({ type: 'layout-shift' });
    });
    // The answer brings the task after the second (`next`): no claim of its own follows it.
    const claims: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/tasks/claim')) claims.push(r.url());
    });
    await page.keyboard.press('Enter');
    const elapsed = await page.evaluate(() => (window as unknown as { shown: Promise<number> }).shown);
    assert.ok(elapsed < 150, `the next task took ${elapsed.toFixed(0)} ms to show`);
    await page.getByText(/Saved: bug/).waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(claims, [], 'the answer brought the next task');
    const shifted = await page.evaluate(() => (window as unknown as { shifted: number }).shifted);
    assert.ok(shifted < 0.01, `the layout shifted by ${shifted.toFixed(4)} when the next task loaded`);
    await assertContrast(page, 'workspace after an answer');

    const trail = await eventually(async () => {
      const r = await admin.get(`/v1/items/${first}`);
      return r.body.decision ? r.body : undefined;
    });
    assert.deepEqual(trail.decision.outcome, { type: 'label', label: 'bug' });
    assert.ok(trail.answers[0].timeSpentMs > 0);

    await page.keyboard.press('s'); // skip the second: it goes back to the queue
    await page.getByText(/Skipped/).waitFor();
    // The third came with the answer on the first, so it shows at once.
    assert.equal(await card.getAttribute('data-item-id'), third);
    await page.goto(`${app.url}/items/${first}`);
    await page.getByTestId('decisions').getByText(/bug/).waitFor();
    assert.match(await page.getByTestId('audit-trail').innerText(), /decision\.made/);
    await assertContrast(page, 'item trail');
    await page.close();
  });

  test('blind mode hides the suggestion until the answer; the answer and its time are recorded', async () => {
    const id = await submit('blind', 'Refund my invoice twice please');
    const page = await signIn('rita@test');
    await page.getByRole('button', { name: /^blind/ }).click();
    await page.locator(`[data-item-id="${id}"]`).waitFor();
    await page.getByTestId('blind').waitFor();
    assert.equal(await page.getByTestId('suggestion').count(), 0);
    const body = await page.locator('body').innerText();
    assert.ok(!body.includes('62 %'), 'no confidence is shown');
    assert.equal(await page.locator('[data-testid="item-text"] mark').count(), 0, 'no evidence is marked');
    // Nor can the reviewer read it from the API while the task is theirs: the item, its decision, item search.
    const asReviewer = (path: string) =>
      page.evaluate(async (p) => {
        const r = await fetch(p, { headers: { authorization: `Bearer ${sessionStorage.getItem('tandem.session')}` } });
        return r.json() as Promise<Record<string, unknown>>;
      }, path);
    const during = await asReviewer(`/v1/items/${id}`);
    assert.equal(during.prediction, null);
    assert.equal(during.suggestionHidden, true);
    assert.equal((during.route as { label: unknown }).label, null);
    assert.equal((during.route as { confidence: unknown }).confidence, null);
    assert.ok(!JSON.stringify(during).includes('0.62'), 'no confidence anywhere in the item view');
    assert.ok(!JSON.stringify(during).includes('"billing"'), 'no suggested label anywhere in the item view');
    assert.ok(!JSON.stringify(await asReviewer(`/v1/items?workflow=blind`)).includes('0.62'));
    // A lead still sees it.
    const lee = client(app.url, (await client(app.url).post('/v1/sessions', { email: 'lee@test', password })).body.token);
    const leads = await lee.get(`/v1/items/${id}`);
    assert.equal(leads.body.prediction.label, 'billing');
    assert.equal(leads.body.suggestionHidden, false);

    await page.keyboard.press('2'); // blind: labels in the workflow's order, so 2 is bug
    await page.keyboard.press('Enter');
    // Once answered, the suggestion shows beside the answer.
    const reveal = page.getByTestId('blind-reveal');
    await reveal.waitFor();
    assert.match(await reveal.innerText(), /You answered bug; the machine suggested billing \(62 %\)/);
    const r = await eventually(async () => {
      const x = await admin.get(`/v1/items/${id}`);
      return x.body.answers.length > 0 ? x.body : undefined;
    });
    assert.ok(r.answers[0].timeSpentMs >= 0);
    assert.deepEqual(r.decision.outcome, { type: 'label', label: 'bug' });
    const afterwards = await asReviewer(`/v1/items/${id}`);
    assert.equal(afterwards.suggestionHidden, false);
    assert.equal((afterwards.prediction as { label: string }).label, 'billing');
    await page.close();
  });

  test('markup in an item shows as text and runs nothing; personal data is masked; a lead\'s reveal is audited', async () => {
    const id = await submit('untrusted', `${xss}\n${pii}`, { metadata: { email: 'jane.doe@example.com' } });
    const page = await signIn('lee@test');
    await page.getByRole('button', { name: /^untrusted/ }).click();
    const card = page.locator(`[data-item-id="${id}"]`);
    await card.waitFor();
    const text = await page.getByTestId('item-text').innerText();
    assert.ok(text.includes('<img src=x onerror=alert(1)>'), text);
    assert.ok(text.includes('<script>alert(1)</script>'), text);
    assert.equal(await page.locator('[data-testid="item-text"] img, [data-testid="item-text"] script').count(), 0);
    assert.match(text, /\[phone\]/);
    assert.match(text, /\[email\]/);
    assert.match(text, /\[card …1111\]/);
    const html = await page.content();
    assert.ok(!html.includes('jane.doe@example.com') && !html.includes('4111 1111 1111 1111'), 'no personal data reaches the page');
    await page.screenshot({ path: `${shots}/untrusted-item.png` });
    await assertContrast(page, 'untrusted item');

    await page.keyboard.press('v');
    await page.getByText(/Revealed/).waitFor();
    assert.match(await page.getByTestId('item-text').innerText(), /jane\.doe@example\.com/);
    const trail = await admin.get(`/v1/items/${id}`);
    const reveal = trail.body.events.find((e: { type: string }) => e.type === 'item.revealed');
    assert.equal(reveal?.payload.actor, 'reviewer:lee@test');
    await page.keyboard.press('s');
    await page.waitForTimeout(200);
    assert.deepEqual(dialogs, [], 'no script ran');
    await page.close();
  });

  test('queue depths and new urgent tasks arrive live, without a reload', async () => {
    const page = await signIn('lee@test');
    const depth = page.getByTestId('depth-triage-review');
    await depth.waitFor();
    const before = Number(await depth.innerText());
    await admin.put('/v1/workflows/triage', labelWorkflow('triage', {
      model: { type: 'http', url: scorer.url, timeoutMs: 2000 }, policy: { threshold: 0.99, rules: [{ when: 'metadata.segment == "vip"', action: 'review', priority: 50, name: 'vip' }] },
      costs: { reviewerPerHour: 30, errorCost: 5 },
    }));
    app.engine.workflows.forget('triage');
    await submit('triage', 'VIP invoice question', { metadata: { segment: 'vip' } });
    await page.getByText(/urgent task \(priority 50\) in triage/).waitFor({ timeout: 8000 });
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="depth-triage-review"]')?.textContent) === n, before + 1, { timeout: 8000 });
    await page.close();
  });

  test('a lead moves the threshold and sees the preview: the share going to people and the estimated accuracy', async () => {
    for (let i = 0; i < 6; i++) await submit('triage', `app crash number ${i}`);
    const page = await signIn('lee@test');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Workflow').selectOption('triage');
    const preview = page.getByTestId('preview');
    await preview.getByText(/At 0\.99 about 100 % go to people/).waitFor();
    const slider = page.getByRole('slider');
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    await preview.getByText(/At 0\.94 about \d+ % go to people, estimated accuracy/).waitFor();
    const shown = await preview.innerText();
    const share = Number(/about (\d+) %/.exec(shown)?.[1]);
    assert.ok(share > 0 && share < 100, shown);
    // Only admins save workflow changes; a lead explores.
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    await page.screenshot({ path: `${shots}/settings.png`, fullPage: true });
    await assertContrast(page, 'settings');
    await page.close();
  });

  test('the dashboard draws its charts from data, the learning curve and the reliability diagram included', async () => {
    const page = await signIn('lee@test');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByLabel('Workflow').selectOption('triage');
    // The first workflow's figures may show until triage's arrive; wait for triage's count.
    await page.waitForFunction(() => {
      const tile = [...document.querySelectorAll('.tile')].find((t) => t.textContent?.includes('Items in'));
      return Number(tile?.querySelector('.tile-value')?.textContent) >= 5;
    }, undefined, { timeout: 8000 });
    await page.getByTestId('chart-items').locator('canvas').waitFor();
    for (const id of ['items', 'automation', 'latency', 'work', 'sla', 'depth']) {
      assert.equal(await page.getByTestId(`chart-${id}`).locator('canvas').count(), 1, id);
    }
    assert.match(await page.locator('.tile', { hasText: 'Cost' }).innerText(), /USD/);
    // The capacity panel: reviewers needed now, and by threshold (checked for contrast below).
    const capacity = page.getByTestId('capacity');
    await capacity.getByRole('table', { name: 'Reviewers needed by confidence threshold' }).waitFor();
    assert.match(await capacity.locator('.tile', { hasText: 'Reviewers needed now' }).locator('.tile-value').innerText(), /^\d+$/);
    assert.ok((await capacity.getByRole('row').count()) >= 10, 'a row per threshold under the header');
    await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
    await assertContrast(page, 'dashboard');
    await page.getByLabel('Workflow').selectOption('learn');
    await page.getByTestId('chart-learning').locator('canvas').waitFor();
    await page.getByTestId('chart-reliability').locator('canvas').waitFor();
    assert.match(await page.locator('.tile', { hasText: 'Estimated accuracy' }).innerText(), /target 90\.0 %/);
    await page.screenshot({ path: `${shots}/dashboard-model.png`, fullPage: true });
    // The surge panel: work waits and nobody is at work, so the controller takes the first step.
    for (let i = 0; i < 3; i++) await submit('surging', `invoice question ${i}`);
    const passes = await runSurgePass(app.engine, { owner: 'web-test' });
    assert.deepEqual(passes?.find((p) => p.workflow === 'surging')?.changes.map((c) => c.action), ['prioritize']);
    await page.getByLabel('Workflow').first().selectOption('surging');
    const surge = page.getByTestId('surge');
    await surge.getByText('In surge: 1 of 2 steps in effect').waitFor();
    assert.match(await surge.getByRole('table', { name: 'Surge changes, newest first' }).innerText(), /Took: Raise priority[\s\S]*forecast wait unbounded \(nobody is working\)/);
    assert.match(await surge.getByRole('list', { name: 'Surge steps in declared order' }).innerText(), /Raise priority of urgent items in effect\s+Notify off/);
    await surge.screenshot({ path: `${shots}/surge.png` });
    await assertContrast(page, 'dashboard surge panel');
    // The quality of the people, where there is too little data to say: it says so.
    await page.getByLabel('Workflow').first().selectOption('triage');
    await page.getByTestId('quality-agreement').getByText(/not enough data \(n = \d+/).first().waitFor();

    await page.getByLabel('Workflow').first().selectOption(demoName);
    const agreement = page.getByTestId('quality-agreement');
    await agreement.getByText(/Fleiss' kappa/).waitFor();
    await agreement.getByText(/items answered by two or more/).waitFor();
    const kappaRow = agreement.getByRole('row', { name: /Fleiss' kappa/ });
    assert.match(await kappaRow.innerText(), /-?\d\.\d\d \(95 % -?\d\.\d\d – -?\d\.\d\d\)/);
    assert.match(await agreement.getByRole('row', { name: /Percent agreement/ }).innerText(), /\d+\.\d %/);
    assert.match(await agreement.getByRole('row', { name: /Krippendorff/ }).innerText(), /\d\.\d\d/);
    assert.ok((await agreement.getByRole('table', { name: "Cohen's kappa per reviewer pair" }).getByRole('row').count()) >= 4, 'three reviewer pairs');
    const examples = page.getByTestId('disagreements').getByRole('link');
    assert.ok((await examples.count()) >= 1, 'the most-disagreed labels link to example items');
    assert.match((await examples.first().getAttribute('href')) ?? '', /^\/items\/[0-9a-f-]{36}$/);
    const bias = page.getByTestId('quality-bias');
    await bias.getByRole('table', { name: 'Bias audit by segment' }).waitFor();
    assert.match(await bias.innerText(), /Automation rate[\s\S]*(reference|not enough data)/);
    await page.getByTestId('quality-bias').getByLabel('Attribute').selectOption('channel');
    await bias.getByRole('table', { name: 'Bias audit by channel' }).waitFor();
    assert.match(await page.getByTestId('quality-automation-bias').innerText(), /answers given blind, \d+ with the suggestion shown[\s\S]*(Shown − blind|not enough data \(n = )/);
    await page.getByTestId('quality').screenshot({ path: `${shots}/quality.png` });
    await assertContrast(page, 'dashboard quality panel');

    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('cell', { name: /Rita Reviewer/ }).waitFor();
    const accuracy = page.getByTestId('reviewer-accuracy');
    await accuracy.getByLabel('Workflow').selectOption(demoName);
    await accuracy.getByRole('table').waitFor();
    const rows = accuracy.getByRole('table').getByRole('row');
    assert.equal(await rows.count(), 4, 'three reviewers, with gold and estimated accuracy');
    const firstRow = await rows.nth(1).innerText();
    assert.match(firstRow, /(qualified|live|training|qualification)/);
    // Two gold answers each in training: too few for a rate, and the page says so.
    assert.match(firstRow, /(\d+\.\d %|not enough data \(n = \d+, needs \d+\)) of \d+/, 'gold accuracy');
    assert.match(firstRow, /\d+\.\d % from \d+ answers/, 'Dawid–Skene estimate');
    await page.screenshot({ path: `${shots}/people.png` });
    await assertContrast(page, 'people');
    await page.getByRole('link', { name: 'Items' }).click();
    await page.getByRole('table').getByRole('link').first().waitFor();
    await page.screenshot({ path: `${shots}/items.png` });
    await assertContrast(page, 'items');
    await page.close();
  });

  test('on a 390-pixel phone the workspace fits the width and works', async () => {
    await submit('triage', 'Phone check: invoice wrong');
    const page = await signIn('rita@test', 390, 844);
    await page.getByRole('button', { name: 'Start reviewing' }).click();
    await page.locator('[data-item-id]').waitFor();
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map((e) => `${e.tagName}.${e.className}`));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen: ${wide.join(', ')}`);
    await page.screenshot({ path: `${shots}/workspace-phone.png`, fullPage: true });
    await assertContrast(page, 'workspace on a phone');
    await page.keyboard.press('s');
    await page.close();
    assert.deepEqual(dialogs, []);
  });
});
