// Deploys AuditLog (`npm run deploy`, which compiles first). With CHAIN_RPC_URL
// and ANCHOR_PRIVATE_KEY it deploys to that chain from that key; without them,
// to Hardhat's in-process network, which is gone when the script exits (a dry run).
// AUDIT_ADMIN_ADDRESS and AUDIT_ANCHORER_ADDRESS default to the deployer.
import Joi from 'joi';
import { JsonRpcProvider, Network, Wallet, type Signer } from 'ethers';
import type { AuditLog } from '../typechain-types/index.js';
import { probeChainId } from '../services/audit/index.js';

export interface DeployEnv {
  rpcUrl: string | null;
  privateKey: string | null;
  admin: string | null;
  anchorer: string | null;
}

export class DeployConfigError extends Error {}

const address = Joi.string()
  .pattern(/^0x[0-9a-fA-F]{40}$/)
  .messages({ 'string.pattern.base': '{{#label}} must be a 0x-prefixed 20-byte hex address' });
const schema = Joi.object({
  CHAIN_RPC_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .allow('')
    .default('')
    .messages({ 'string.uriCustomScheme': '{{#label}} must be an http(s) URL' }),
  ANCHOR_PRIVATE_KEY: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{64}$/)
    .allow('')
    .default('')
    .messages({ 'string.pattern.base': '{{#label}} must be a 0x-prefixed 32-byte hex key' }),
  AUDIT_ADMIN_ADDRESS: address.allow('').default(''),
  AUDIT_ANCHORER_ADDRESS: address.allow('').default(''),
});

/** Reads the deploy variables; throws DeployConfigError naming each bad one. Never echoes the key. */
export function parseDeployEnv(env: NodeJS.ProcessEnv): DeployEnv {
  const own = Object.fromEntries(
    Object.keys(schema.describe().keys)
      .filter((k) => env[k] !== undefined)
      .map((k) => [k, env[k]]),
  );
  const { error, value } = schema.validate(own, { abortEarly: false, errors: { wrap: { label: false } } });
  const problems = (error?.details ?? []).map((d) => `  ${String(d.path[0])}: ${d.message.replace(/^\S+ /, '')}`);
  if (!error) {
    if (value.CHAIN_RPC_URL !== '' && value.ANCHOR_PRIVATE_KEY === '')
      problems.push('  ANCHOR_PRIVATE_KEY: is required when CHAIN_RPC_URL is set');
    if (value.CHAIN_RPC_URL === '' && value.ANCHOR_PRIVATE_KEY !== '')
      problems.push('  CHAIN_RPC_URL: is required when ANCHOR_PRIVATE_KEY is set');
  }
  if (problems.length > 0) throw new DeployConfigError(`invalid deploy configuration:\n${problems.join('\n')}`);
  const orNull = (s: string) => (s === '' ? null : s);
  return {
    rpcUrl: orNull(value.CHAIN_RPC_URL),
    privateKey: orNull(value.ANCHOR_PRIVATE_KEY),
    admin: orNull(value.AUDIT_ADMIN_ADDRESS),
    anchorer: orNull(value.AUDIT_ANCHORER_ADDRESS),
  };
}

/** Deploys AuditLog from `deployer` and waits for it to be mined. Needs the compiled bindings. */
export async function deployAuditLog(deployer: Signer, roles: { admin: string; anchorer: string }): Promise<AuditLog> {
  // Imported here, not at the top: typechain-types exists only after `hardhat compile`.
  const { AuditLog__factory } = await import('../typechain-types/index.js');
  const audit = await new AuditLog__factory(deployer).deploy(roles.admin, roles.anchorer);
  await audit.waitForDeployment();
  return audit;
}

/** The chain id, asked once with a timeout: ethers' provider would retry an unreachable URL forever. */
async function chainIdOf(url: string): Promise<bigint> {
  try {
    return BigInt(await probeChainId(url));
  } catch (err) {
    throw new DeployConfigError(`CHAIN_RPC_URL: ${(err as Error).message}`);
  }
}

async function signerFor(env: DeployEnv): Promise<{ signer: Signer; network: string; close(): Promise<void> }> {
  if (env.rpcUrl !== null && env.privateKey !== null) {
    const chainId = await chainIdOf(env.rpcUrl);
    const provider = new JsonRpcProvider(env.rpcUrl, Network.from(chainId), { staticNetwork: true });
    return {
      signer: new Wallet(env.privateKey, provider),
      network: `${env.rpcUrl} (chain ${chainId})`,
      close: async () => provider.destroy(),
    };
  }
  const hre = (await import('hardhat')).default;
  const [signer] = await hre.ethers.getSigners();
  return { signer, network: 'Hardhat in-process network (chain 31337; gone when this script exits)', close: async () => {} };
}

async function main(): Promise<void> {
  const env = parseDeployEnv(process.env);
  const { signer, network, close } = await signerFor(env);
  try {
    const deployer = await signer.getAddress();
    const roles = { admin: env.admin ?? deployer, anchorer: env.anchorer ?? deployer };
    const audit = await deployAuditLog(signer, roles);
    const tx = audit.deploymentTransaction();
    const receipt = tx === null ? null : await tx.wait();
    console.log(`AuditLog deployed at ${await audit.getAddress()}`);
    console.log(`  network   ${network}`);
    console.log(`  deployer  ${deployer}`);
    console.log(`  admin     ${roles.admin}`);
    console.log(`  anchorer  ${roles.anchorer}`);
    if (receipt !== null) console.log(`  tx        ${receipt.hash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
    if (env.rpcUrl === null) console.log('Set CHAIN_RPC_URL and ANCHOR_PRIVATE_KEY to deploy to a persistent chain.');
  } finally {
    await close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof DeployConfigError ? err.message : err);
    process.exit(1);
  });
}
