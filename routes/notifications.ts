// A signed-in user's own notifications and notification preferences.
import { Router } from 'express';
import Joi from 'joi';
import { requireRole } from '../middlewares/auth.js';
import { validate } from '../services/platform/index.js';
import { prefsSchema, type NotificationService } from '../services/notify/index.js';
import { SIGNED_IN, type ApiOperation } from './apiSpec.js';

const listQuery = Joi.object<{ unreadOnly: boolean; limit: number; cursor?: string }>({
  unreadOnly: Joi.boolean().default(false),
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(64),
});

export const notificationsApi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/notifications/prefs',
    summary: "The signed-in user's notification preferences",
    roles: SIGNED_IN,
    responses: { 200: '{ onCall, pushMinSeverity, quietHours }' },
  },
  {
    method: 'put',
    path: '/api/notifications/prefs',
    summary: "Set the signed-in user's notification preferences",
    roles: SIGNED_IN,
    // NotificationService.setPrefs validates with this schema.
    body: prefsSchema,
    responses: { 200: 'the preferences', 400: 'bad preferences' },
  },
  {
    method: 'get',
    path: '/api/notifications',
    summary: "The signed-in user's notifications, newest first",
    roles: SIGNED_IN,
    query: listQuery,
    responses: { 200: '{ items, unread, nextCursor }', 400: 'bad filter' },
  },
  {
    method: 'post',
    path: '/api/notifications/{id}/read',
    summary: 'Mark one of your notifications read',
    roles: SIGNED_IN,
    responses: { 200: 'the notification', 404: 'no such notification of yours' },
  },
];

export function notificationsRouter(s: { notifications: NotificationService }): Router {
  const r = Router();
  r.use('/notifications', requireRole('admin', 'operator', 'auditor'));
  // Before /:id routes would match: "prefs" is not an id.
  r.get('/notifications/prefs', (req, res) => {
    res.json(s.notifications.getPrefs(req.user!.id));
  });
  r.put('/notifications/prefs', async (req, res) => {
    res.json(await s.notifications.setPrefs(req.user!.id, req.body));
  });
  r.get('/notifications', async (req, res) => {
    const q = validate<{ unreadOnly: boolean; limit: number; cursor?: string }>(listQuery, req.query, 'query');
    res.json(await s.notifications.list(req.user!.id, { unreadOnly: q.unreadOnly, limit: q.limit, cursor: q.cursor ?? null }));
  });
  r.post('/notifications/:id/read', async (req, res) => {
    res.json(await s.notifications.markRead(req.user!.id, req.params.id));
  });
  return r;
}
