// tandem/sdk: a typed client for Tandem, usable from Node 20 and browsers; no import from the server.
export { createClient, DecisionTimeoutError, TandemError, type Client, type ClientOptions, type WaitOptions } from './client.ts';
export { ApprovalRejectedError, requireApproval, rejectionReason, type ApprovalOptions, type ToolArgs } from './approval.ts';
export { verifyWebhook, type WebhookHeaders } from './webhook.ts';
export * from './types.ts';
