// TRUST_PROXY: which proxies' X-Forwarded-For the copilot believes, as Express's 'trust proxy' takes it.
import ipaddr from 'ipaddr.js';
import type Joi from 'joi';

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY as Express takes it: false, a hop count, or a list of addresses, subnets and keywords. */
export function parseTrustProxy(raw: string): false | number | string[] {
  const v = raw.trim();
  if (v === '0' || v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((p) => p.trim());
}

export function trustProxyRule(value: string, helpers: Joi.CustomHelpers): string | Joi.ErrorReport {
  const parsed = parseTrustProxy(value);
  if (!Array.isArray(parsed)) return value;
  const bad = parsed.find((p) => !PROXY_KEYWORDS.has(p) && !(ipaddr.isValid(p) || isCidr(p)));
  return bad === undefined
    ? value
    : helpers.message({ custom: `"{{#label}}" has ${JSON.stringify(bad)}, which is no address, subnet or keyword` });
}

function isCidr(p: string): boolean {
  try {
    ipaddr.parseCIDR(p);
    return true;
  } catch {
    return false;
  }
}

// Each key's .description() is its meaning in the README's configuration table, which
// `npm run docs:config` renders from this schema, in this order.
