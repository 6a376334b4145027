// `tandem mcp` with the MCP SDK's own client, over stdio (the CLI as a child process) and over
// streamable HTTP: an agent asks, a reviewer decides over Tandem's HTTP API, the tool returns it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createApiKey } from '../src/engine/access.ts';
import { serveMcpHttp, type McpHttp } from '../src/mcp/server.ts';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { adminKey, client, createServerDatabase, dropServerDatabase, eventually, freePort, person, startApp, type TestApp } from './harness.ts';
import type { Db } from '../src/store/db.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

type Kind = 'stdio' | 'http';

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

describe('tandem mcp', () => {
  let url: string;
  let db: Db;
  let app: TestApp;
  let http: McpHttp;
  let reviewer: ReturnType<typeof client>;
  let key: string;
  let otherKey: string;
  const clients: Client[] = [];

  before(async () => {
    // Postgres, not PGlite: the stdio server is another process on the same database.
    url = await createServerDatabase();
    db = await openDb({ url, poolSize: 4 });
    await migrate(db);
    app = await startApp(db);
    const admin = client(app.url, adminKey);
    for (const kind of ['stdio', 'http'] as const) {
      assert.equal((await admin.post('/v1/workflows', { name: `refunds-${kind}`, answerType: 'approve' })).status, 201);
      assert.equal((await admin.post('/v1/workflows', { name: `questions-${kind}`, answerType: 'text' })).status, 201);
    }
    assert.equal((await admin.post('/v1/workflows', { name: 'secret', answerType: 'approve' })).status, 201);
    const workflows = ['refunds-stdio', 'questions-stdio', 'refunds-http', 'questions-http'];
    key = (await createApiKey(db, { name: 'agent', role: 'service', workflows })).token;
    otherKey = (await createApiKey(db, { name: 'other', role: 'service', workflows: ['secret'] })).token;
    reviewer = client(app.url, (await person(db, 'reviewer', workflows)).token);
    http = await serveMcpHttp(app.engine, { port: 0, log: () => {} });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await http.close();
    await app.close();
    await db.close();
    await dropServerDatabase(url);
  });

  const connect = async (kind: Kind, apiKey: string): Promise<Client> => {
    const transport: Transport =
      kind === 'stdio'
        ? new StdioClientTransport({
            command: process.execPath,
            args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp'],
            cwd: root,
            env: { ...process.env, DATABASE_URL: url, TANDEM_API_KEY: apiKey } as Record<string, string>,
            stderr: 'inherit',
          })
        : new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } });
    const c = new Client({ name: 'mcp-test', version: '1.0.0' });
    await c.connect(transport);
    clients.push(c);
    return c;
  };

  /** The reviewer claims the next task of the workflow and answers it. */
  const decide = async (workflow: string, outcome: Record<string, unknown>) => {
    const claimed = await eventually(async () => {
      const r = await reviewer.post('/v1/tasks/claim', { workflow });
      return r.status === 200 ? r.body : undefined;
    }, 15_000, `a task in ${workflow}`);
    const answered = await reviewer.post(`/v1/tasks/${claimed.task.id}/answer`, { assignment: claimed.task.assignment, ...outcome });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    return claimed;
  };

  const call = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as ToolResult;
  const text = (r: ToolResult) => r.content.map((x) => x.text ?? '').join('\n');

  for (const kind of ['stdio', 'http'] as const) {
    describe(`over ${kind}`, () => {
      let agent: Client;
      const refunds = `refunds-${kind}`;
      const questions = `questions-${kind}`;
      before(async () => {
        agent = await connect(kind, key);
      });

      test('lists the three tools with their input schemas', async () => {
        const { tools } = await agent.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['ask_human', 'get_decision', 'request_approval']);
        const approval = tools.find((t) => t.name === 'request_approval')!;
        assert.deepEqual([...(approval.inputSchema.required ?? [])].sort(), ['action', 'arguments', 'workflow']);
      });

      test('request_approval waits and returns the approval', async () => {
        const pending = call(agent, 'request_approval', { workflow: refunds, action: 'refund', arguments: { orderId: 'A-1', amount: 40 }, summary: 'Refund order A-1', wait_seconds: 30 });
        const claimed = await decide(refunds, { verdict: 'approve' });
        assert.deepEqual(claimed.item.fields, { orderId: 'A-1', amount: 40 });
        assert.equal(claimed.item.text, 'Refund order A-1');
        const r = await pending;
        assert.equal(r.isError, undefined, text(r));
        assert.deepEqual(r.structuredContent, { status: 'decided', item_id: claimed.item.id, verdict: 'approve', reason: null, arguments: { orderId: 'A-1', amount: 40 } });
        assert.equal(JSON.parse(text(r)).verdict, 'approve');
      });

      test('a rejection comes back with the reviewer\'s reason', async () => {
        const pending = call(agent, 'request_approval', { workflow: refunds, action: 'refund', arguments: { orderId: 'B-2', amount: 9000 }, wait_seconds: 30 });
        const claimed = await decide(refunds, { verdict: 'reject', note: 'over the refund limit' });
        assert.equal(claimed.item.text, 'refund({"orderId":"B-2","amount":9000})');
        const r = await pending;
        assert.equal(r.structuredContent?.verdict, 'reject');
        assert.equal(r.structuredContent?.reason, 'over the refund limit');
      });

      test('an edit comes back with the edited arguments', async () => {
        const pending = call(agent, 'request_approval', { workflow: refunds, action: 'refund', arguments: { orderId: 'C-3', amount: 100 }, wait_seconds: 30 });
        await decide(refunds, { verdict: 'edit', edited: { orderId: 'C-3', amount: 50 } });
        const r = await pending;
        assert.equal(r.structuredContent?.verdict, 'edit');
        assert.deepEqual(r.structuredContent?.arguments, { orderId: 'C-3', amount: 50 });
      });

      test('ask_human returns the reviewer\'s text', async () => {
        const pending = call(agent, 'ask_human', { workflow: questions, question: 'Which warehouse ships to Iceland?', wait_seconds: 30 });
        const claimed = await decide(questions, { text: 'Rotterdam, since March' });
        assert.equal(claimed.item.text, 'Which warehouse ships to Iceland?');
        const r = await pending;
        assert.deepEqual(r.structuredContent, { status: 'decided', item_id: claimed.item.id, answer: 'Rotterdam, since March' });
      });

      test('without a wait the item id comes back; get_decision says pending, then the decision', async () => {
        const filed = await call(agent, 'ask_human', { workflow: questions, question: 'Is the sale still on?' });
        assert.equal(filed.structuredContent?.status, 'pending');
        const itemId = String(filed.structuredContent?.item_id);
        const first = await call(agent, 'get_decision', { item_id: itemId });
        assert.equal(first.structuredContent?.status, 'pending');
        const waiting = call(agent, 'get_decision', { item_id: itemId, wait_seconds: 30 });
        await decide(questions, { text: 'until Sunday' });
        const r = await waiting;
        assert.deepEqual(r.structuredContent, { status: 'decided', item_id: itemId, answer: 'until Sunday' });
        const again = await call(agent, 'get_decision', { item_id: itemId });
        assert.equal(again.structuredContent?.answer, 'until Sunday');
      });

      test('a key without access to the workflow or the item gets a tool error', async () => {
        const denied = await call(agent, 'request_approval', { workflow: 'secret', action: 'refund', arguments: { orderId: 'X' } });
        assert.equal(denied.isError, true);
        assert.match(text(denied), /may not use workflow "secret"/);
        const filed = await call(agent, 'ask_human', { workflow: questions, question: 'Who may see this?' });
        const other = await connect(kind, otherKey);
        const hidden = await call(other, 'get_decision', { item_id: String(filed.structuredContent?.item_id) });
        assert.equal(hidden.isError, true);
        assert.match(text(hidden), /no item/);
        await decide(questions, { text: 'only the agent' });
      });

      test('bad arguments give a tool error, not a crash', async () => {
        const missing = await call(agent, 'request_approval', { workflow: refunds, arguments: { a: 1 } });
        assert.equal(missing.isError, true);
        assert.match(text(missing), /action/);
        const notUuid = await call(agent, 'get_decision', { item_id: 'nope' });
        assert.equal(notUuid.isError, true);
        assert.match(text(notUuid), /UUID/);
        const tooLong = await call(agent, 'get_decision', { item_id: '00000000-0000-4000-8000-000000000000', wait_seconds: 3600 });
        assert.equal(tooLong.isError, true);
        const wrongType = await call(agent, 'ask_human', { workflow: refunds, question: 'yes?' });
        assert.equal(wrongType.isError, true);
        assert.match(text(wrongType), /ask_human needs a workflow with answerType "text"/);
        const unknown = await call(agent, 'get_decision', { item_id: '00000000-0000-4000-8000-000000000000' });
        assert.equal(unknown.isError, true);
        assert.match(text(unknown), /no item/);
        // The server still answers after all that.
        assert.equal((await agent.listTools()).tools.length, 3);
      });
    });
  }

  test('examples/mcp-claude-desktop.json describes a server that starts and answers', async () => {
    const config = JSON.parse(readFileSync(new URL('../examples/mcp-claude-desktop.json', import.meta.url), 'utf8')) as {
      mcpServers: { tandem: { command: string; args: string[]; env: Record<string, string> }; 'tandem-http': { url: string; headers: Record<string, string> } };
    };
    const stdio = config.mcpServers.tandem;
    assert.equal(stdio.command, 'node');
    assert.match(stdio.args[0]!, /dist\/cli\/main\.js$/);
    assert.deepEqual(Object.keys(stdio.env).sort(), ['DATABASE_URL', 'TANDEM_API_KEY']);
    // The same arguments after the entry point, the source run through tsx instead of dist/.
    const c = new Client({ name: 'mcp-test', version: '1.0.0' });
    await c.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', 'src/cli/main.ts', ...stdio.args.slice(1)],
        cwd: root,
        env: { ...process.env, DATABASE_URL: url, TANDEM_API_KEY: key } as Record<string, string>,
        stderr: 'inherit',
      }),
    );
    clients.push(c);
    assert.equal((await c.listTools()).tools.length, 3);
    const remote = config.mcpServers['tandem-http'];
    assert.equal(new URL(remote.url).pathname, '/mcp');
    assert.match(remote.headers.Authorization!, /^Bearer /);
  });

  test('tandem mcp --http PORT serves /mcp on 127.0.0.1', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'mcp', '--http', String(port)], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, TANDEM_API_KEY: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await eventually(async () => (stderr.includes(`http://127.0.0.1:${port}/mcp`) ? true : undefined), 20_000, 'the MCP server to listen');
      const c = new Client({ name: 'mcp-test', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      const filed = (await c.callTool({ name: 'ask_human', arguments: { workflow: 'questions-http', question: 'From the CLI?' } })) as ToolResult;
      assert.equal(filed.structuredContent?.status, 'pending');
      await c.close();
      await decide('questions-http', { text: 'yes' });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('HTTP without a valid API key is refused with 401', async () => {
    const none = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(none.status, 401);
    const c = new Client({ name: 'mcp-test', version: '1.0.0' });
    await assert.rejects(c.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: 'Bearer tdm_key_wrong' } } })));
  });

  test('stdio with an unknown key exits with a message', async () => {
    const c = new Client({ name: 'mcp-test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp'],
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, TANDEM_API_KEY: 'tdm_key_wrong' } as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await assert.rejects(c.connect(transport));
    await eventually(async () => (stderr.includes('unknown or revoked API key') ? true : undefined), 10_000, 'the error message');
    await c.close();
  });
});
