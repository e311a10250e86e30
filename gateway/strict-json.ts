// A strict reading of a JSON body or frame: UTF-8 only (a bad byte is refused, never replaced), valid JSON,
// and no duplicate keys (JSON.parse keeps the last one silently: {"sendAmount":"1","sendAmount":"1000"}).
import { fxError } from '../engine/index.js';
import { excerpt } from './excerpt.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parsed value (undefined for an empty or all-whitespace body), or invalid_json. */
export function strictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw fxError('invalid_json', 'the body is not valid UTF-8');
  }
  return strictJsonText(text);
}

export function strictJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim() === '') return undefined;
    // JSON.parse's own message quotes the input: say where instead.
    throw fxError('invalid_json', `the body is not valid JSON (it starts ${excerpt(text)})`);
  }
  // Outside strings a colon only ever follows a key, so fewer keys parsed than colons means one was repeated.
  if (value !== null && typeof value === 'object' && colonsOutsideStrings(text) !== keyCount(value)) {
    const key = duplicateKey(text);
    throw fxError('invalid_json', `duplicate key ${excerpt(key ?? '')} in the JSON`);
  }
  return value;
}

function colonsOutsideStrings(text: string): number {
  let colons = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 58) colons++;
  }
  return colons;
}

function keyCount(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += keyCount(v);
    return n;
  }
  for (const k in value) n += 1 + keyCount((value as Record<string, unknown>)[k]);
  return n;
}

/** The first key repeated within one object (only called once a repeat is known to exist). */
function duplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      const keys = stack[stack.length - 1];
      if (text[k] === ':' && keys) {
        const key = JSON.parse(raw) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
    }
  }
  return undefined;
}
