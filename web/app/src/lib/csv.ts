// Comma-separated values as RFC 4180 writes them, read and written without a dependency: fields
// separated by commas, records by line breaks (CRLF, and LF or CR alone as spreadsheets also
// write them), a field in double quotes may hold commas, line breaks and quotes (doubled). A
// UTF-8 byte order mark before the first field is dropped. Every record says on which line of
// the text it starts, so that what is wrong with one can be told by its line number.

/** One record: its fields as written, and the line (from 1) its first field is on. */
export interface CsvRecord { fields: string[]; line: number }

/** Why a text is not CSV: a quoted field that never ends (at the end of the text), or something
 * other than a comma or a line break right after a quoted field's closing quote. */
export type CsvSyntax = "unclosed_quote" | "text_after_quote";

export class CsvError extends Error {
  override name = "CsvError";
  constructor(readonly reason: CsvSyntax, readonly line: number) {
    super(`${reason.replace(/_/g, " ")} on line ${line}`);
  }
}

const BOM = "\uFEFF";

/** The records of `text`, blank lines included (as one empty field); a line break at the very
 * end does not start another record. A quote inside an unquoted field is taken as it is, as
 * spreadsheets do. Throws a CsvError for text that is not CSV. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const start = text.startsWith(BOM) ? 1 : 0;
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = start;
  const n = text.length;
  // Whether the text ended right after a record's line break (no record to close at the end).
  let atRecordStart = true;
  const endRecord = () => {
    fields.push(field);
    records.push({ fields, line: recordLine });
    fields = [];
    field = "";
    atRecordStart = true;
  };
  /** Steps over the line break at `i` (CRLF, LF or CR); answers whether there was one. */
  const lineBreak = (): boolean => {
    const c = text[i];
    if (c === "\r") { i += text[i + 1] === "\n" ? 2 : 1; line += 1; return true; }
    if (c === "\n") { i += 1; line += 1; return true; }
    return false;
  };

  while (i < n) {
    if (atRecordStart) { recordLine = line; atRecordStart = false; }
    const c = text[i];
    if (c === '"' && field === "") {
      // A quoted field, to its closing quote: a doubled quote inside it is one quote.
      const opened = line;
      i += 1;
      for (;;) {
        if (i >= n) throw new CsvError("unclosed_quote", opened);
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i += 1;
          break;
        }
        if (q === "\r" || q === "\n") {
          const from = i;
          lineBreak();
          field += text.slice(from, i);
          continue;
        }
        field += q;
        i += 1;
      }
      // After the closing quote: a comma, a line break or the end.
      if (i >= n) break;
      if (text[i] === ",") { fields.push(field); field = ""; i += 1; continue; }
      if (lineBreak()) { endRecord(); continue; }
      throw new CsvError("text_after_quote", line);
    }
    if (c === ",") { fields.push(field); field = ""; i += 1; continue; }
    if (lineBreak()) { endRecord(); continue; }
    field += c;
    i += 1;
  }
  if (!atRecordStart) endRecord();
  return records;
}

/** Whether a record holds nothing but empty (or blank) fields: a blank line. */
export function isBlankRecord(record: CsvRecord): boolean {
  return record.fields.every((f) => f.trim() === "");
}

/** A field as CSV writes it: quoted when it holds a comma, a quote or a line break (or starts or
 * ends with a space, which some readers would drop), its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Records as CSV text, each line ended by CRLF (RFC 4180). */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvField).join(",") + "\r\n").join("");
}
