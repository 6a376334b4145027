// The TypeScript SDK (tandem/sdk) in a few lines: make sure an approve workflow exists, submit an
// item, wait for a person's decision, then ask again through requireApproval around a function.
//
//   npm start                                       # in one terminal
//   TANDEM_TOKEN=<admin session or key> node examples/sdk-basic.mjs
//   # then open http://127.0.0.1:3000, claim the task in workflow "refund-approval" and answer it
//
// Settings (environment): TANDEM_URL (default http://127.0.0.1:3000), TANDEM_TOKEN (required).
import { ApprovalRejectedError, createClient, requireApproval } from 'tandem/sdk';

const baseUrl = process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';
const token = process.env.TANDEM_TOKEN;
if (!token) {
  console.error('set TANDEM_TOKEN: sign in (POST /v1/sessions) as an admin, or create a key with `tandem keys create`');
  process.exit(1);
}
const workflow = 'refund-approval';
const client = createClient({ baseUrl, token });

// An approve workflow whose fields are a refund; 409 means it is there already.
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

// 1. The plain client: submit (a retry with the same key returns the same item), wait, read.
const orderId = `A-${Date.now() % 100_000}`;
const item = await client.submit(workflow, { text: `Refund order ${orderId}`, fields: { orderId, amount: 42 } }, { idempotencyKey: `refund-${orderId}` });
console.log(`submitted item ${item.id} (route ${item.route.route}); waiting for a person…`);
const decision = await client.waitForDecision(item.id, { timeoutMs: 10 * 60_000 });
console.log(`decided by ${decision.source} (${decision.actor}):`, JSON.stringify(decision.outcome));

// 2. requireApproval: the function runs only after a person approved (or edited) its arguments.
async function refund({ orderId, amount }) {
  return `refunded ${amount} on order ${orderId}`;
}
const approvedRefund = requireApproval(refund, { client, workflow, timeoutMs: 10 * 60_000 });
try {
  console.log('asking for approval of refund(orderId: B-7, amount: 250)…');
  console.log(await approvedRefund({ orderId: 'B-7', amount: 250 }));
} catch (err) {
  if (!(err instanceof ApprovalRejectedError)) throw err;
  console.log(`rejected: ${err.reason}`);
}
