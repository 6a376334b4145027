// Reading a command's flags. A mistake in them is the user's, not the program's: it is thrown as a
// UsageError, which main.ts prints as one line with exit code 2 instead of a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type FlagValues<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true }>>['values'];

/** parseArgs, strict; an unknown or malformed flag is a UsageError, followed by `usage` when given. */
export function parseFlags<const O extends FlagOptions>(args: string[], options: O, usage?: string): FlagValues<O> {
  try {
    return parseArgs({ args, options, strict: true }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(usage === undefined ? message : `${message}\n${usage}`);
  }
}

/** A number flag: undefined when absent; anything but a finite number passing `ok` is a UsageError saying it must be `what`. */
export function numberFlag(name: string, raw: string | undefined, ok: (n: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name} must be ${what}, got "${raw}"`);
  return n;
}
