/**
 * Files for the bank and for the record, written in the browser from what the API answered: CSV
 * (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese) and XLSX (exceljs,
 * loaded only when asked for). Amounts are written as the yuan text the API's fen give, exactly.
 */
export interface Column<T> {
  title: string;
  value(row: T): string;
}

/** A cell a spreadsheet would run as a formula (`=…`, `@…`, `-x`…) is written as text; negative amounts stay numbers. */
const cell = (raw: string) => {
  const v = /^[=+@\t\r]|^-(?!\d)/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
};

/** RFC 4180 CSV; a cell that a spreadsheet would run as a formula (`=…`) is written as text. */
export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const lines = [columns.map((c) => cell(c.title)).join(','), ...rows.map((r) => columns.map((c) => cell(c.value(r))).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** An XLSX workbook of one sheet; every cell is text, so account numbers and amounts stay exact. */
export async function toXlsx<T>(sheet: string, rows: readonly T[], columns: readonly Column<T>[]): Promise<Blob> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  ws.addRow(columns.map((c) => c.title));
  for (const r of rows) ws.addRow(columns.map((c) => c.value(r)));
  ws.getRow(1).font = { bold: true };
  ws.columns.forEach((c) => (c.width = 18));
  const buf = await wb.xlsx.writeBuffer();
  return new Blob([buf], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
}

/** Saves a file through the browser's download. */
export function download(name: string, content: Blob | string) {
  const blob = typeof content === 'string' ? new Blob([content], { type: 'text/csv;charset=utf-8' }) : content;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
