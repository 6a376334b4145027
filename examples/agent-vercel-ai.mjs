// A Vercel AI SDK tool that needs a person's approval: `execute` is wrapped in requireApproval,
// so when the model calls the tool, Tandem files an approval item with the arguments and the
// refund runs only once a reviewer approved it (or edited the amount). A rejection goes back to
// the model as the tool's result, with the reviewer's reason, so the agent can tell the user.
//
// This file does not install the `ai` package: `tool` below has the same shape as
//   import { tool } from 'ai';
// (which returns its argument, typed), and the model's tool call is made by hand at the end.
// With the real SDK, pass { refund: refundTool } as `tools` to generateText / streamText.
//
//   npm start                                       # in one terminal
//   TANDEM_TOKEN=<admin session or key> node examples/agent-vercel-ai.mjs
//   # then answer the task in workflow "refund-approval" at http://127.0.0.1:3000
import { z } from 'zod';
import { ApprovalRejectedError, createClient, requireApproval } from 'tandem/sdk';

const tool = (definition) => definition; // stands in for `tool` from 'ai'

const baseUrl = process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';
const token = process.env.TANDEM_TOKEN;
if (!token) {
  console.error('set TANDEM_TOKEN: sign in (POST /v1/sessions) as an admin, or create a key with `tandem keys create`');
  process.exit(1);
}
const workflow = 'refund-approval';
const client = createClient({ baseUrl, token });
await ensureWorkflow();

/** The side effect itself: what must not happen without a person's yes. */
async function refund({ orderId, amount }) {
  return { status: 'refunded', orderId, amount };
}

const approvedRefund = requireApproval(refund, {
  client,
  workflow,
  timeoutMs: 10 * 60_000,
  // The same refund asked again (a retried step) finds the first approval instead of filing another.
  idempotencyKey: (args) => `refund-${args.orderId}-${args.amount}`,
});

export const refundTool = tool({
  description: 'Refund an order. A person approves every refund before it is made.',
  parameters: z.object({ orderId: z.string().describe('The order to refund'), amount: z.number().positive().describe('Amount in EUR') }),
  execute: async (args, options) => {
    try {
      return await approvedRefund(args, options);
    } catch (err) {
      if (err instanceof ApprovalRejectedError) return { status: 'rejected by a person', reason: err.reason };
      throw err;
    }
  },
});

// What generateText does when the model calls the tool: validate the arguments, call execute.
const args = refundTool.parameters.parse({ orderId: process.env.ORDER_ID ?? `V-${Date.now() % 100_000}`, amount: Number(process.env.AMOUNT ?? 120) });
console.log(`the model calls refund(${JSON.stringify(args)}); waiting for a person in workflow "${workflow}"…`);
const result = await refundTool.execute(args, { toolCallId: 'call_1', messages: [] });
console.log('tool result:', JSON.stringify(result));

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
