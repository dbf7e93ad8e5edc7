// What stops verification before its checks can give an answer (exit code 2): malformed input,
// an HTTP error fetching the proof, an unreachable RPC or no contract at the address given.
export class InputError extends Error {}
