// `tandem mcp`: the MCP server on stdio (one API key from the environment) or on streamable HTTP
// (a key per request), over the same database as `tandem serve`.
import { createEngine } from '../engine/engine.ts';
import { serveMcpHttp, serveMcpStdio } from '../mcp/server.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { Config } from './config.ts';

/** Runs until stdin closes (stdio) or a signal comes; returns -1 so main leaves the process running. */
export async function mcpCommand(config: Config, options: { httpPort: number | null; apiKey: string | null }): Promise<number> {
  // On stdio, standard output carries the protocol: everything else goes to standard error.
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: Math.min(config.poolSize, 4) });
  await migrate(db);
  const engine = await createEngine(db, { adminKey: config.adminKey, leaseSeconds: config.leaseSeconds });
  const shutdown = async (stopServer: () => Promise<void>) => {
    await stopServer();
    await engine.close();
    await db.close();
  };
  try {
    if (options.httpPort !== null) {
      const http = await serveMcpHttp(engine, { host: '127.0.0.1', port: options.httpPort, log });
      log(`Tandem MCP server on ${http.url} (streamable HTTP; Authorization: Bearer <API key>)`);
      const stop = () => void shutdown(http.close).then(() => process.exit(0), () => process.exit(1));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } else {
      const { closed } = await serveMcpStdio(engine, options.apiKey ?? '', log);
      void closed.then(() => shutdown(async () => {})).then(() => process.exit(0), () => process.exit(1));
    }
  } catch (err) {
    await shutdown(async () => {});
    throw err;
  }
  return -1;
}
