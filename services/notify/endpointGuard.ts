// Web-push endpoints are URLs the server POSTs to on a user's behalf: without a guard, a subscription
// is a way to make the server call its own loopback, the cloud metadata address or the private
// network (SSRF). Only hosts on public unicast addresses are accepted, checked when a subscription is
// stored and again when a connection is opened (the agent's DNS lookup), so a name that resolved
// public at subscription cannot be switched to a private address later.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import ipaddr from 'ipaddr.js';
import { AppError } from '../platform/index.js';

/** Whether the address is a public unicast one (IPv4-mapped IPv6 judged as the IPv4 it carries). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

function notPublic(host: string, address?: string): AppError {
  const at = address && address !== host ? ` (${address})` : '';
  return new AppError(400, 'ENDPOINT_NOT_PUBLIC', `the push endpoint's host ${host}${at} is not a public address`, [{ field: 'endpoint' }]);
}

/** Refuses an endpoint whose host is, or resolves to, anything but public addresses. */
export async function assertPublicEndpoint(endpoint: string, resolve = defaultResolve): Promise<void> {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    if (!isPublicAddress(host)) throw notPublic(host);
    return;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new AppError(400, 'ENDPOINT_UNRESOLVABLE', `the push endpoint's host ${host} does not resolve`, [{ field: 'endpoint' }]);
  }
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (addresses.length === 0 || bad !== undefined) throw notPublic(host, bad);
}

async function defaultResolve(host: string): Promise<string[]> {
  return new Promise((ok, fail) => dnsLookup(host, { all: true }, (err, list) => (err ? fail(err) : ok(list.map((a) => a.address)))));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that fails for any non-public address: what the push agent connects through. */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, list) => {
    if (err) return callback(err, '');
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad || list.length === 0) {
      const e: NodeJS.ErrnoException = new Error(
        `push endpoint host ${hostname} resolves to ${bad?.address ?? 'nothing'}, not a public address`,
      );
      e.code = 'ENDPOINT_NOT_PUBLIC';
      return callback(e, '');
    }
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}

/** An HTTPS agent whose connections only reach public addresses; `base` keeps its other options (a test CA). */
export function publicOnlyAgent(base?: HttpsAgent): HttpsAgent {
  const options = (base as unknown as { options?: AgentOptions } | undefined)?.options ?? {};
  return new HttpsAgent({ ...options, keepAlive: options.keepAlive ?? true, lookup: publicOnlyLookup as AgentOptions['lookup'] });
}
