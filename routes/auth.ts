// Sign-in, sessions and users (admin).
import { Router } from 'express';
import Joi from 'joi';
import type { AdminWorkflows } from '../services/admin/index.js';
import {
  PASSWORD_RULE,
  ROLES,
  emailKey,
  type Limiter,
  type OtpService,
  type TokenService,
  type UserService,
} from '../services/access/index.js';
import { AppError, validate } from '../services/platform/index.js';
import { requireRole } from '../middlewares/auth.js';
import { SIGNED_IN, type ApiOperation } from './apiSpec.js';

export interface AuthRouterDeps {
  users: UserService;
  tokens: TokenService;
  otp: OtpService;
  /** Failures per account and client address (strict). */
  loginPerAccount: Limiter;
  loginPerIp: Limiter;
  /** Attempts per account from anywhere: never refused, only slowed (slowdownMs). */
  loginAccountWide: Limiter;
  slowdownMs(attemptsOnAccount: number): number;
  admin: Pick<AdminWorkflows, 'createUser' | 'setUserDisabled'>;
}

const loginBody = Joi.object({ email: Joi.string().max(320).required(), password: Joi.string().max(256).required() });
const otpRequestBody = Joi.object({ email: Joi.string().max(320).required() });
const otpVerifyBody = Joi.object({
  email: Joi.string().max(320).required(),
  code: Joi.string()
    .pattern(/^\d{6}$/)
    .required()
    .messages({ 'string.pattern.base': '"code" must be 6 digits' }),
});
const refreshBody = Joi.object({ refreshToken: Joi.string().max(200).required() });
const passwordBody = Joi.object({ currentPassword: Joi.string().max(256).required(), newPassword: PASSWORD_RULE.required() });
const createUserBody = Joi.object({
  email: Joi.string().max(320).required(),
  password: PASSWORD_RULE,
  role: Joi.string()
    .valid(...ROLES)
    .required(),
  stationScope: Joi.alternatives()
    .try(Joi.string().valid('all'), Joi.array().items(Joi.string().min(1).max(64)).max(10_000).unique())
    .default('all'),
});
const patchUserBody = Joi.object({ disabled: Joi.boolean().required() });

const session = '{ accessToken, refreshToken, expiresIn, user }';
export const authApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/auth/login',
    summary: 'Sign in with email and password',
    body: loginBody,
    responses: { 200: session, 400: 'bad input', 401: 'wrong email or password', 429: 'too many attempts (Retry-After)' },
  },
  {
    method: 'post',
    path: '/api/auth/otp/request',
    summary: "Send a one-time sign-in code to the account's notifications (the same answer whether or not the account exists)",
    body: otpRequestBody,
    responses: { 202: '{ ok, message }', 400: 'bad input', 429: 'too many attempts (Retry-After)' },
  },
  {
    method: 'post',
    path: '/api/auth/otp/verify',
    summary: 'Sign in with a one-time code',
    body: otpVerifyBody,
    responses: { 200: session, 400: 'bad input', 401: 'wrong, expired or used code', 429: 'too many attempts (Retry-After)' },
  },
  {
    method: 'post',
    path: '/api/auth/refresh',
    summary: 'Swap a refresh token for new tokens (rotated on every use; a reused one revokes the session)',
    body: refreshBody,
    responses: { 200: session, 400: 'bad input', 401: 'invalid or reused refresh token' },
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Revoke a refresh token',
    body: refreshBody,
    responses: { 204: 'revoked', 400: 'bad input' },
  },
  { method: 'get', path: '/api/auth/me', summary: 'The signed-in user', roles: SIGNED_IN, responses: { 200: '{ user }' } },
  {
    method: 'post',
    path: '/api/auth/password',
    summary: "Change one's own password",
    roles: SIGNED_IN,
    body: passwordBody,
    responses: {
      200: `${session}: the caller's new session; every other session of the user ends`,
      400: 'bad input',
      401: 'wrong current password',
      429: 'too many attempts (Retry-After)',
    },
  },
  { method: 'get', path: '/api/auth/users', summary: 'Users', roles: ['admin'], responses: { 200: '{ items, nextCursor: null }' } },
  {
    method: 'post',
    path: '/api/auth/users',
    summary: 'Create a user (without a password, one is generated and shown in this answer only); audited and anchored',
    roles: ['admin'],
    body: createUserBody,
    responses: { 201: '{ user, password? }', 400: 'bad input, or unknown stations in stationScope', 409: 'email exists' },
  },
  {
    method: 'patch',
    path: '/api/auth/users/{id}',
    summary: 'Disable or enable a user; audited and anchored',
    roles: ['admin'],
    body: patchUserBody,
    responses: { 200: '{ user }', 400: 'bad input', 404: 'unknown user', 409: 'an admin cannot disable their own account' },
  },
];

export function authRouter(s: AuthRouterDeps): Router {
  const r = Router();
  /**
   * One sign-in attempt (password, code, or the password change's check), counted before it is judged:
   * per client address, per account and address (429 past the limit), and account-wide, where it only
   * waits longer and longer, so guessing from everywhere cannot lock the owner out. Answers the key
   * a success clears.
   */
  const attempt = async (ip: string | undefined, email: string): Promise<string> => {
    const address = ip ?? 'unknown';
    const account = emailKey(email);
    const pair = `${account}|${address}`;
    await s.loginPerIp.consume(address);
    await s.loginPerAccount.consume(pair);
    const wait = s.slowdownMs(await s.loginAccountWide.count(account));
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return pair;
  };
  r.post('/auth/login', async (req, res) => {
    const { email, password } = validate<{ email: string; password: string }>(loginBody, req.body, 'body');
    // Counted before the password is checked, so guessing costs attempts whether or not it succeeds.
    const pair = await attempt(req.ip, email);
    const user = await s.users.authenticate(email, password);
    if (!user) throw new AppError(401, 'INVALID_CREDENTIALS', 'wrong email or password', [{ field: 'email' }]);
    await s.loginPerAccount.reset(pair);
    res.json({ ...(await s.tokens.issue(s.users.sessionOf(user.id)!)), user });
  });
  r.post('/auth/otp/request', async (req, res) => {
    const { email } = validate<{ email: string }>(otpRequestBody, req.body, 'body');
    await attempt(req.ip, email);
    await s.otp.request(email);
    // The same answer whether or not the account exists.
    res.status(202).json({ ok: true, message: 'if the account exists, a code was sent to its notifications; it expires in 5 minutes' });
  });
  r.post('/auth/otp/verify', async (req, res) => {
    const { email, code } = validate<{ email: string; code: string }>(otpVerifyBody, req.body, 'body');
    const pair = await attempt(req.ip, email);
    const userId = await s.otp.verify(email, code);
    const user = s.users.get(userId);
    const session = s.users.sessionOf(userId);
    if (!user || !session) throw new AppError(401, 'INVALID_CODE', 'the code is wrong, expired or used', [{ field: 'code' }]);
    await s.loginPerAccount.reset(pair);
    res.json({ ...(await s.tokens.issue(session)), user });
  });
  r.post('/auth/refresh', async (req, res) => {
    const { refreshToken } = validate<{ refreshToken: string }>(refreshBody, req.body, 'body');
    const { userId, tokens } = await s.tokens.rotate(refreshToken, (id) => s.users.sessionOf(id));
    res.json({ ...tokens, user: s.users.get(userId) });
  });
  r.post('/auth/logout', async (req, res) => {
    const { refreshToken } = validate<{ refreshToken: string }>(refreshBody, req.body, 'body');
    await s.tokens.revoke(refreshToken);
    res.status(204).end();
  });
  r.get('/auth/me', requireRole('admin', 'operator', 'auditor'), (req, res) => {
    res.json({ user: req.user });
  });
  r.post('/auth/password', requireRole('admin', 'operator', 'auditor'), async (req, res) => {
    const { currentPassword, newPassword } = validate<{ currentPassword: string; newPassword: string }>(passwordBody, req.body, 'body');
    // The same attempt limit as signing in: a stolen access token must not become a password oracle.
    const pair = await attempt(req.ip, req.user!.email);
    if (!(await s.users.authenticate(req.user!.email, currentPassword)))
      throw new AppError(401, 'INVALID_CREDENTIALS', 'the current password is wrong', [{ field: 'currentPassword' }]);
    await s.loginPerAccount.reset(pair);
    // Every other session ends: refresh tokens revoked, access tokens issued before refused (session
    // version), open sockets closed. The caller goes on with the new session in this answer.
    const session = await s.users.setPassword(req.user!.id, newPassword);
    await s.tokens.revokeUser(session.id);
    res.json({ ...(await s.tokens.issue(session)), user: s.users.get(session.id) });
  });
  r.get('/auth/users', requireRole('admin'), (_req, res) => {
    res.json({ items: s.users.list(), nextCursor: null });
  });
  r.post('/auth/users', requireRole('admin'), async (req, res) => {
    const body = validate<{ email: string; password?: string; role: (typeof ROLES)[number]; stationScope: string[] | 'all' }>(
      createUserBody,
      req.body,
      'body',
    );
    const { user, password } = await s.admin.createUser(req.user!.email, {
      email: body.email,
      password: body.password ?? null,
      role: body.role,
      stationScope: body.stationScope,
    });
    // A generated password is shown here once; only its hash is kept.
    res.status(201).json({ user, ...(password ? { password } : {}) });
  });
  r.patch('/auth/users/:id', requireRole('admin'), async (req, res) => {
    const { disabled } = validate<{ disabled: boolean }>(patchUserBody, req.body, 'body');
    if (String(req.params.id) === req.user!.id && disabled)
      throw new AppError(409, 'SELF_DISABLE', 'an admin cannot disable their own account', [{ field: 'id' }]);
    const user = await s.admin.setUserDisabled(req.user!.email, String(req.params.id), disabled);
    res.json({ user });
  });
  return r;
}
