// The HTTP API as one piece: security headers, CORS, JSON bodies, authentication, then every router
// under /api, the console at /, and the error answers. The composition root (server.ts) builds what
// the routers are given; this file only decides the order they are mounted in.
import express, { type Express } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { authenticate, requireRole } from '../middlewares/auth.js';
import { errorHandler, notFound, requireJson } from '../middlewares/errors.js';
import { authRouter, type AuthRouterDeps } from './auth.js';
import { metricsRouter, systemRouter } from './system.js';
import { openapiRouter } from './openapi.js';
import { dataRouter } from './data.js';
import { stationsRouter } from './stations.js';
import { decisionsRouter } from './decisions.js';
import { auditRouter } from './audit.js';
import { chatRouter } from './chat.js';
import { deviceKeysRouter } from './deviceKeys.js';
import { chargePointsRouter } from './chargePoints.js';
import { pushRouter } from './push.js';
import { notificationsRouter } from './notifications.js';
import { consoleRouter, type ConsoleDeps } from './console.js';

export interface ApiParts {
  /** Origins browsers may call the API from (none: same origin only). */
  corsOrigins: readonly string[];
  metrics: Parameters<typeof metricsRouter>[0];
  identity: Parameters<typeof authenticate>[0];
  auth: AuthRouterDeps;
  system: Parameters<typeof systemRouter>[0];
  gate: Parameters<typeof dataRouter>[0];
  stations: Parameters<typeof stationsRouter>[0];
  decisions: Parameters<typeof decisionsRouter>[0];
  audit: Parameters<typeof auditRouter>[0];
  chat: Parameters<typeof chatRouter>[0];
  deviceKeys: Parameters<typeof deviceKeysRouter>[0];
  chargePoints: Parameters<typeof chargePointsRouter>[0];
  push: Parameters<typeof pushRouter>[0];
  notifications: Parameters<typeof notificationsRouter>[0];
  console: ConsoleDeps;
  /** An unexpected error answered as a 500 (logged and counted by the caller). */
  onError(err: unknown): void;
}

export function mountApi(app: Express, p: ApiParts): void {
  app.disable('x-powered-by');
  // Security headers (no sniffing, no framing, a strict CSP: the API serves JSON and one plain page).
  app.use(helmet());
  // Browsers may call the API only from the allowed origins (none by default: same origin only).
  if (p.corsOrigins.length)
    app.use('/api', cors({ origin: [...p.corsOrigins], allowedHeaders: ['authorization', 'content-type', 'x-device-key'], maxAge: 600 }));
  app.set('etag', false);
  app.use(metricsRouter(p.metrics));
  app.use('/api', requireJson(), express.json({ limit: '1mb', strict: false }), authenticate(p.identity));
  // Device keys are an admin matter (new routes: enforced from the start).
  app.use('/api/stations/:id/device-keys', requireRole('admin'));
  app.use('/api/stations/:id/charge-points', requireRole('admin'));
  app.use(
    '/api',
    authRouter(p.auth),
    openapiRouter(),
    systemRouter(p.system),
    dataRouter(p.gate),
    stationsRouter(p.stations),
    decisionsRouter(p.decisions),
    auditRouter(p.audit),
    chatRouter(p.chat),
    deviceKeysRouter(p.deviceKeys),
    chargePointsRouter(p.chargePoints),
    pushRouter(p.push),
    notificationsRouter(p.notifications),
  );
  app.use(consoleRouter(p.console));
  app.use(notFound());
  app.use(errorHandler(p.onError));
}
