// `tandem mcp`: an MCP server through which any MCP-capable AI agent asks a person — approve an
// action, answer a question — and gets the decision back. The tools call the same engine use
// cases as the HTTP API, under the principal of one API key, so a key sees only its workflows.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Outcome } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import { EngineError, forbidden, unauthorized } from '../engine/errors.ts';
import { awaitDecision, itemHistory } from '../engine/items.ts';
import { isLead, mayAccess, type Principal } from '../engine/principals.ts';
import { submitItem } from '../engine/submit.ts';
import type { AnswerType } from '../core/workflow.ts';
import { version } from '../version.ts';

/**
 * The SDK's MCP client gives up on a request after 60 s by default; a wait has to end well
 * before that, and the agent calls get_decision again.
 */
export const maxWaitSeconds = 50;

const waitSeconds = z
  .number()
  .min(0)
  .max(maxWaitSeconds)
  .optional()
  .describe(`Seconds to wait for the person's decision (0 to ${maxWaitSeconds}); without it the item id is returned at once, to poll with get_decision`);
const workflowName = z.string().min(1).max(63).describe('The Tandem workflow (queue of people) to ask');

type Status =
  | { status: 'pending'; item_id: string; message: string }
  | { status: 'decided'; item_id: string; verdict: 'approve' | 'reject' | 'edit'; reason: string | null; arguments: Record<string, unknown> }
  | { status: 'decided'; item_id: string; answer: string }
  | { status: 'decided'; item_id: string; label: string };

function result(body: Status): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Engine errors become tool errors an agent can read and act on; anything else is logged, not leaked. */
async function guarded(log: (line: string) => void, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof EngineError) {
      const details = err.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      return toolError(`${err.kind}: ${err.message}${details ? ` (${details})` : ''}`);
    }
    log(`mcp tool failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return toolError('internal error in Tandem; try again later');
  }
}

async function requireAnswerType(engine: Engine, principal: Principal, workflow: string, type: AnswerType, tool: string): Promise<void> {
  // Checked before the look-up, so a key cannot learn which workflows exist outside its scope.
  if (!mayAccess(principal, workflow)) throw forbidden(`this key may not use workflow "${workflow}"`);
  const wf = await engine.workflows.get(engine.db, workflow);
  if (wf.spec.answerType !== type) {
    throw new EngineError('invalid', `workflow "${workflow}" takes ${wf.spec.answerType} answers; ${tool} needs a workflow with answerType "${type}"`);
  }
}

/** The item's decision as the tool reports it, or pending; waits up to `seconds`. */
async function decisionStatus(engine: Engine, principal: Principal, itemId: string, seconds: number, signal: AbortSignal): Promise<Status> {
  const { item, decision } = await awaitDecision(engine, principal, itemId, seconds * 1000, signal);
  const pending: Status = { status: 'pending', item_id: item.id, message: `no decision yet; call get_decision with item_id "${item.id}" later` };
  if (!decision) return pending;
  const history = await itemHistory(engine, principal, item.id);
  // In blind mode the machine's decision on an item still under audit is only its suggestion.
  if (decision.source === 'machine' && !isLead(principal) && history.suggestionHidden) return pending;
  const outcome = decision.outcome as Outcome;
  switch (outcome.type) {
    case 'approve': {
      // The reviewer's note says why; a lead's correction or an escalation carries its own reason.
      const note = [...history.answers].reverse().find((a) => a.note)?.note ?? null;
      const reason = outcome.verdict === 'approve' ? null : (note ?? decision.reason ?? null);
      const args = outcome.verdict === 'edit' ? outcome.edited : item.fields;
      return { status: 'decided', item_id: item.id, verdict: outcome.verdict, reason, arguments: args };
    }
    case 'text':
    case 'reply':
      return { status: 'decided', item_id: item.id, answer: outcome.text };
    case 'label':
      return { status: 'decided', item_id: item.id, label: outcome.label };
  }
}

export function createTandemMcpServer(engine: Engine, principal: Principal, log: (line: string) => void = () => {}): McpServer {
  const server = new McpServer({ name: 'tandem', version });

  server.registerTool(
    'request_approval',
    {
      title: 'Ask a person to approve an action',
      description:
        'Files the action you are about to take, with its arguments, for a person to approve, reject (with a reason) or edit. Run the action only when the verdict is "approve", or "edit" (then with the returned arguments); on "reject" do not run it and read the reason.',
      inputSchema: {
        workflow: workflowName,
        action: z.string().min(1).max(200).describe('What you want to do, e.g. "refund" or "send_email"'),
        arguments: z.record(z.string(), z.unknown()).describe('The action\'s arguments, as you would call it'),
        summary: z.string().min(1).max(10_000).optional().describe('One or two sentences for the person: what and why'),
        wait_seconds: waitSeconds,
      },
    },
    (input, extra) =>
      guarded(log, async () => {
        await requireAnswerType(engine, principal, input.workflow, 'approve', 'request_approval');
        const submitted = await submitItem(engine, principal, {
          workflow: input.workflow,
          text: input.summary ?? `${input.action}(${JSON.stringify(input.arguments)})`,
          fields: input.arguments,
          metadata: { action: input.action, via: 'mcp' },
        });
        return result(await decisionStatus(engine, principal, submitted.itemId, input.wait_seconds ?? 0, extra.signal));
      }),
  );

  server.registerTool(
    'ask_human',
    {
      title: 'Ask a person a question',
      description: 'Puts a free-text question in a queue of people and returns their answer (or an item id to poll with get_decision).',
      inputSchema: {
        workflow: workflowName,
        question: z.string().min(1).max(100_000).describe('The question, with the context a person needs to answer it'),
        wait_seconds: waitSeconds,
      },
    },
    (input, extra) =>
      guarded(log, async () => {
        await requireAnswerType(engine, principal, input.workflow, 'text', 'ask_human');
        const submitted = await submitItem(engine, principal, { workflow: input.workflow, text: input.question, metadata: { via: 'mcp' } });
        return result(await decisionStatus(engine, principal, submitted.itemId, input.wait_seconds ?? 0, extra.signal));
      }),
  );

  server.registerTool(
    'get_decision',
    {
      title: 'Get the decision on an item',
      description: 'The decision on an item filed with request_approval or ask_human, or status "pending"; optionally waits for it.',
      inputSchema: {
        item_id: z.uuid('must be an item id (a UUID) returned by request_approval or ask_human'),
        wait_seconds: waitSeconds,
      },
    },
    (input, extra) => guarded(log, async () => result(await decisionStatus(engine, principal, input.item_id, input.wait_seconds ?? 0, extra.signal))),
  );

  return server;
}

/** The principal of an API key; people's sessions are for the web app, not for agents. */
export async function keyPrincipal(engine: Engine, token: string): Promise<Principal> {
  const principal = await engine.auth.authenticate(engine.db, token);
  if (principal.kind !== 'key') throw unauthorized('the MCP server takes an API key (tandem keys create), not a session token');
  return principal;
}

export async function serveMcpStdio(engine: Engine, apiKey: string, log: (line: string) => void): Promise<{ closed: Promise<void> }> {
  const principal = await keyPrincipal(engine, apiKey);
  const server = createTandemMcpServer(engine, principal, log);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice the client going away; stdin ending means it did.
  process.stdin.once('end', () => void server.close());
  return { closed };
}

export interface McpHttp {
  url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/**
 * Streamable HTTP at /mcp, stateless: each POST is authenticated from its bearer token and served
 * by a server of its own, so no session outlives a request and keys never share one.
 */
export async function serveMcpHttp(engine: Engine, options: { host?: string; port: number; log: (line: string) => void }): Promise<McpHttp> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/mcp') return sendJson(res, 404, rpcError(-32000, 'not found; the MCP endpoint is /mcp'));
    if (req.method !== 'POST') return sendJson(res, 405, rpcError(-32000, 'method not allowed: this server is stateless, use POST'), { allow: 'POST' });
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    let principal: Principal;
    try {
      if (!token) throw unauthorized('send an API key as Authorization: Bearer <key>');
      principal = await keyPrincipal(engine, token);
    } catch (err) {
      if (err instanceof EngineError) return sendJson(res, 401, rpcError(-32001, err.message), { 'www-authenticate': 'Bearer' });
      throw err;
    }
    const server = createTandemMcpServer(engine, principal, options.log);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log(`mcp request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'internal error'));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
