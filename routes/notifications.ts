// A signed-in user's own notifications and notification preferences.
import { Router } from 'express';
import Joi from 'joi';
import { requireRole } from '../middlewares/auth.js';
import { validate } from '../services/platform/index.js';
import type { NotificationService } from '../services/notify/index.js';

const listQuery = Joi.object<{ unreadOnly: boolean; limit: number; cursor?: string }>({
  unreadOnly: Joi.boolean().default(false),
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(64),
});

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
