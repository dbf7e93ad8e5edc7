// One error handler: AppError and body-parser failures become the API's error body; nothing else leaks.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../services/platform/index.js';

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}`));
}

/** Writes must be JSON: anything else is a 415 naming what was sent. */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'POST' || req.method === 'PATCH' || req.method === 'PUT') {
      const len = Number(req.headers['content-length'] ?? 0);
      const chunked = req.headers['transfer-encoding'] !== undefined;
      if ((len > 0 || chunked) && !req.is('application/json')) {
        return next(
          new AppError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `content-type must be application/json, got ${req.headers['content-type'] ?? 'none'}`,
            [{ field: 'content-type' }],
          ),
        );
      }
    }
    next();
  };
}

export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (err?.type === 'entity.too.large') e = new AppError(413, 'PAYLOAD_TOO_LARGE', `body exceeds the ${err.limit} byte limit`);
    else if (err?.type === 'entity.parse.failed') e = new AppError(400, 'MALFORMED_JSON', 'body is not valid JSON', [{ field: 'body' }]);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported')
      e = new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', String(err.message));
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      e = new AppError(err.status, 'BAD_REQUEST', String(err.message ?? 'bad request'));
    else {
      onUnexpected(err);
      e = new AppError(500, 'INTERNAL', 'internal error');
    }
    res.set(e.headers).status(e.status).json(e.toBody());
  };
}
