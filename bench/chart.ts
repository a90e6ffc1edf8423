import type { Adapter } from './scenarios.js';

export interface ChartBar {
  value: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ChartRow {
  scenario: string;
  /** An adapter without a value (an Express-only scenario) gets no bar. */
  values: Partial<Record<Adapter, ChartBar>>;
}

/** Grouped horizontal bars, one group a scenario, one bar an adapter: req/s, with p50/p99 latency beside. */
export function barChartSvg(title: string, rows: ChartRow[]): string {
  const colours: Record<Adapter, string> = { express: '#4f7cac', fastify: '#e0a030' };
  const adapters = Object.keys(colours) as Adapter[];
  const max = Math.max(...rows.flatMap((row) => adapters.map((adapter) => row.values[adapter]?.value ?? 0)), 1);
  const labelWidth = 340;
  const barWidth = 520;
  const barHeight = 16;
  const groupHeight = adapters.length * barHeight + 14;
  const height = 60 + rows.length * groupHeight + 30;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 260}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  adapters.forEach((adapter, i) => {
    parts.push(`<rect x="${10 + i * 110}" y="34" width="12" height="12" fill="${colours[adapter]}"/>`);
    parts.push(`<text x="${26 + i * 110}" y="45">${adapter}</text>`);
  });
  rows.forEach((row, r) => {
    const top = 60 + r * groupHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${top + barHeight + 2}" text-anchor="end">${escape(row.scenario)}</text>`);
    adapters.forEach((adapter, a) => {
      const bar = row.values[adapter];
      if (bar === undefined) return;
      const value = bar.value;
      const y = top + a * barHeight;
      const width = Math.max(1, Math.round((value / max) * barWidth));
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${width}" height="${barHeight - 3}" fill="${colours[adapter]}"/>`);
      parts.push(`<text x="${labelWidth + width + 6}" y="${y + barHeight - 5}">${Math.round(value).toLocaleString('en-US')} req/s (p50 ${bar.p50Ms.toFixed(1)} ms, p99 ${bar.p99Ms.toFixed(1)} ms)</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
