// GET /docs/errors: docs/errors.md as a small HTML page, so every problem `type` URI
// (<base>/docs/errors#<code>) opens on its code's row. Rendered once: headings, paragraphs, tables,
// `code`, **bold** and links are all the file uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/index.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function inline(s: string): string {
  return escape(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, text: string, href: string) => `<a href="${href.replace(/^errors\.md/, '')}">${text}</a>`);
}

const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function renderMarkdown(md: string, title: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level} id="${slug(heading[2]!)}">${inline(heading[2]!)}</h${level}>`);
    } else if (line.startsWith('|')) {
      const head = cells(line);
      i++; // the |---| line
      const rows: string[] = [];
      while (lines[i + 1]?.startsWith('|')) {
        const row = cells(lines[++i]!);
        // A row whose first cell is a `code` is that code's anchor.
        const code = /^`([a-z0-9_]+)`$/.exec(row[0] ?? '')?.[1];
        rows.push(`<tr${code ? ` id="${code}"` : ''}>${row.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      }
      out.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
    } else if (line.trim() !== '') {
      const para = [line];
      while (lines[i + 1]?.trim() && !/^(#|\|)/.test(lines[i + 1]!)) para.push(lines[++i]!);
      out.push(`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>`
    + '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}'
    + 'td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}tr:target{background:#fff3b0}code{font-size:90%}</style>'
    + `</head><body>${out.join('\n')}</body></html>\n`;
}

/** The error docs page, from docs/errors.md beside the code. */
export function errorDocsPage(): string {
  return renderMarkdown(readFileSync(join(projectRoot(), 'docs', 'errors.md'), 'utf8'), 'FX pricing engine: error codes');
}
