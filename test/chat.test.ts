// The chat demo in real headless Chromium: one page is the customer at /demo/chat, the other the
// agent in the workspace, on the support-chat demo workflow. A routine question is answered by the
// bot at once; a question the bot is unsure of is handed to the agent live, who edits the draft
// and sends it, and the customer sees it; markup a customer types stays text on both pages; the
// agent hands back to the bot; an angry customer is escalated at once; a customer typing too fast
// is told politely to wait; the rating is stored. Saves the README's chat screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type Browser } from './browser.ts';
import { addReviewer } from '../src/engine/access.ts';
import { webAppBuilt, webRoot } from '../src/api/webApp.ts';
import { seedChatDemo } from '../src/cli/demoChat.ts';
import { adminKey, client, freshDb, startApp, type TestApp, type TestDb } from './harness.ts';

const password = 'correct horse battery';

function sourcesNewerThanBuild(): boolean {
  if (!existsSync(`${webRoot}/chat.html`)) return true;
  const built = statSync(`${webRoot}/index.html`).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs)));
  return newest('src/web') > built;
}

describe('chat demo in Chromium: customer and agent', () => {
  let t: TestDb;
  let app: TestApp;
  let context: BrowserContext;
  let browser: Browser | undefined;
  const dialogs: string[] = [];

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return page;
  };

  before(async () => {
    if (!webAppBuilt() || sourcesNewerThanBuild()) {
      const { build } = await import('vite');
      await build({ configFile: 'src/web/vite.config.ts', logLevel: 'warn' });
    }
    mkdirSync('docs/screenshots', { recursive: true });
    t = await freshDb('pglite');
    app = await startApp(t.db);
    await seedChatDemo(app.engine, () => {});
    await addReviewer(t.db, { email: 'ana@test', name: 'Ana Agent', role: 'lead', workflows: ['support-chat'], password });
    browser = await launchChromium('tandem-chat-');
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.drop();
  });

  test('the widget page is served with a strict content security policy', async () => {
    const res = await fetch(`${app.url}/demo/chat`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(await res.text(), /id="thread"/);
  });

  test('bot answers, handoff with an edited draft, markup stays text, hand back, escalation, rate limit, rating', async () => {
    const customer = await newPage();
    await customer.goto(`${app.url}/demo/chat`);
    await customer.locator('#state', { hasText: 'assistant answers' }).waitFor();
    const agent = await newPage();
    await agent.goto(app.url);
    await agent.getByLabel('Email').fill('ana@test');
    await agent.getByLabel('Password').fill(password);
    await agent.getByLabel('Password').press('Enter');
    await agent.getByRole('heading', { name: 'Live conversations' }).waitFor();

    const send = async (page: Page, text: string) => {
      await page.locator('#text').fill(text);
      await page.locator('#text').press('Enter');
    };

    // 1. A routine question: the bot answers at once from the approved library.
    const asked = Date.now();
    await send(customer, 'How long will it take for my new card to arrive?');
    await customer.locator('.msg.bot', { hasText: '3 to 5 working days' }).waitFor();
    assert.ok(Date.now() - asked < 5000, `the bot took ${Date.now() - asked} ms`);

    // 2. A question the bot is unsure of: the customer is told a person is coming, with a wait.
    await send(customer, 'I see the same payment twice on my statement, can you check?');
    await customer.locator('.msg.system', { hasText: /Expected wait: .*estimate/ }).waitFor();
    await customer.locator('#state', { hasText: 'Waiting for a person' }).waitFor();
    // The agent's workspace shows the waiting customer without a reload.
    await agent.locator('.live-conversations .tag', { hasText: 'waiting' }).first().waitFor();
    await agent.getByRole('button', { name: /Start reviewing/ }).click();
    const replyBox = agent.getByLabel('Reply to the customer');
    await replyBox.waitFor();
    const draft = await replyBox.inputValue();
    assert.match(draft, /charged twice/, 'the draft is there to edit');
    await agent.locator('.conversation .chat-msg.customer', { hasText: 'same payment twice' }).waitFor();
    const edited = `${draft} I can see both payments: the second is a hold that drops off by Friday.`;
    await replyBox.fill(edited);
    await agent.screenshot({ path: 'docs/screenshots/chat-agent.png', fullPage: true });
    await agent.getByRole('button', { name: /^Submit/ }).click();
    await customer.locator('.msg.agent', { hasText: 'drops off by Friday' }).waitFor();
    await customer.screenshot({ path: 'docs/screenshots/chat-customer.png' });
    await customer.locator('#state', { hasText: 'chatting with a person' }).waitFor();

    // 3. Markup from the customer is text on both pages, and nothing runs.
    const markup = 'Thanks <img src=x onerror=alert(1)> <script>alert(2)</script>';
    await send(customer, markup);
    await customer.locator('.msg.customer', { hasText: '<script>alert(2)</script>' }).waitFor();
    const panel = agent.locator('.conversation').first();
    await panel.locator('.chat-msg.customer', { hasText: '<img src=x onerror=alert(1)>' }).waitFor();
    assert.equal(await customer.locator('.thread img, .thread script').count(), 0);
    assert.equal(await agent.locator('.conversation img, .conversation script').count(), 0);

    // The agent writes once more, then hands the customer back to the bot.
    await panel.getByLabel('Message to the customer').fill('Glad to help. Anything else?');
    await panel.getByRole('button', { name: 'Send message' }).click();
    await customer.locator('.msg.agent', { hasText: 'Anything else?' }).waitFor();
    await panel.getByRole('button', { name: 'Hand back to the bot' }).click();
    await customer.locator('.msg.system', { hasText: 'back with our assistant' }).waitFor();
    await send(customer, 'How do I change my PIN?');
    await customer.locator('.msg.bot', { hasText: 'PIN' }).waitFor();

    // Thumbs up, stored with the conversation.
    await customer.locator('#up').click();
    await customer.locator('#rated', { hasText: 'Thanks for your feedback' }).waitFor();

    // 4. An angry customer in another tab: escalated at once, and the lead sees it live.
    const angry = await newPage();
    await angry.goto(`${app.url}/demo/chat`);
    await angry.locator('#state', { hasText: 'assistant answers' }).waitFor();
    await send(angry, "This is terrible, your app is useless and I'm furious my card still hasn't arrived!");
    await angry.locator('.msg.system', { hasText: 'person' }).waitFor();
    await agent.locator('.urgent-item', { hasText: 'New escalation in support-chat' }).waitFor();

    // 5. Typing faster than the limit: a polite notice, the text kept.
    for (let i = 0; i < 6; i++) await send(angry, `hello? ${i}`);
    await angry.locator('#notice', { hasText: /faster than we can read them.*wait/ }).waitFor();
    assert.equal(await angry.locator('#text').inputValue(), 'hello? 5');

    assert.deepEqual(dialogs, [], 'no script ran');
    const metrics = await client(app.url, adminKey).get('/v1/workflows/support-chat/chat-metrics');
    assert.equal(metrics.body.ratings.byRoute.human.up, 1);
    assert.equal(metrics.body.drafts.edited + metrics.body.drafts.rewritten + metrics.body.drafts.sent, 1);
    assert.ok(metrics.body.handoff.reasons.some((r: { reason: string }) => r.reason === 'signal:upset'), JSON.stringify(metrics.body.handoff));

    // The lead's dashboard shows the conversations panel.
    await agent.getByRole('link', { name: 'Dashboard' }).or(agent.getByRole('button', { name: 'Dashboard' })).first().click();
    await agent.getByRole('region', { name: 'Conversations' }).waitFor();
    assert.match(await agent.getByTestId('auto-resolution').innerText(), /%/);
  });
});
