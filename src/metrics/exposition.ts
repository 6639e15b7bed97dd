// Prometheus text for the metric families that grow with the zones (one series per record and pool), written in
// slices: prom-client formats a family in one go (~80 ms at 20,000 series), which would hold every query that long.

/** The longest stretch a scrape runs before it lets the event loop answer queries. */
const SLICE_MS = 2;

/** Yields to the event loop once SLICE_MS have passed since the last time. */
export class Slicer {
  private since = performance.now();

  async tick(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family in the text format (HELP, TYPE, a line per series), built a slice at a time. */
export async function familyText(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  series: Iterable<Series>,
  slicer: Slicer,
): Promise<string> {
  const lines = [
    `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    `# TYPE ${name} ${type}`,
  ];
  for (const s of series) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    lines.push(
      `${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(s.value) ? s.value : 'NaN'}`,
    );
    await slicer.tick();
  }
  return lines.join('\n');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
