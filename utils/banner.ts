// What `npm start` prints once the copilot listens: where the console is, how to sign in, what runs.
// Plain text on stdout (the logs are separate); the first line keeps "listening on <url>" for scripts.

export interface BannerFacts {
  url: string;
  /** The first admin, when this start created it: its generated password (null when ADMIN_PASSWORD set it). */
  createdAdmin: { email: string; password: string | null } | null;
  /** ADMIN_EMAIL, for the reminder on later starts. */
  adminEmail: string | null;
  demo: { stations: number; simulating: boolean; scenario: string } | null;
  /** The data folder, when the embedded database runs. */
  embeddedDataDir: string | null;
}

export function banner(f: BannerFacts): string {
  const rows: [string, string][] = [
    ['Console', `${f.url}/`],
    ['API', `${f.url}/api (OpenAPI document at ${f.url}/api/openapi.json)`],
  ];
  if (f.createdAdmin?.password)
    rows.push([
      'Sign in',
      `${f.createdAdmin.email} with the one-time password ${f.createdAdmin.password} (shown only now; the console then asks you to choose your own)`,
    ]);
  else if (f.createdAdmin) rows.push(['Sign in', `${f.createdAdmin.email} with ADMIN_PASSWORD`]);
  else rows.push(['Sign in', `as ${f.adminEmail ?? 'the first admin'} (its one-time password was printed at the first start)`]);
  if (f.demo)
    rows.push([
      'Demo',
      f.demo.simulating
        ? `${f.demo.stations} stations, the simulator feeding them (scenario ${f.demo.scenario}; SIMULATE=0 turns it off)`
        : `${f.demo.stations} stations, idle (SIMULATE=1 feeds them the simulator)`,
    ]);
  if (f.embeddedDataDir)
    rows.push(['Data', `${f.embeddedDataDir} (embedded database, signal journal and chain; for demos and development)`]);
  rows.push(['Stop', 'Ctrl+C (acknowledged signals are kept)']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    '',
    `Station-operations copilot listening on ${f.url} (console at /, API under /api)`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    '',
  ].join('\n');
}
