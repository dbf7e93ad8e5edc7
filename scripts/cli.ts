// Shared by the command-line scripts: a usage error (exit code 2), flag parsing that names the flag, and
// the main block that turns a script's parse and run into exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export function numberFlag(name: string, raw: string, min: number, max: number, integer: boolean): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** `--name value` flags only, strictly: an unknown flag, a missing value or a positional is a UsageError naming it. */
export function parseFlags<const F extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: F) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Runs a script that starts child servers: usage errors exit 2 with the usage, `--help` (parse answers
 * null) prints it, a failure exits 1; `cleanup` runs whatever ends the run, Ctrl-C included, so no
 * child is left behind.
 */
export function runMain<O>(
  name: string,
  usage: string,
  parse: (argv: string[]) => O | null,
  run: (o: O) => Promise<void>,
  cleanup: () => Promise<void>,
): void {
  let options: O | null;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
    process.exit(2);
  }
  if (options === null) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  run(options)
    .then(cleanup)
    .catch(async (err: unknown) => {
      process.stderr.write(`${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      await cleanup();
      process.exit(1);
    });
}
