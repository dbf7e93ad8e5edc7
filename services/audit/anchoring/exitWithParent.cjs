// Preloaded into the embedded Hardhat node: it exits when the copilot's end of
// its stdin pipe closes, so a copilot that dies hard leaves no node behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
