// Cost-growth plots as PNG: chart.js drawing on @napi-rs/canvas (skia, shipped inside the npm package).
import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';

Chart.register(...registerables);

const COLOURS: Record<string, string> = { engine: '#1f77b4', peer: '#d62728', limit: '#7f7f7f' };
const FALLBACK = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

export interface Plot {
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x values (levels), drawn evenly spaced. */
  levels: number[];
  /** One line per system (coloured by its first word: engine, peer, limit); NaN leaves a gap. */
  lines: { name: string; values: number[] }[];
  /** A log scale for y, for figures that span orders of magnitude between systems. */
  logY?: boolean;
}

const levelLabel = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** Draws one line chart and writes it to `file` (PNG, white background). */
export function plot(p: Plot, file: string, width = 720, height = 420): void {
  const canvas = createCanvas(width, height);
  const config: ChartConfiguration<'line', (number | null)[], string> = {
    type: 'line',
    data: {
      labels: p.levels.map(levelLabel),
      datasets: p.lines.map((l, i) => {
        const colour = COLOURS[l.name.split(' ')[0]!] ?? FALLBACK[i % FALLBACK.length]!;
        return { label: l.name, data: l.values.map((v) => (Number.isFinite(v) ? v : null)), borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 4 };
      }),
    },
    options: {
      responsive: false,
      animation: false,
      plugins: { title: { display: true, text: p.title, font: { size: 15 } }, legend: { position: 'bottom' } },
      scales: {
        x: { title: { display: true, text: p.xLabel } },
        y: { type: p.logY ? 'logarithmic' : 'linear', beginAtZero: !p.logY, title: { display: true, text: p.yLabel } },
      },
    },
    plugins: [{
      id: 'background',
      beforeDraw: (chart) => {
        const ctx = chart.ctx;
        ctx.save();
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(0, 0, chart.width, chart.height);
        ctx.restore();
      },
    }],
  };
  // chart.js takes a 2D context; skia's is that API, typed on its own.
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], config);
  writeFileSync(file, canvas.toBuffer('image/png'));
  chart.destroy();
}
