// Logging to stderr, one line per event.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`gslb: info: ${m}\n`),
  warn: (m) => process.stderr.write(`gslb: warn: ${m}\n`),
  error: (m) => process.stderr.write(`gslb: error: ${m}\n`),
};
