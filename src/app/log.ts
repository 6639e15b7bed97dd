// Logging to stderr, one line per event; repeated lines about unauthenticated peers are counted, not written.
import { addressBytes, addressText, maskAddress } from '../core/index.ts';

/** Functions, not methods: a caller may pick one (`ok ? log.info : log.warn`) and call it alone. */
export interface Logger {
  readonly info: (message: string) => void;
  readonly warn: (message: string) => void;
  readonly error: (message: string) => void;
}

export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`gslb: info: ${m}\n`),
  warn: (m) => process.stderr.write(`gslb: warn: ${m}\n`),
  error: (m) => process.stderr.write(`gslb: error: ${m}\n`),
};

export interface LimitedLogOptions {
  /** Lines of one kind from one source prefix written per period; the rest are counted. */
  readonly linesPerPeriod: number;
  readonly periodMs: number;
  /** Distinct (kind, prefix) pairs tracked per period; past it, sources share one "other" entry. */
  readonly maxKeys: number;
  readonly now: () => number;
}

const DEFAULTS: LimitedLogOptions = {
  linesPerPeriod: 5,
  periodMs: 60_000,
  maxKeys: 1_000,
  now: Date.now,
};

/**
 * Lines about what unauthenticated peers send (unsigned updates, bad TSIG, bad HTTP requests, our own bugs they
 * trigger): the first few of a kind from a source prefix (/24, /56) are written each period, the rest are counted and
 * summarized at the period's end ("N more like this from PREFIX in the last minute"). A flood writes a few lines a
 * minute, and the table of counts is bounded.
 */
export class LimitedLog {
  private readonly options: LimitedLogOptions;
  private counts = new Map<
    string,
    { kind: string; prefix: string; level: keyof Logger; written: number; suppressed: number }
  >();
  private periodStart: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** Where the lines go. */
    readonly log: Logger,
    options: Partial<LimitedLogOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.periodStart = this.options.now();
    this.timer = setInterval(() => this.flush(), this.options.periodMs).unref();
  }

  /** Writes `message` unless `kind` from `source`'s prefix has had its lines this period. */
  write(level: keyof Logger, kind: string, source: string, message: string): void {
    if (this.options.now() - this.periodStart >= this.options.periodMs) this.flush();
    const prefix = sourcePrefix(source);
    let key = `${kind}\u0000${prefix}`;
    if (!this.counts.has(key) && this.counts.size >= this.options.maxKeys)
      key = `${kind}\u0000other`;
    let entry = this.counts.get(key);
    if (!entry)
      this.counts.set(
        key,
        (entry = {
          kind,
          prefix: key.endsWith('other') ? 'other sources' : prefix,
          level,
          written: 0,
          suppressed: 0,
        }),
      );
    if (entry.written < this.options.linesPerPeriod) {
      entry.written++;
      this.log[level](message);
    } else {
      entry.suppressed++;
    }
  }

  /** Ends the period: one summary line per kind and prefix that had lines held back. */
  flush(): void {
    const minutes = Math.round(this.options.periodMs / 60_000);
    const span =
      minutes === 1
        ? 'the last minute'
        : minutes > 1
          ? `the last ${minutes} minutes`
          : `the last ${this.options.periodMs} ms`;
    for (const e of this.counts.values()) {
      if (e.suppressed > 0)
        this.log[e.level](`${e.suppressed} more like this from ${e.prefix} in ${span}: ${e.kind}`);
    }
    this.counts = new Map();
    this.periodStart = this.options.now();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

/** "192.0.2.77" → "192.0.2.0/24", "2001:db8:1:2::5" → "2001:db8:1:200::/56"; anything else as it is. */
export function sourcePrefix(address: string): string {
  const bytes = addressBytes(address);
  if (!bytes) return address || 'unknown';
  const prefix = bytes.length === 4 ? 24 : 56;
  return `${addressText(maskAddress(bytes, prefix))}/${prefix}`;
}
