// nsupdate as a test client: a script on stdin, with -y or -k.
import { spawn } from 'node:child_process';
import { requireTool } from './tools.ts';

export interface NsupdateResult {
  readonly code: number;
  readonly output: string;
}

export function nsupdate(args: readonly string[], script: string): Promise<NsupdateResult> {
  const bin = requireTool('nsupdate');
  return new Promise((resolve) => {
    const child = spawn(bin, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
    child.stdin.end(script);
  });
}
