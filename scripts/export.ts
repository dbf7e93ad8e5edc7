// `npm run export -- --url URL --out FILE [--email E --password P | --token T]`: writes the replay log
// (stations, agent settings, every stored signal in the order the server took it in, and the
// decisions it made) of every station the account may see, as NDJSON. An auditor's account is enough.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { exportLog } from './replay/export.js';
import { login } from './sim/transports.js';

const USAGE = 'usage: npm run export -- --url http://127.0.0.1:3000 --out log.ndjson [--email E --password P | --token T]';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      out: { type: 'string' },
      email: { type: 'string', default: process.env.COPILOT_EMAIL },
      password: { type: 'string', default: process.env.COPILOT_PASSWORD },
      token: { type: 'string', default: process.env.COPILOT_TOKEN },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (!values.out) throw new Error('--out is required');
  const token =
    values.token ?? (values.email && values.password ? (await login(values.url, values.email, values.password)).token : undefined);
  if (!token)
    throw new Error('credentials are required: --email and --password, or --token (or COPILOT_EMAIL/COPILOT_PASSWORD, COPILOT_TOKEN)');
  const lines = await exportLog(values.url, token);
  await writeFile(values.out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'utf8');
  const count = (k: string) => lines.filter((l) => l.kind === k).length;
  console.log(`export: ${count('station')} stations, ${count('signal')} signals, ${count('decision')} decisions written to ${values.out}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`export: ${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  });
}
