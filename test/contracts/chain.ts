// Contract-test helpers. @nomicfoundation/hardhat-chai-matchers 2.x declares
// chai ^4 (it patches chai 4's plugin API) and cannot be installed next to
// chai 6, so reverts and events are checked by decoding with the ABI instead.
import { expect } from 'chai';
import type { ContractTransactionReceipt, ContractTransactionResponse, Interface, LogDescription } from 'ethers';
import { revertData } from '../../services/audit/anchoring/chain.js';

/**
 * Awaits `action` and asserts it reverted with the custom error `name` of `iface`
 * (inherited errors included), with `args` when given.
 */
export async function expectRevert(action: Promise<unknown>, iface: Interface, name: string, args?: readonly unknown[]): Promise<void> {
  let err: unknown;
  try {
    await action;
  } catch (e) {
    err = e;
  }
  if (err === undefined) expect.fail(`expected a revert with ${name}, but the call succeeded`);
  const data = revertData(err);
  if (data === null) expect.fail(`expected a revert with ${name}, got an error without revert data: ${String(err)}`);
  const decoded = iface.parseError(data);
  if (decoded === null) expect.fail(`expected a revert with ${name}, got undecodable revert data ${data}`);
  expect(decoded.name, 'custom error').to.equal(name);
  if (args !== undefined) expect([...decoded.args], `${name} arguments`).to.deep.equal([...args]);
}

/** Sends, waits for the receipt and fails the test if it is missing. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) expect.fail('transaction has no receipt');
  return receipt;
}

/** The receipt's logs that `iface` decodes as event `name`. */
export function eventsNamed(receipt: ContractTransactionReceipt, iface: Interface, name: string): LogDescription[] {
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    const parsed = iface.parseLog(log);
    if (parsed !== null && parsed.name === name) out.push(parsed);
  }
  return out;
}

/** Asserts the receipt holds exactly one `name` event, with `args` when given, and returns it. */
export function expectEvent(
  receipt: ContractTransactionReceipt,
  iface: Interface,
  name: string,
  args?: readonly unknown[],
): LogDescription {
  const found = eventsNamed(receipt, iface, name);
  expect(found, `${name} events`).to.have.length(1);
  if (args !== undefined) expect([...found[0].args], `${name} arguments`).to.deep.equal([...args]);
  return found[0];
}
