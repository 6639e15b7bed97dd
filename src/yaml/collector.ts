// Problems found in one YAML file, each at the node it is about, every one collected (up to a bound).
import { LineCounter } from 'yaml';
import type { Diagnostic, DiagnosticCode, Severity } from '../core/index.ts';
import type { Position, YamlNode } from './tree.ts';

/** Problems listed per file; past this they are counted, so a file of junk costs a bounded report. */
export const MAX_DIAGNOSTICS_PER_FILE = 1_000;

/** Collects diagnostics for one file and turns node offsets into positions. */
export class Collector {
  readonly diagnostics: Diagnostic[] = [];
  /** Problems past MAX_DIAGNOSTICS_PER_FILE, counted only. */
  private dropped = 0;
  /** Errors reported, listed or not: what "did this part have a problem" compares. */
  errors = 0;
  private lines: LineCounter | undefined;
  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  at(node: YamlNode | undefined): Position {
    const start = node?.start;
    return start === undefined ? { line: 1, col: 1 } : this.position(skipBlank(this.text, start));
  }

  position(offset: number): Position {
    return (this.lines ??= lineCounter(this.text)).linePos(offset);
  }

  /** Everything reported, in the order of the file; what was only counted, as one last line. */
  sorted(): Diagnostic[] {
    const listed = [...this.diagnostics].sort((a, b) => a.line - b.line || a.col - b.col);
    if (this.dropped === 0) return listed;
    const last = listed.at(-1);
    const message =
      `${this.dropped} more problem(s) in this file are not listed (the first ` +
      `${MAX_DIAGNOSTICS_PER_FILE} are)`;
    const severity =
      this.errors > listed.filter((d) => d.severity === 'error').length ? 'error' : 'warning';
    return [
      ...listed,
      {
        file: this.file,
        line: last?.line ?? 1,
        col: last?.col ?? 1,
        code: 'TOO_MANY_PROBLEMS',
        message,
        severity,
      },
    ];
  }

  /** Problems reported, listed or not. */
  get count(): number {
    return this.diagnostics.length + this.dropped;
  }

  report(
    node: YamlNode | undefined,
    code: DiagnosticCode,
    message: string,
    severity: Severity = 'error',
  ): void {
    if (severity === 'error') this.errors++;
    if (this.diagnostics.length >= MAX_DIAGNOSTICS_PER_FILE) {
      this.dropped++;
      return;
    }
    this.diagnostics.push(this.diagnosticAt(this.at(node), code, message, severity));
  }

  /** A problem at a known position (the yaml package reports offsets, not nodes). */
  reportAt(p: Position, code: DiagnosticCode, message: string): void {
    this.errors++;
    if (this.diagnostics.length >= MAX_DIAGNOSTICS_PER_FILE) this.dropped++;
    else this.diagnostics.push(this.diagnosticAt(p, code, message, 'error'));
  }

  private diagnosticAt(
    p: Position,
    code: DiagnosticCode,
    message: string,
    severity: Severity,
  ): Diagnostic {
    return { file: this.file, line: p.line, col: p.col, code, message, severity };
  }
}

/** The yaml package's line index over a text (made only when something is reported). */
function lineCounter(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

/** From an offset where a node may begin, past spaces, line breaks and comments to its first character. */
function skipBlank(text: string, offset: number): number {
  let i = offset;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') i++;
    else if (ch === '#') while (i < text.length && text[i] !== '\n') i++;
    else break;
  }
  return i;
}
