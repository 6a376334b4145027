// A LangChain.js tool that needs a person's approval: the tool's function is wrapped in
// requireApproval, so when the agent invokes it, Tandem files an approval item with the
// arguments and the refund runs only once a reviewer approved it (or edited the arguments). A
// rejection becomes the tool's output, with the reviewer's reason, for the agent to act on.
//
// This file does not install LangChain: `tool` below has the shape of
//   import { tool } from '@langchain/core/tools';
// — tool(fn, { name, description, schema }) returns a tool whose invoke(input, config) calls
// fn(input, config). With the real package, hand refundTool to createReactAgent / bindTools.
//
//   npm start                                       # in one terminal
//   TANDEM_TOKEN=<admin session or key> node examples/agent-langchain.mjs
//   # then answer the task in workflow "refund-approval" at http://127.0.0.1:3000
import { z } from 'zod';
import { ApprovalRejectedError, createClient, requireApproval } from 'tandem/sdk';

// Stands in for `tool` from '@langchain/core/tools' (same arguments, same invoke).
const tool = (fn, fields) => ({ ...fields, invoke: async (input, config) => fn(fields.schema.parse(input), config) });

const baseUrl = process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';
const token = process.env.TANDEM_TOKEN;
if (!token) {
  console.error('set TANDEM_TOKEN: sign in (POST /v1/sessions) as an admin, or create a key with `tandem keys create`');
  process.exit(1);
}
const workflow = 'refund-approval';
const client = createClient({ baseUrl, token });
await ensureWorkflow();

async function refund({ orderId, amount }) {
  return `refunded ${amount} EUR on order ${orderId}`;
}

const approvedRefund = requireApproval(refund, { client, workflow, timeoutMs: 10 * 60_000 });

export const refundTool = tool(
  async (input, config) => {
    try {
      return await approvedRefund(input, config);
    } catch (err) {
      if (err instanceof ApprovalRejectedError) return `The refund was rejected by a person: ${err.reason}`;
      throw err;
    }
  },
  {
    name: 'refund',
    description: 'Refund an order. A person approves every refund before it is made.',
    schema: z.object({ orderId: z.string().describe('The order to refund'), amount: z.number().positive().describe('Amount in EUR') }),
  },
);

// What the agent executor does when the model calls the tool.
const input = { orderId: process.env.ORDER_ID ?? `L-${Date.now() % 100_000}`, amount: Number(process.env.AMOUNT ?? 80) };
console.log(`the agent invokes refund(${JSON.stringify(input)}); waiting for a person in workflow "${workflow}"…`);
console.log('tool output:', await refundTool.invoke(input, { runName: 'refund' }));

async function ensureWorkflow() {
  const res = await fetch(`${baseUrl}/v1/workflows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: workflow,
      answerType: 'approve',
      inputSchema: { type: 'object', required: ['orderId', 'amount'], properties: { orderId: { type: 'string' }, amount: { type: 'number' } } },
    }),
  });
  if (!res.ok && res.status !== 409) throw new Error(`creating workflow ${workflow}: ${res.status} ${await res.text()}`);
}
