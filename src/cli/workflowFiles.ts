// Workflow specs from files: JSON or YAML, one spec or a list of them.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { workflowSpec, type WorkflowSpec } from '../core/workflow.ts';

export function readWorkflowFile(file: string): WorkflowSpec[] {
  const text = readFileSync(file, 'utf8');
  const data: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  const list = Array.isArray(data) ? data : [data];
  return list.map((entry, i) => {
    const parsed = workflowSpec.safeParse(entry);
    if (!parsed.success) {
      const where = parsed.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ');
      throw new Error(`${file}: workflow ${i + 1} is invalid: ${where}`);
    }
    return parsed.data;
  });
}
