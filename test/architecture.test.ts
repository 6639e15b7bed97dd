// Rooms with one-way doors (STYLE §3), enforced by reading every import in src/.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Which rooms each room may import (through their index.ts). Pure rooms first; I/O rooms import only pure ones. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  dns: ['core'],
  yaml: ['core'],
  zone: ['core', 'dns', 'yaml'],
  config: ['core', 'yaml'],
  geo: ['core', 'yaml'],
  resolve: ['core', 'zone', 'geo'],
  query: ['core', 'dns', 'zone', 'resolve', 'rrl'],
  rrl: ['core'],
  update: ['core', 'dns', 'zone'],
  state: ['core', 'zone', 'resolve', 'update'],
  server: ['core'],
  store: ['core', 'state'],
  cluster: ['core', 'state'],
  health: ['core', 'zone'],
  metrics: [],
  api: ['core', 'zone', 'geo', 'resolve', 'state'],
  redirect: ['core'],
};
const PURE = [
  'core',
  'dns',
  'yaml',
  'zone',
  'config',
  'geo',
  'resolve',
  'query',
  'rrl',
  'update',
  'state',
];
const IO_MODULES =
  /^node:(fs|fs\/promises|dgram|net|http|https|child_process|cluster|worker_threads)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));

test('every room is declared and every source file lives in a room or is cli.ts/app.ts', (t) => {
  for (const f of files) {
    const room = f.split('/')[0]!;
    if (f === 'cli.ts' || f === 'app.ts' || room === 'app') continue;
    t.true(room in ALLOWED, `${f} is in an undeclared room`);
  }
});

test('rooms import other rooms only through index.ts, and only along allowed edges', (t) => {
  const violations: string[] = [];
  for (const f of files) {
    const room = f.split('/')[0]!;
    if (!(room in ALLOWED)) continue;
    for (const spec of imports(join(SRC, f))) {
      if (spec.startsWith('.')) {
        const target = relative(SRC, join(SRC, f, '..', spec));
        const targetRoom = target.split('/')[0]!;
        if (targetRoom === room) continue;
        if (target === 'app.ts' || target === 'cli.ts' || targetRoom === 'app')
          violations.push(`${f} imports ${target}`);
        else if (!target.endsWith('/index.ts'))
          violations.push(`${f} reaches into ${target} (use ${targetRoom}/index.ts)`);
        else if (!ALLOWED[room]!.includes(targetRoom))
          violations.push(`${f} imports room ${targetRoom}`);
      } else if (PURE.includes(room) && IO_MODULES.test(spec) && spec !== 'node:net') {
        violations.push(`pure room file ${f} imports ${spec}`);
      }
    }
  }
  t.deepEqual(violations, []);
});

test('pure rooms use node:net only for address parsing, not sockets', (t) => {
  for (const f of files.filter((x) => PURE.includes(x.split('/')[0]!))) {
    const text = readFileSync(join(SRC, f), 'utf8');
    const m = /import \{([^}]*)\} from 'node:net'/.exec(text);
    if (m)
      t.deepEqual(
        m[1]!
          .split(',')
          .map((s) => s.trim())
          .filter((s) => !/^isIP(v4|v6)?$/.test(s)),
        [],
        f,
      );
  }
  t.pass();
});

test('no module-level mutable state outside app.ts', (t) => {
  const offenders = files.filter(
    (f) => f !== 'app.ts' && /^(let|var) /m.test(readFileSync(join(SRC, f), 'utf8')),
  );
  t.deepEqual(offenders, []);
});

test('the README lists every diagnostic code', async (t) => {
  const { DiagnosticCodes } = await import('../src/core/index.ts');
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  t.deepEqual(
    Object.keys(DiagnosticCodes).filter((code) => !readme.includes(`| \`${code}\` |`)),
    [],
  );
});

/** Every function in one file, with its first line and its length in lines as formatted. */
function functionsOf(file: string): { name: string; line: number; lines: number; node: ts.Node }[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(SRC, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: { name: string; line: number; lines: number; node: ts.Node }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const name = node.name ? node.name.getText() : '(function)';
      found.push({ name, line: first + 1, lines: last - first + 1, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('no function in src/app/ is over 60 lines', (t) => {
  const long = files
    .filter((f) => f.startsWith('app/'))
    .flatMap((f) => functionsOf(f).map((fn) => ({ ...fn, file: f })))
    .filter((fn) => fn.lines > 60)
    .map((fn) => `${fn.file}:${fn.line} ${fn.name}: ${fn.lines} lines`);
  t.deepEqual(long, []);
});

test('every index.ts holds only re-exports and types', (t) => {
  const offenders = files
    .filter((f) => f.endsWith('/index.ts'))
    .flatMap((f) => {
      const source = ts.createSourceFile(
        f,
        readFileSync(join(SRC, f), 'utf8'),
        ts.ScriptTarget.Latest,
      );
      return source.statements
        .filter(
          (s) =>
            !ts.isExportDeclaration(s) &&
            !ts.isImportDeclaration(s) &&
            !ts.isTypeAliasDeclaration(s) &&
            !ts.isInterfaceDeclaration(s),
        )
        .map((s) => `${f}: ${s.getText(source).split('\n')[0]}`);
    });
  t.deepEqual(offenders, []);
});

/** A union of string with a value that is not "nothing": a value or an error message. */
function valueOrMessage(type: ts.TypeNode): boolean {
  if (ts.isTypeReferenceNode(type) && type.typeName.getText() === 'Promise' && type.typeArguments)
    return valueOrMessage(type.typeArguments[0]!);
  if (!ts.isUnionTypeNode(type)) return false;
  const nothing = (t: ts.TypeNode) =>
    t.kind === ts.SyntaxKind.UndefinedKeyword ||
    (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword);
  const members = type.types.filter((t) => !nothing(t));
  return members.some((t) => t.kind === ts.SyntaxKind.StringKeyword) && members.length > 1;
}

test("no exported function returns T | string; no 'as Error'; split('|') only in the keys module", (t) => {
  const offenders: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(SRC, f), 'utf8');
    if (/\bas Error\b/.test(text)) offenders.push(`${f}: as Error`);
    if (text.includes(".split('|')") && f !== 'core/keys.ts') offenders.push(`${f}: split('|')`);
    for (const fn of functionsOf(f)) {
      const node = fn.node as ts.FunctionLikeDeclaration;
      const exported =
        ts.isFunctionDeclaration(node) &&
        node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exported && node.type && valueOrMessage(node.type))
        offenders.push(`${f}:${fn.line} ${fn.name} returns ${node.type.getText()}`);
    }
  }
  t.deepEqual(offenders, []);
});
