import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../services/platform/logger.js';

/** A destination stream that keeps what is written. */
function sink(): Writable & { text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return Object.assign(w, { text: () => out });
}

describe('the process logger', () => {
  it('writes readable lines in a terminal and JSON when piped or asked', () => {
    const tty = sink();
    createLogger({ logLevel: 'info', logFormat: null }, { isTTY: true, destination: tty }).info({ url: 'http://x' }, 'copilot ready');
    expect(tty.text()).to.match(/INFO.*copilot ready/);
    expect(() => JSON.parse(tty.text())).to.throw();

    for (const [format, isTTY] of [
      [null, false],
      ['json', true],
    ] as const) {
      const out = sink();
      createLogger({ logLevel: 'info', logFormat: format }, { isTTY, destination: out }).info({ url: 'http://x' }, 'copilot ready');
      expect(JSON.parse(out.text())).to.include({ msg: 'copilot ready', url: 'http://x', level: 30 });
    }
  });
});
