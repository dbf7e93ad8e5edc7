// What `npm test` needs beyond npm packages: a redis-server binary (the integration tests start their
// own on a free loopback port) and Chromium (the console's browser tests). Found on PATH, nothing happens; missing, it is installed from Debian's
// packages when this user may (root, or sudo without a password); otherwise the test run stops at once
// with one line saying the command to run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const NEEDED = [
  { binary: 'redis-server', debianPackage: 'redis-server', why: 'the integration tests start their own' },
  { binary: 'chromium', debianPackage: 'chromium', why: "the console's browser tests drive it headless" },
];

/** The binary's path on PATH, or null. */
export function onPath(binary: string, envPath = process.env.PATH ?? ''): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, binary);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

function run(cmd: string, args: string[]): boolean {
  return (
    spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status ===
    0
  );
}

/** How this user may install Debian packages: directly (root), through sudo without a password, or not at all. */
function installer(): string[] | null {
  if (process.env.TEST_PREREQS_NO_INSTALL === '1' || !onPath('apt-get')) return null;
  if (process.getuid?.() === 0) return [];
  return onPath('sudo') && run('sudo', ['-n', 'true']) ? ['sudo', '-n'] : null;
}

function main(): number {
  const missing = NEEDED.filter((n) => !onPath(n.binary));
  if (missing.length === 0) return 0;
  const packages = missing.map((m) => m.debianPackage);
  const prefix = installer();
  if (prefix) {
    process.stderr.write(`npm test: installing ${packages.join(', ')} from Debian (${missing.map((m) => m.why).join('; ')})\n`);
    const [cmd, ...pre] = prefix.length ? prefix : ['apt-get'];
    const apt = prefix.length ? ['apt-get'] : [];
    if (run(cmd!, [...pre, ...apt, 'update', '-qq']) && run(cmd!, [...pre, ...apt, 'install', '-y', '-qq', ...packages])) {
      if (missing.every((m) => onPath(m.binary))) return 0;
    }
  }
  process.stderr.write(
    `npm test needs ${missing.map((m) => `${m.binary} (${m.why})`).join(', ')}: run "sudo apt-get install -y ${packages.join(' ')}", then npm test again\n`,
  );
  return 1;
}

if (require.main === module) process.exit(main());
