// Hardhat 2 compiling offline: solc comes from the solcjs build in the `solc`
// package, because Hardhat's default download cannot be reached from here.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { task, subtask, type HardhatUserConfig } from 'hardhat/config';
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import '@nomicfoundation/hardhat-ethers';
import '@typechain/hardhat';

const SOLC_VERSION = '0.8.28';

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  const solc = require('solc') as { version(): string };
  const longVersion = solc.version();
  if (!longVersion.startsWith(args.solcVersion + '+')) return runSuper(args);
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: args.solcVersion, longVersion };
});

// TypeChain only writes bindings for contracts that were just compiled: with
// cached artifacts but no typechain-types (deleted by hand), nothing would be
// generated and `tsc` would fail. Recompile everything in that case.
task(TASK_COMPILE, async (args: { force?: boolean }, hre, runSuper) => {
  const outDir = hre.config.typechain.outDir;
  const bindings = isAbsolute(outDir) ? outDir : join(hre.config.paths.root, outDir);
  return runSuper({ ...args, force: args.force === true || !existsSync(bindings) });
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 } },
  },
  typechain: { outDir: 'typechain-types', target: 'ethers-v6' },
};

export default config;
