/**
 * What the printable documents (recovery report, recovery kit) share: escaping and one
 * stylesheet. Everything is inline: these files are opened on air-gapped machines and printed,
 * so they may reference nothing outside themselves (no fonts, images, scripts or links).
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

function renderValue(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: #111; background: #fff; margin: 2rem auto; max-width: 62rem; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
p.lead { margin: 0 0 1rem; color: #333; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border: 1px solid #bbb; }
th { background: #eee; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
code, .mono { font-family: ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", monospace;
  font-size: .9em; overflow-wrap: anywhere; }
.verdict { padding: .6rem .9rem; border: 2px solid; margin: 1rem 0; font-weight: 600; }
.ok { color: #0a5d1a; border-color: #0a5d1a; }
.bad { color: #9b0d0d; border-color: #9b0d0d; }
td.ok, td.bad { font-weight: 600; }
ol.steps li { margin: .35rem 0; }
.blank { display: inline-block; min-width: 16rem; border-bottom: 1px solid #555; }
footer { margin-top: 2rem; font-size: .85rem; color: #444; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, dl, .verdict { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@page { margin: 15mm; }
`;

/** A complete, self-contained HTML document. */
export function htmlDocument(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.text}
</body>
</html>
`;
}
