//! Reading the whole database out for `magpie admin migrate` (see [`magpie_core::dump`]).

use std::path::Path;

use magpie_core::dump::{Cell, TABLES, Table};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// This adapter's own tables, which a migration does not copy (the importer derives its own):
/// the activity clock, the followers' cursors, and SQLite's own bookkeeping.
const OWN_TABLES: &[&str] = &["activity_clock", "log_cursors", "sqlite_sequence"];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {path}: {source}")]
    Sqlite { path: String, source: rusqlite::Error },
    #[error("table {table} of {path} is not one the adapters share; this binary cannot copy it")]
    UnknownTable { path: String, table: String },
    #[error("{table}.{column} holds a floating-point value, which no table of Magpie's has")]
    Real { table: String, column: String },
    #[error("the importer stopped: {0}")]
    Stopped(String),
}

/// What the export hands over, in order: a table, then its rows; then the next table.
pub enum Exported {
    Table(Table),
    Row(Vec<Cell>),
}

/// Reads every shared table of the database at `path` (read-only, in one read transaction,
/// so the copy is of one moment), in [`TABLES`] order and each table by its primary key,
/// handing each table and row to `each`, which may stop the export with an error message.
pub fn export(path: &Path, mut each: impl FnMut(Exported) -> Result<(), String>) -> Result<(), ExportError> {
    let shown = path.display().to_string();
    let fail = |source| ExportError::Sqlite { path: shown.clone(), source };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(fail)?;
    conn.execute_batch("BEGIN DEFERRED").map_err(fail)?;
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(fail)?;
    if let Some(unknown) = names.iter().find(|n| !TABLES.contains(&n.as_str()) && !OWN_TABLES.contains(&n.as_str())) {
        return Err(ExportError::UnknownTable { path: shown, table: unknown.clone() });
    }
    for name in TABLES.iter().filter(|t| names.iter().any(|n| n == *t)) {
        let table = describe(&conn, name).map_err(fail)?;
        let quoted = |cols: &[String]| cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {} FROM \"{name}\" ORDER BY {}", quoted(&table.columns), quoted(&table.order));
        let columns = table.columns.clone();
        each(Exported::Table(table)).map_err(ExportError::Stopped)?;
        let mut stmt = conn.prepare(&sql).map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            let mut cells = Vec::with_capacity(columns.len());
            for (i, column) in columns.iter().enumerate() {
                cells.push(match row.get_ref(i).map_err(fail)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                    ValueRef::Real(_) => {
                        return Err(ExportError::Real { table: (*name).to_owned(), column: column.clone() });
                    }
                });
            }
            each(Exported::Row(cells)).map_err(ExportError::Stopped)?;
        }
    }
    conn.execute_batch("COMMIT").map_err(fail)?;
    Ok(())
}

/// A table's columns, and its primary key (every column if it has none) to order it by.
fn describe(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let mut columns = vec![];
    let mut key: Vec<(i64, String)> = vec![];
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{name}\")"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let column: String = row.get(1)?;
        let pk: i64 = row.get(5)?;
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        columns.push(column);
    }
    key.sort();
    let order = if key.is_empty() { columns.clone() } else { key.into_iter().map(|(_, c)| c).collect() };
    Ok(Table { name: name.to_owned(), columns, order })
}
