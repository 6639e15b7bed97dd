// dig and kdig as test clients: their text output parsed into rcode, flags and sections.
import { requireTool, run } from './tools.ts';

export interface DigReply {
  readonly status: string;
  readonly flags: ReadonlySet<string>;
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
  readonly ecs: string | undefined; // "192.0.2.0/24/0" as dig prints it
  readonly edns: string | undefined;
  readonly raw: string;
}

export async function dig(
  port: number,
  args: readonly string[],
  server = '127.0.0.1',
): Promise<DigReply> {
  const bin = requireTool('dig');
  const r = await run(bin, [
    `@${server}`,
    '-p',
    String(port),
    '+norec',
    '+nosplit',
    '+tries=2',
    '+time=2',
    ...args,
  ]);
  if (r.code !== 0)
    throw new Error(`dig ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return parseDigOutput(r.stdout);
}

export async function kdig(
  port: number,
  args: readonly string[],
  server = '127.0.0.1',
): Promise<DigReply> {
  const bin = requireTool('kdig');
  const r = await run(bin, [
    `@${server}`,
    '-p',
    String(port),
    '+norec',
    '+retry=0',
    '+time=3',
    ...args,
  ]);
  if (r.code !== 0)
    throw new Error(`kdig ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return parseDigOutput(r.stdout);
}

/** Reads both dig's and kdig's formats; records come back with single spaces, as zone-file text. */
export function parseDigOutput(text: string): DigReply {
  const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? '';
  const flagText = /;; [Ff]lags: ([^;]*);/.exec(text)?.[1] ?? '';
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header) {
      current = sections[header[1]!];
      continue;
    }
    if (line.trim() === '') current = undefined;
    else if (!line.startsWith(';')) current?.push(line.trim().split(/\s+/).join(' '));
  }
  return {
    status,
    flags: new Set(flagText.trim().split(/\s+/).filter(Boolean)),
    answer: sections['ANSWER']!,
    authority: sections['AUTHORITY']!,
    additional: sections['ADDITIONAL']!,
    ecs: /CLIENT-SUBNET: (\S+)/.exec(text)?.[1],
    edns: /; EDNS: ([^\n]*)/.exec(text)?.[1],
    raw: text,
  };
}
