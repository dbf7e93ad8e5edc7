// A configuration that cannot be used: the start stops with a message naming the variable.
export class ConfigError extends Error {}
