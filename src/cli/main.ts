#!/usr/bin/env -S node --max-semi-space-size=32
// The `tandem` command. Each subcommand is a small function; errors a user can fix are printed
// as one line, never a stack trace.
import { parseArgs } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import type { Db } from '../store/db.ts';
import { configFromEnv } from './config.ts';
import { UsageError } from './flags.ts';

// Each command loads what it uses when it runs: `tandem help` or a usage error need neither the
// database driver nor the server, and loading every module took about a second per command.

const usage = `tandem — human-in-the-loop decisions

usage:
  tandem serve [--port N] [--host H] [--workflows FILE]... [--no-demo]
      Serve the HTTP API (default http://127.0.0.1:3000). FILE is a JSON or YAML workflow spec
      (or a list of them), created or updated at start.
  tandem migrate
      Apply the database migrations and exit.
  tandem users add --email E [--name N] [--role reviewer|lead|admin] [--workflows a,b] [--skills x,y] [--password P]
      Add a person; prints the password once when none is given.
  tandem keys create --name N [--role service|admin] [--workflows a,b]
      Create an API key; prints it once.
  tandem import labels FILE.csv|FILE.jsonl --workflow NAME [--text-column text] [--label-column label]
      Add labelled history to a workflow's training examples (warms up a built-in model);
      refused rows are listed with their reason, and a re-run adds nothing twice.
  tandem import items FILE.csv|FILE.jsonl --workflow NAME [--text-column text] [--key-column id]
                      [--fields a,b] [--metadata c,d] [--json]
      Submit each row as an item, routed like live traffic; a re-run skips rows already in (by
      --key-column, else by row content), rejected rows are listed with their row and reason.
  tandem bench routing --train FILE --test FILE [--text-column text] [--label-column label]
                       [--target-accuracy 0.97] [--reviewer-accuracy 0.98] [--handle-seconds 30]
                       [--audit-rate 0.02] [--cold-start] [--retrain-every N] [--chart FILE.svg]
                       [--json] [--seed N]
      Run the engine on a throw-away embedded database with simulated reviewers on a labelled
      CSV/JSONL data set: model accuracy, final accuracy, share of items people touched,
      human-hours, Tandem's estimate and the oracle share; --cold-start adds a learning curve.
  tandem plan --arrivals-per-hour N --handle-seconds S [--service-level 0.8] [--within-seconds 60]
             [--automation-rate R] [--shrinkage X] [--patience-seconds P] [--json]
  tandem plan --workflow NAME [same options, each overriding a measurement] [--json]
      Reviewers needed to start a share of the items reaching people within a target wait
      (Erlang C; Erlang A with --patience-seconds), with shrinkage; --workflow measures arrivals,
      handle time and automation on the workflow and adds a what-if over thresholds.
  tandem simulate (--reviewers N | --find-reviewers) [--arrivals-per-hour 600] [--surge 3x@10:00-14:00]...
                  [--profile FILE.json] [--hours 24] [--service-level 0.8] [--within-seconds 60]
                  [--handle-seconds 60] [--workflow NAME] [--seed N] [--svg FILE] [--json]
      A discrete-event simulation of a day with a surge through the real routing policy and N
      reviewers: waits, share started in time, accuracy and cost per hour, with and without the
      surge policy; --find-reviewers gives the least team meeting the target during the surge.
      Run tandem simulate --help for every option.
  tandem report quality --workflow NAME [--from DATE] [--to DATE] [--format md|json|html] [--out FILE]
      The quality of the people on a workflow: agreement, reviewer accuracy (gold and
      Dawid-Skene), bias audit per auditable attribute, automation bias; HTML has charts.
      Written to FILE, or to standard output.
  tandem export labels --workflow NAME [--format csv|jsonl] [--out FILE]
      Human-verified examples (text, label, how many people answered and how far they agreed)
      for training outside models. Written to FILE, or to standard output.
  tandem export audit --workflow NAME [--format jsonl] [--out FILE]
      The full decision history, one item a line: input, prediction, route, tasks, answers
      with their reviewers, decisions with their actors, events, all with times.
  tandem mcp [--http PORT]
      An MCP server for AI agents (tools request_approval, ask_human, get_decision), scoped to the
      API key in TANDEM_API_KEY, on stdio; --http serves streamable HTTP at
      http://127.0.0.1:PORT/mcp instead, each request with Authorization: Bearer <API key>.

environment:
  DATABASE_URL         postgres://… of a Postgres server; unset: embedded PGlite in TANDEM_DATA_DIR
  TANDEM_DATA_DIR      embedded database folder (default ./.tandem/data)
  PORT, TANDEM_HOST    where to listen (default 3000 on 127.0.0.1)
  TANDEM_ADMIN_KEY     a key that acts as an admin API key (scripts, tests)
  TANDEM_LEASE_SECONDS default task lease (300); TANDEM_TICK_MS background job interval (1000)
  TANDEM_RATE_LIMIT    requests per minute per key (6000); TANDEM_BODY_LIMIT bytes (262144)
  TANDEM_POOL_SIZE     Postgres connections per process (10), and TANDEM_INTAKE_POOL_SIZE more
                       (8) kept for submits, so that intake never queues behind reviewers' work;
                       3 more for LISTEN and claims
`;

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

async function withDb<T>(fn: (db: Db) => Promise<T>, options = { migrate: true }): Promise<T> {
  const config = configFromEnv();
  const [{ openDb }, { migrate }] = await Promise.all([import('../store/db.ts'), import('../store/migrate.ts')]);
  const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    if (options.migrate) await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function checkWorkflows(db: Db, names: string[]): Promise<void> {
  const { missingWorkflows } = await import('../store/workflows.ts');
  const [missing] = await missingWorkflows(db, names);
  if (missing !== undefined) throw new UsageError(`no workflow named "${missing}"`);
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({
        args: argv.slice(1),
        options: { port: { type: 'string' }, host: { type: 'string' }, workflows: { type: 'string', multiple: true }, 'no-demo': { type: 'boolean' } },
        strict: true,
      });
      const config = configFromEnv({ ...process.env, ...(values.port ? { PORT: values.port } : {}), ...(values.host ? { TANDEM_HOST: values.host } : {}) });
      const log = (line: string) => process.stdout.write(`${line}\n`);
      const { serve } = await import('./serve.ts');
      const running = await serve(config, { workflowFiles: values.workflows ?? [], demo: !values['no-demo'], log });
      log(`Tandem is serving on ${running.url} (${running.engine.db.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'Postgres server'}); API document: ${running.url}/v1/openapi.json`);
      const stop = () => {
        log('stopping…');
        running.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1;
    }
    case 'migrate': {
      // Not migrated by withDb first, or a fresh database would always be reported up to date.
      const { migrate } = await import('../store/migrate.ts');
      const applied = await withDb((db) => migrate(db), { migrate: false });
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      return 0;
    }
    case 'users': {
      if (sub !== 'add') throw new UsageError('usage: tandem users add --email E [--role …]');
      const { values } = parseArgs({
        args: rest,
        options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, workflows: { type: 'string' }, skills: { type: 'string' }, password: { type: 'string' } },
        strict: true,
      });
      if (!values.email) throw new UsageError('--email is required');
      const role = values.role ?? 'reviewer';
      if (role !== 'reviewer' && role !== 'lead' && role !== 'admin') throw new UsageError('--role must be reviewer, lead or admin');
      if (values.password !== undefined && values.password.length < 8) throw new UsageError('--password must be at least 8 characters');
      const { addReviewer } = await import('../engine/access.ts');
      const r = await withDb(async (db) => {
        await checkWorkflows(db, list(values.workflows));
        return addReviewer(db, { email: values.email!, name: values.name, role, skills: list(values.skills), workflows: list(values.workflows), password: values.password });
      });
      process.stdout.write(`added ${r.reviewer.email} (${r.reviewer.role})${values.password ? '' : `; password (shown once): ${r.password}`}\n`);
      return 0;
    }
    case 'keys': {
      if (sub !== 'create') throw new UsageError('usage: tandem keys create --name N [--role service|admin] [--workflows a,b]');
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, role: { type: 'string' }, workflows: { type: 'string' } }, strict: true });
      if (!values.name) throw new UsageError('--name is required');
      const role = values.role ?? 'service';
      if (role !== 'service' && role !== 'admin') throw new UsageError('--role must be service or admin');
      const workflows = values.workflows ? list(values.workflows) : null;
      const { createApiKey } = await import('../engine/access.ts');
      const { token } = await withDb(async (db) => {
        if (workflows) await checkWorkflows(db, workflows);
        return createApiKey(db, { name: values.name!, role, workflows });
      });
      process.stdout.write(`${token}\n`);
      process.stderr.write('this key is shown once; store it now\n');
      return 0;
    }
    case 'import': {
      if (sub === 'items') {
        const { importItemsCommand } = await import('./importItemsCommand.ts');
        return await importItemsCommand(rest, withDb);
      }
      if (sub !== 'labels') throw new UsageError('usage: tandem import labels|items FILE --workflow NAME');
      const { values, positionals } = parseArgs({
        args: rest,
        options: { workflow: { type: 'string' }, 'text-column': { type: 'string' }, 'label-column': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const file = positionals[0];
      if (!file || positionals.length > 1) throw new UsageError('name one file: tandem import labels FILE --workflow NAME');
      if (!values.workflow) throw new UsageError('--workflow is required');
      if (!existsSync(file)) throw new UsageError(`no file ${file}`);
      const [{ readRows }, { createWorkflowCache }, { importLabels }] = await Promise.all([
        import('./tables.ts'), import('../engine/workflows.ts'), import('../engine/importLabels.ts'),
      ]);
      const rows = readRows(file);
      const report = await withDb(async (db) => {
        await checkWorkflows(db, [values.workflow!]);
        const wf = await createWorkflowCache().get(db, values.workflow!);
        return importLabels(db, wf, rows, { text: values['text-column'] ?? 'text', label: values['label-column'] ?? 'label' }, (done, total) =>
          process.stderr.write(`\rimporting ${done}/${total}`),
        );
      });
      process.stderr.write('\n');
      process.stdout.write(`read ${report.read} rows: imported ${report.imported}, already there ${report.skipped}, refused ${report.rejected.length}\n`);
      for (const r of report.rejected.slice(0, 20)) process.stdout.write(`  row ${r.row}: ${r.reason}\n`);
      if (report.rejected.length > 20) process.stdout.write(`  … and ${report.rejected.length - 20} more\n`);
      return report.imported + report.skipped > 0 || report.read === 0 ? 0 : 1;
    }
    case 'bench': {
      if (sub !== 'routing') throw new UsageError('usage: tandem bench routing --train FILE --test FILE [options]; run tandem bench routing --help');
      const { benchRoutingCommand } = await import('./benchRouting.ts');
      return benchRoutingCommand(rest);
    }
    case 'plan': {
      const { planCommand } = await import('./planCommand.ts');
      return planCommand(argv.slice(1), withDb);
    }
    case 'simulate': {
      const { simulateCommand } = await import('./simulateCommand.ts');
      return simulateCommand(argv.slice(1), withDb);
    }
    case 'report': {
      if (sub !== 'quality') throw new UsageError('usage: tandem report quality --workflow NAME [--from DATE] [--to DATE] [--format md|json|html] [--out FILE]');
      const { values } = parseArgs({
        args: rest,
        options: { workflow: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
        strict: true,
      });
      if (!values.workflow) throw new UsageError('--workflow is required');
      const format = values.format ?? 'md';
      if (format !== 'md' && format !== 'json' && format !== 'html') throw new UsageError('--format must be md, json or html');
      const date = (name: string, v: string | undefined): Date | null => {
        if (v === undefined) return null;
        const d = new Date(v);
        if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date or date-time, e.g. 2025-01-31`);
        return d;
      };
      const period = { from: date('from', values.from), to: date('to', values.to) };
      if (period.from && period.to && period.from >= period.to) throw new UsageError('--from must be before --to');
      const { reportQualityCommand } = await import('./reportQuality.ts');
      const text = await withDb(async (db) => {
        await checkWorkflows(db, [values.workflow!]);
        return reportQualityCommand(db, values.workflow!, period, format);
      });
      if (values.out) {
        writeFileSync(values.out, text);
        process.stderr.write(`wrote ${values.out}\n`);
      } else process.stdout.write(text);
      return 0;
    }
    case 'export': {
      const { values } = parseArgs({ args: rest, options: { workflow: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, strict: true });
      if (sub !== 'labels' && sub !== 'audit') throw new UsageError('usage: tandem export labels|audit --workflow NAME [--format …] [--out FILE]');
      if (!values.workflow) throw new UsageError('--workflow is required');
      const format = values.format ?? (sub === 'labels' ? 'csv' : 'jsonl');
      if (sub === 'labels' && format !== 'csv' && format !== 'jsonl') throw new UsageError('--format must be csv or jsonl');
      if (sub === 'audit' && format !== 'jsonl') throw new UsageError('--format must be jsonl');
      const { exportCommand } = await import('./exportCommand.ts');
      const { written } = await withDb(async (db) => {
        await checkWorkflows(db, [values.workflow!]);
        return exportCommand(db, { what: sub, workflow: values.workflow!, format: format as 'csv' | 'jsonl', out: values.out ?? null });
      });
      process.stderr.write(`exported ${written} ${sub === 'labels' ? 'labelled items' : 'items'}${values.out ? ` to ${values.out}` : ''}\n`);
      return 0;
    }
    case 'mcp': {
      const { values } = parseArgs({ args: argv.slice(1), options: { http: { type: 'string' } }, strict: true });
      const port = values.http === undefined ? null : Number(values.http);
      if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--http must be a port number');
      if (port === null && !process.env.TANDEM_API_KEY) throw new UsageError('set TANDEM_API_KEY to an API key (tandem keys create) for the stdio MCP server');
      const { mcpCommand } = await import('./mcp.ts');
      return mcpCommand(configFromEnv(), { httpPort: port, apiKey: process.env.TANDEM_API_KEY ?? null });
    }
    default:
      throw new UsageError(`unknown command "${command}"; run tandem help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const known = err instanceof UsageError || (err instanceof Error && ('code' in err ? String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS') : false));
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tandem: ${message}\n`);
    if (!known && process.env.TANDEM_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
    process.exitCode = known ? 2 : 1;
  },
);
