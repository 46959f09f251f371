/**
 * wvdialconf's update of a config file: in `[Dialer Defaults]`, the given keys are set (in
 * place where they exist, appended to the section otherwise); every other line, section and
 * comment stays as it was. A missing file or section is created.
 */
export function updateSection(text: string, section: string, values: ReadonlyArray<[string, string]>): string {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const want = section.toLowerCase();
  let start = -1;
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\[(.*)\]\s*$/.exec(lines[i]!);
    if (!m) continue;
    if (start >= 0) {
      end = i;
      break;
    }
    if (m[1]!.trim().toLowerCase() === want) start = i;
  }
  if (start < 0) {
    if (lines.length && lines[lines.length - 1]!.trim() !== '') lines.push('');
    lines.push(`[${section}]`, ...values.map(([k, v]) => `${k} = ${v}`));
    return `${lines.join('\n')}\n`;
  }
  const body = lines.slice(start + 1, end);
  for (const [k, v] of values) {
    const key = k.toLowerCase();
    const at = body.findIndex((l) => {
      const eq = l.indexOf('=');
      return eq > 0 && l.slice(0, eq).trim().toLowerCase() === key;
    });
    if (at >= 0) body[at] = `${k} = ${v}`;
    else {
      // Before the blank lines that end the section.
      let j = body.length;
      while (j > 0 && body[j - 1]!.trim() === '') j--;
      body.splice(j, 0, `${k} = ${v}`);
    }
  }
  return `${[...lines.slice(0, start + 1), ...body, ...lines.slice(end)].join('\n')}\n`;
}
