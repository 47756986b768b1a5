// The CSV reader and writer (lib/csv.ts): RFC 4180's quoted fields with commas, quotes and line
// breaks, the line each record starts on, a byte order mark, the three kinds of line break, and
// the two ways a text is not CSV.
import { describe, expect, it } from "vitest";
import { CsvError, csvField, isBlankRecord, parseCsv, toCsv } from "../src/lib/csv.ts";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);
const lines = (text: string) => parseCsv(text).map((r) => r.line);

describe("parseCsv", () => {
  it("reads plain fields and records", () => {
    expect(fields("a,b,c\n1,2,3\n")).toEqual([["a", "b", "c"], ["1", "2", "3"]]);
    expect(fields("a,b,c\n1,2,3")).toEqual([["a", "b", "c"], ["1", "2", "3"]]);
    expect(fields("")).toEqual([]);
    expect(fields("a")).toEqual([["a"]]);
  });

  it("keeps empty fields, at the start, in the middle and at the end", () => {
    expect(fields(",a,,b,\n")).toEqual([["", "a", "", "b", ""]]);
    expect(fields("a,\n,b")).toEqual([["a", ""], ["", "b"]]);
  });

  it("ends records at CRLF, LF or CR alone", () => {
    expect(fields("a\r\nb\nc\rd")).toEqual([["a"], ["b"], ["c"], ["d"]]);
    expect(lines("a\r\nb\nc\rd")).toEqual([1, 2, 3, 4]);
    // A trailing line break does not start another record; a blank line is a record of one empty field.
    expect(fields("a\r\n\r\nb\r\n")).toEqual([["a"], [""], ["b"]]);
    expect(lines("a\r\n\r\nb\r\n")).toEqual([1, 2, 3]);
  });

  it("reads quoted fields with commas, doubled quotes and line breaks in them", () => {
    expect(fields('"Wang, Wei","say ""hi""",x\n')).toEqual([["Wang, Wei", 'say "hi"', "x"]]);
    expect(fields('"a\r\nb",c\n"d\ne"\n')).toEqual([["a\r\nb", "c"], ["d\ne"]]);
    expect(fields('""\n"",""')).toEqual([[""], ["", ""]]);
    // A quoted field last in the text, with no line break after it.
    expect(fields('a,"b"')).toEqual([["a", "b"]]);
  });

  it("says on which line each record starts, counting the line breaks inside quoted fields", () => {
    const text = 'account,display_name\r\nalice,"Alice\r\nWang"\r\nbob,Bob\n"carol",\n\n"dave","line one\nline two\nline three"\neve\n';
    expect(parseCsv(text).filter((r) => !isBlankRecord(r)).map((r) => [r.fields[0], r.line])).toEqual([
      ["account", 1], ["alice", 2], ["bob", 4], ["carol", 5], ["dave", 7], ["eve", 10],
    ]);
  });

  it("drops a byte order mark before the first field, and only there", () => {
    expect(fields("\uFEFFaccount,role\nx,\uFEFFy")).toEqual([["account", "role"], ["x", "\uFEFFy"]]);
    expect(fields('\uFEFF"account"')).toEqual([["account"]]);
  });

  it("takes a quote inside an unquoted field as it is, as spreadsheets do", () => {
    expect(fields('ab"c,d\n')).toEqual([['ab"c', "d"]]);
    expect(fields(' "a",b')).toEqual([[' "a"', "b"]]);
  });

  it("keeps the text of fields as it is: spaces, tabs and any script", () => {
    expect(fields(" 王伟 ,\tx , 😀\n")).toEqual([[" 王伟 ", "\tx ", " 😀"]]);
  });

  it("refuses a quoted field that never ends, naming the line it started on", () => {
    const error = (() => { try { parseCsv('a,b\nc,"d\ne,f\n'); } catch (e) { return e; } return null; })();
    expect(error).toBeInstanceOf(CsvError);
    expect(error).toMatchObject({ reason: "unclosed_quote", line: 2 });
  });

  it("refuses text after a closing quote, naming its line", () => {
    expect(() => parseCsv('a\n"b\nc"d,e\n')).toThrow(expect.objectContaining({ reason: "text_after_quote", line: 3 }));
    expect(() => parseCsv('"x" ,y')).toThrow(CsvError);
  });
});

describe("toCsv", () => {
  it("quotes what needs quoting, doubles quotes, ends each line with CRLF", () => {
    expect(toCsv([["account", "password"], ["a@x", 'p,"q"'], ["b@x", ""], ["c@x", "two\nlines"], ["d@x", " lead"]])).toBe(
      'account,password\r\na@x,"p,""q"""\r\nb@x,\r\nc@x,"two\nlines"\r\nd@x," lead"\r\n',
    );
    expect(csvField("plain")).toBe("plain");
    expect(toCsv([])).toBe("");
  });

  it("writes what parseCsv reads back the same", () => {
    const rows = [["a", "b, c", '"q"'], ["", "line\r\nbreak", "王伟"], [" x ", "", "y"]];
    expect(fields(toCsv(rows))).toEqual(rows);
  });
});
