//! Taking a deployment in (`magpie admin migrate`): rows of the tables that every adapter
//! shares go in as they are (same ids, seqs and activities), then this adapter derives its own
//! bookkeeping from them; and each table is digested as the exporter digests it, so that the
//! copy is checked row for row (see [`magpie_core::dump`]).

use magpie_core::StoreError;
use magpie_core::dump::{Cell, Digester, TABLES, Table, TableDigest};
use tokio_postgres::types::{ToSql, Type};

use crate::{ACTIVITY_SLOTS, PgError, PgResult, PgStore, corrupt};

/// Rows read back per round trip while digesting a table.
const DIGEST_PAGE_ROWS: i32 = 2_000;
/// The tables with an identity column `id`, whose sequences must start past what came in.
/// The tables whose rows are items of the log's tail.
const LOG_TABLES: &[&str] = &["entries", "account_events"];

/// One migration into this database: it places the imported rows that have no position in
/// the log (SQLite wrote none before its step 0005) before every later one, in the order they
/// come, which keeps each conversation's and each account's items in seq order.
pub struct Import<'a> {
    store: &'a PgStore,
    next_old_position: i64,
}

impl PgStore {
    /// Whether the database holds no domain yet: a migration goes only into an empty one.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        crate::read!(self, |c| {
            let n: i64 = c.query_one("SELECT count(*) FROM domains", &[]).await?.try_get(0)?;
            n == 0
        })
    }

    /// Starts taking a deployment in.
    pub fn import(&self) -> Import<'_> {
        Import { store: self, next_old_position: i64::MIN / 2 }
    }

    /// What this database holds of `table`, digested as the exporter digests it: the same
    /// columns, in the same order (text by its bytes, NULL first), booleans as 0 and 1.
    pub async fn digest(&self, table: &Table) -> Result<TableDigest, StoreError> {
        let types = self.column_types(&table.name).await?;
        let type_of = |c: &str| types.iter().find(|(name, _)| name == c).map(|(_, t)| t.clone());
        let mut order = vec![];
        for column in &table.order {
            let text = type_of(column).is_some_and(|t| t == Type::TEXT);
            order.push(format!("\"{column}\"{} NULLS FIRST", if text { " COLLATE \"C\"" } else { "" }));
        }
        let sql = format!("SELECT {} FROM \"{}\" ORDER BY {}", quoted(&table.columns), table.name, order.join(", "));
        crate::read_tx!(self, |c| {
            let stmt = c.prepare(&sql).await?;
            let portal = c.bind(&stmt, &[]).await?;
            let mut digester = Digester::default();
            loop {
                let rows = c.query_portal(&portal, DIGEST_PAGE_ROWS).await?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let mut cells = Vec::with_capacity(table.columns.len());
                    for (i, column) in stmt.columns().iter().enumerate() {
                        cells.push(cell(row, i, column.type_())?);
                    }
                    digester.add(&cells);
                }
            }
            digester.finish()
        })
    }

    async fn column_types(&self, table: &str) -> Result<Vec<(String, Type)>, StoreError> {
        crate::read!(self, |c| {
            let stmt = c.prepare(&format!("SELECT * FROM \"{table}\" LIMIT 0")).await?;
            stmt.columns().iter().map(|c| (c.name().to_owned(), c.type_().clone())).collect::<Vec<_>>()
        })
    }
}

impl Import<'_> {
    /// Inserts rows of one shared table, in one transaction.
    pub async fn rows(&mut self, table: &Table, rows: Vec<Vec<Cell>>) -> Result<(), StoreError> {
        if !TABLES.contains(&table.name.as_str()) {
            return Err(StoreError::Other(format!("{} is not a table the adapters share", table.name)));
        }
        let log = LOG_TABLES.contains(&table.name.as_str());
        let position = table.columns.iter().position(|c| c == "position").filter(|_| log);
        let mut rows = rows;
        if let Some(at) = position {
            for row in &mut rows {
                if row.get(at) == Some(&Cell::Null) {
                    row[at] = Cell::Int(self.next_old_position);
                    self.next_old_position += 1;
                }
            }
        }
        // Imported items of the log belong to no transaction of this database: they sit
        // before every later one in the tail.
        let (extra_columns, extra_values) = if log { (", \"xid\"", ", 0") } else { ("", "") };
        let placeholders: Vec<String> = (1..=table.columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO \"{}\" ({}{extra_columns}) VALUES ({}{extra_values})",
            table.name,
            quoted(&table.columns),
            placeholders.join(", ")
        );
        let outcome: PgResult<()> = async {
            let mut client = self.store.client().await?;
            let tx = client.transaction().await?;
            let stmt = tx.prepare(&sql).await?;
            for row in &rows {
                let params =
                    row.iter().zip(stmt.params()).map(|(cell, ty)| param(cell, ty)).collect::<PgResult<Vec<_>>>()?;
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
                tx.execute(&stmt, &refs).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        outcome.map_err(PgError::into_store)
    }

    /// After the last table: identity sequences, the log's positions, the event and revocation
    /// heads, and the activity base move past what came in, so that what is written next
    /// follows it (and clients' `sync` cursors from before the move stay valid).
    pub async fn finish(self) -> Result<(), StoreError> {
        // Every table whose `id` a sequence (identity or serial) makes, found in the catalog so
        // that a table added later is not forgotten.
        let mut sql = String::from(
            "DO $$ DECLARE t text; BEGIN \
               FOR t IN SELECT c.table_name FROM information_schema.columns c \
                        WHERE c.table_schema = current_schema() AND c.column_name = 'id' \
                          AND pg_get_serial_sequence(quote_ident(c.table_name), 'id') IS NOT NULL \
               LOOP \
                 EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), \
                                 coalesce((SELECT max(id) FROM %I), 0) + 1, false)', quote_ident(t), t); \
               END LOOP; \
             END $$;\n",
        );
        sql.push_str(
            "SELECT setval('log_positions', GREATEST(coalesce((SELECT max(position) FROM entries), 0), \
                                                coalesce((SELECT max(position) FROM account_events), 0)) + 1, false);
             INSERT INTO event_heads (account_id, last_seq) SELECT account_id, max(seq) FROM account_events \
                 GROUP BY account_id ON CONFLICT (account_id) DO UPDATE SET last_seq = excluded.last_seq;
             UPDATE revocation_head SET last_seq = coalesce((SELECT max(seq) FROM session_revocations), 0);",
        );
        // Every activity written from now on, (xid + base) × slots or more, lies above every
        // activity copied.
        sql.push_str(&format!(
            "UPDATE store_meta SET activity_base = coalesce((SELECT max(activity) FROM conversations), 0) \
             / {ACTIVITY_SLOTS} + 1;"
        ));
        let outcome: PgResult<()> = async {
            let mut client = self.store.client().await?;
            let tx = client.transaction().await?;
            tx.batch_execute(&sql).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        outcome.map_err(PgError::into_store)
    }
}

fn quoted(columns: &[String]) -> String {
    columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
}

/// A cell as a parameter of the column's type.
fn param(cell: &Cell, ty: &Type) -> PgResult<Box<dyn ToSql + Sync + Send>> {
    let mismatch = || PgError::Corrupt(format!("cannot store {cell:?} in a column of type {ty}"));
    Ok(match (cell, ty) {
        (Cell::Null, t) if *t == Type::INT8 => Box::new(None::<i64>),
        (Cell::Null, t) if *t == Type::INT4 => Box::new(None::<i32>),
        (Cell::Null, t) if *t == Type::BOOL => Box::new(None::<bool>),
        (Cell::Null, t) if *t == Type::TEXT => Box::new(None::<String>),
        (Cell::Null, t) if *t == Type::BYTEA => Box::new(None::<Vec<u8>>),
        (Cell::Int(n), t) if *t == Type::INT8 => Box::new(*n),
        (Cell::Int(n), t) if *t == Type::INT4 => Box::new(i32::try_from(*n).map_err(|_| mismatch())?),
        (Cell::Int(n), t) if *t == Type::BOOL => Box::new(*n != 0),
        (Cell::Text(s), t) if *t == Type::TEXT => Box::new(s.clone()),
        (Cell::Bytes(b), t) if *t == Type::BYTEA => Box::new(b.clone()),
        _ => return Err(mismatch()),
    })
}

/// A column's value as a cell.
fn cell(row: &tokio_postgres::Row, i: usize, ty: &Type) -> PgResult<Cell> {
    let cell = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?.map(|n| Cell::Int(i64::from(n)))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?.map(|b| Cell::Int(i64::from(b)))
    } else if *ty == Type::TEXT {
        row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?.map(Cell::Bytes)
    } else {
        return Err(corrupt("column type"));
    };
    Ok(cell.unwrap_or(Cell::Null))
}
