// JSON.parse turns 83.43010000000000001 into a double and loses digits. A rate must never pass through a JS
// number, so partner JSON is parsed with every number literal kept as its exact source text (a string).

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text; every number comes back as the string it was written as ("83.4301", "1700000000123"). */
export function parseJsonLossless(text: string): unknown {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      // skip the whole string literal, escapes included
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) continue; // not a number: JSON.parse below reports it
      out += text.slice(from, i) + '"' + m[0] + '"';
      i += m[0].length - 1;
      from = i + 1;
    }
  }
  return JSON.parse(out + text.slice(from));
}
