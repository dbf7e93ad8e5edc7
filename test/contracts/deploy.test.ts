// scripts/deploy.ts: the environment it accepts and the deployment itself (in-process network).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import hre from 'hardhat';
import { DeployConfigError, deployAuditLog, parseDeployEnv } from '../../scripts/deploy.js';

const KEY = '0x' + 'ab'.repeat(32);
const ADDR = '0x' + '12'.repeat(20);

function problems(env: NodeJS.ProcessEnv): string {
  try {
    parseDeployEnv(env);
  } catch (err) {
    expect(err).to.be.instanceOf(DeployConfigError);
    return (err as Error).message;
  }
  return expect.fail('should throw');
}

describe('deploy script', function () {
  this.timeout(120_000);

  describe('parseDeployEnv', () => {
    it('defaults to the in-process network with the deployer in both roles', () => {
      expect(parseDeployEnv({})).to.deep.equal({ rpcUrl: null, privateKey: null, admin: null, anchorer: null });
      expect(parseDeployEnv({ CHAIN_RPC_URL: '', ANCHOR_PRIVATE_KEY: '' }).rpcUrl).to.equal(null);
    });

    it('reads a chain, a key and role addresses', () => {
      const env = {
        CHAIN_RPC_URL: 'http://127.0.0.1:8545',
        ANCHOR_PRIVATE_KEY: KEY,
        AUDIT_ADMIN_ADDRESS: ADDR,
        AUDIT_ANCHORER_ADDRESS: ADDR,
        PATH: '/bin',
      };
      expect(parseDeployEnv(env)).to.deep.equal({ rpcUrl: 'http://127.0.0.1:8545', privateKey: KEY, admin: ADDR, anchorer: ADDR });
    });

    const bad: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['a URL without a scheme', { CHAIN_RPC_URL: 'localhost:8545', ANCHOR_PRIVATE_KEY: KEY }, /CHAIN_RPC_URL: must be an http\(s\) URL/],
      ['a websocket URL', { CHAIN_RPC_URL: 'ws://127.0.0.1:8545', ANCHOR_PRIVATE_KEY: KEY }, /CHAIN_RPC_URL: must be an http\(s\) URL/],
      [
        'a short key',
        { CHAIN_RPC_URL: 'http://127.0.0.1:8545', ANCHOR_PRIVATE_KEY: '0x1234' },
        /ANCHOR_PRIVATE_KEY: must be a 0x-prefixed 32-byte hex key/,
      ],
      ['a key without 0x', { CHAIN_RPC_URL: 'http://127.0.0.1:8545', ANCHOR_PRIVATE_KEY: 'ab'.repeat(32) }, /ANCHOR_PRIVATE_KEY: must be/],
      ['a URL without a key', { CHAIN_RPC_URL: 'http://127.0.0.1:8545' }, /ANCHOR_PRIVATE_KEY: is required when CHAIN_RPC_URL is set/],
      ['a key without a URL', { ANCHOR_PRIVATE_KEY: KEY }, /CHAIN_RPC_URL: is required when ANCHOR_PRIVATE_KEY is set/],
      ['a short admin address', { AUDIT_ADMIN_ADDRESS: '0x12' }, /AUDIT_ADMIN_ADDRESS: must be a 0x-prefixed 20-byte hex address/],
      ['a name as anchorer', { AUDIT_ANCHORER_ADDRESS: 'alice' }, /AUDIT_ANCHORER_ADDRESS: must be a 0x-prefixed 20-byte hex address/],
    ];
    for (const [what, env, message] of bad) {
      it(`rejects ${what}, naming the variable`, () => {
        expect(problems(env)).to.match(message);
      });
    }

    it('lists every bad variable at once and never echoes the key', () => {
      const secret = '0x' + 'cd'.repeat(31);
      const msg = problems({ CHAIN_RPC_URL: 'nope', ANCHOR_PRIVATE_KEY: secret, AUDIT_ADMIN_ADDRESS: 'x' });
      expect(msg)
        .to.match(/CHAIN_RPC_URL/)
        .and.match(/ANCHOR_PRIVATE_KEY/)
        .and.match(/AUDIT_ADMIN_ADDRESS/);
      expect(msg).not.to.contain(secret);
    });
  });

  describe('deployAuditLog', () => {
    before(async () => {
      await hre.run('compile', { quiet: true });
    });

    it('deploys with the requested admin and anchorer', async () => {
      const [deployer, admin, anchorer] = await hre.ethers.getSigners();
      const audit = await deployAuditLog(deployer, { admin: admin.address, anchorer: anchorer.address });
      expect(await hre.ethers.provider.getCode(await audit.getAddress())).to.not.equal('0x');
      expect(await audit.hasRole(await audit.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await audit.hasRole(await audit.ANCHORER_ROLE(), anchorer.address)).to.equal(true);
      expect(await audit.hasRole(await audit.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(false);
    });
  });

  describe('npm run deploy', () => {
    it('exits 1 with the variable named when the environment is malformed', async () => {
      const root = resolve(__dirname, '../..');
      const err = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/deploy.ts'], {
        cwd: root,
        env: { ...process.env, CHAIN_RPC_URL: 'http://127.0.0.1:1', ANCHOR_PRIVATE_KEY: '0xnothex' },
      }).then(
        () => expect.fail('should exit non-zero'),
        (e: { code?: number; stderr?: string }) => e,
      );
      expect(err.code).to.equal(1);
      expect(err.stderr).to.match(/ANCHOR_PRIVATE_KEY: must be a 0x-prefixed 32-byte hex key/);
      expect(err.stderr).not.to.contain('0xnothex');
    });
  });
});
