/** Splits one RFC 4180 CSV line (quoted fields may hold commas and doubled quotes; no embedded newlines). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i += 1;
          break;
        } else {
          value += line[i];
          i += 1;
        }
      }
      fields.push(value);
      i += 1; // the comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end === -1 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

/** Reads a CSV text with a header line into records keyed by the header's names. */
export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((line) => line !== '');
  const header = parseCsvLine(lines[0] ?? '');
  return lines.slice(1).map((line) => {
    const fields = parseCsvLine(line);
    return Object.fromEntries(header.map((name, index) => [name, fields[index] ?? '']));
  });
}
