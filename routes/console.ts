// The operator and auditor console: the static files Vite built from web/ into dist/console/, served at
// `/`, with index.html for the console's own paths (a reload of /stations/st-1 finds the page). Its
// Content-Security-Policy lets the page talk to this server and, for the in-browser Verify, to the
// chain's public JSON-RPC URL, and to nothing else.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { projectFile } from '../utils/paths.js';

/** Where `npm run build:console` writes the console (kept out of the API's paths). */
export const CONSOLE_DIR = projectFile('dist', 'console');

/** Paths that belong to the API, sockets or metrics: never answered with the console's page. */
const NOT_CONSOLE = /^\/(?:api|socket\.io|metrics)(?:\/|$)/;

export interface ConsoleDeps {
  /** The folder holding index.html and assets/ (CONSOLE_DIR unless a test builds elsewhere). */
  dir?: string;
  /** The chain's public JSON-RPC URL, when there is one: the browser reads the root from it. */
  rpcUrl: () => string | null;
}

function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** The console's CSP: scripts and styles from this server only (Leaflet and uPlot set inline style attributes). */
export function consoleCsp(rpcUrl: () => string | null): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'"],
      workerSrc: ["'self'"],
      manifestSrc: ["'self'"],
      connectSrc: ["'self'", (_req, _res) => originOf(rpcUrl()) ?? "'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
  });
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const dir = deps.dir ?? CONSOLE_DIR;
  const r = express.Router();
  const csp = consoleCsp(deps.rpcUrl);
  const index = path.join(dir, 'index.html');
  r.use(csp);
  // Hashed file names: cached for a year. index.html and the service worker: always checked.
  r.use('/assets', express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  r.use(
    express.static(dir, {
      index: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    }),
  );
  // A middleware, not a route: the console's paths are the browser's, not the API's (the OpenAPI
  // document lists routes).
  r.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_CONSOLE.test(req.path) || !req.accepts('html')) return next();
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The console is not built: run `npm run build:console` (npm start and npm test build it for you).\n');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return r;
}
