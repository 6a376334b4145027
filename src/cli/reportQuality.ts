// `tandem report quality`: reads the workflow's quality statistics from the database and renders them.
import { qualityReportWithExamples, type Period } from '../engine/quality.ts';
import { createWorkflowCache } from '../engine/workflows.ts';
import type { Queryable } from '../store/db.ts';
import { renderHtml, renderMarkdown } from './qualityReport.ts';

export type ReportFormat = 'md' | 'json' | 'html';

export async function reportQualityCommand(db: Queryable, workflow: string, period: Period, format: ReportFormat): Promise<string> {
  const wf = await createWorkflowCache().get(db, workflow);
  const input = await qualityReportWithExamples(db, wf, period);
  if (format === 'json') return `${JSON.stringify(input, null, 2)}\n`;
  return format === 'html' ? renderHtml(input) : renderMarkdown(input);
}
