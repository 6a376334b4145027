import { z } from 'zod';

/** The outcome fields of an answer or a correction; which are required depends on the workflow. */
export const outcomeBody = z.object({
  label: z.string().min(1).max(100).optional().describe('For label workflows: the chosen label'),
  verdict: z.enum(['approve', 'reject', 'edit']).optional().describe('For approve workflows'),
  edited: z.record(z.string(), z.unknown()).optional().describe('For verdict "edit": the corrected fields'),
  text: z.string().max(100_000).optional().describe('For text workflows: the reply'),
});
