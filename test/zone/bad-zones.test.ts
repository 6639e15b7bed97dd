// Every file in fixtures/bad-zones holds one mistake and declares, in its first line, the code and position
// it must produce.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { formatDiagnostic } from '../../src/core/index.ts';
import { parseZoneText } from '../../src/zone/index.ts';

const dir = new URL('../fixtures/bad-zones/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

test('the fixtures folder is not empty', (t) => {
  t.true(files.length >= 30);
});

for (const file of files) {
  test(file, (t) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const m = /^# expect: ([A-Z_]+) (\d+):(\d+)$/m.exec(text.split('\n')[0] ?? '');
    if (!m) return t.fail(`${file} does not start with "# expect: CODE line:col"`);
    const result = parseZoneText(text, file, 'example.com.', { defaultSerial: 1 });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    t.is(result.zone, undefined, 'the zone is rejected');
    t.deepEqual(
      errors.map(formatDiagnostic).map((s) => s.split(': ').slice(0, 2).join(': ')),
      [`${file}:${m[2]}:${m[3]}: ${m[1]}`],
    );
  });
}
