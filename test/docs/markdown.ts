/** Test aid: the fenced code blocks of a guide and shell-like word splitting of its commands. */
import assert from 'node:assert/strict';

export interface Block {
  lang: string;
  text: string;
  /** `# NAME` on the first line of a conf block. */
  name?: string;
}

export function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(md))) {
    const text = m[2]!;
    const name = m[1] === 'conf' ? /^# (\S+)\n/.exec(text)?.[1] : undefined;
    out.push({ lang: m[1]!, text, ...(name ? { name } : {}) });
  }
  return out;
}

/** Shell words: blanks split, single and double quotes group (no expansions in the guides). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assert.ok(end > i, `unbalanced quote in: ${line}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Shell commands of a block: continuation lines joined, comments and blank lines dropped. */
export function commands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

