//! The organisation: departments and their people (see [`magpie_core::org`]). Writes run on
//! the one writer, so a move's loop check and the move itself see the same tree.

use async_trait::async_trait;
use magpie_core::Error;
use magpie_core::model::DomainId;
use magpie_core::model::{AccountId, ConversationId};
use magpie_core::names::LoginName;
use magpie_core::org::{Department, DepartmentId, DepartmentMember, DepartmentPatch, NewDepartment};
use magpie_core::ports::OrgStore;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::{SqliteStore, StoreResult};

const DEPARTMENT_COLUMNS: &str = "d.id, d.domain_id, d.parent_id, d.name, d.position, d.manager_id, \
     (SELECT count(*) FROM department_members dm JOIN accounts a ON a.id = dm.account_id \
      WHERE dm.department_id = d.id AND a.disabled = 0), \
     (SELECT conversation_id FROM department_chats WHERE department_id = d.id)";

fn department_from_row(row: &Row<'_>) -> rusqlite::Result<Department> {
    Ok(Department {
        id: DepartmentId(row.get(0)?),
        domain_id: DomainId(row.get(1)?),
        parent: row.get::<_, Option<i64>>(2)?.map(DepartmentId),
        name: row.get(3)?,
        position: row.get(4)?,
        manager: row.get::<_, Option<i64>>(5)?.map(AccountId),
        member_count: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
        chat: row.get::<_, Option<i64>>(7)?.map(ConversationId),
    })
}

fn department(c: &Connection, id: DepartmentId) -> rusqlite::Result<Option<Department>> {
    let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments d WHERE d.id = ?1");
    c.prepare_cached(&sql)?.query_row(params![id.0], department_from_row).optional()
}

/// How deep `id` sits (1 at the top), and whether `ancestor` is on its way up.
fn depth_and_whether_under(
    c: &Connection,
    id: DepartmentId,
    ancestor: Option<DepartmentId>,
) -> rusqlite::Result<(usize, bool)> {
    let mut stmt = c.prepare_cached(
        "WITH RECURSIVE up(id, parent_id, n) AS ( \
           SELECT id, parent_id, 1 FROM departments WHERE id = ?1 \
           UNION ALL SELECT d.id, d.parent_id, up.n + 1 FROM departments d JOIN up ON d.id = up.parent_id \
           WHERE up.n < 64) \
         SELECT id FROM up",
    )?;
    let ids: Vec<i64> = stmt.query_map(params![id.0], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok((ids.len(), ancestor.is_some_and(|a| ids.contains(&a.0))))
}

/// How many levels there are below `id` (0 for a department with none under it).
fn height(c: &Connection, id: DepartmentId) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "WITH RECURSIVE down(id, n) AS ( \
           SELECT id, 0 FROM departments WHERE id = ?1 \
           UNION ALL SELECT d.id, down.n + 1 FROM departments d JOIN down ON d.parent_id = down.id \
           WHERE down.n < 64) \
         SELECT max(n) FROM down",
    )?
    .query_row(params![id.0], |r| r.get::<_, Option<i64>>(0))
    .map(|n| usize::try_from(n.unwrap_or(0)).unwrap_or(0))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

#[async_trait]
impl OrgStore for SqliteStore {
    async fn create_department(
        &self,
        new: NewDepartment,
        per_domain_max: usize,
        depth_max: usize,
    ) -> StoreResult<Result<Department, Error>> {
        self.write(move |tx| {
            let count: i64 =
                tx.query_row("SELECT count(*) FROM departments WHERE domain_id = ?1", params![new.domain_id.0], |r| {
                    r.get(0)
                })?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= per_domain_max {
                return Ok(Err(Error::LimitExceeded("departments")));
            }
            if let Some(parent) = new.parent {
                match department(tx, parent)? {
                    Some(p) if p.domain_id == new.domain_id => {}
                    _ => return Ok(Err(Error::NotFound("department"))),
                }
                if depth_and_whether_under(tx, parent, None)?.0 >= depth_max {
                    return Ok(Err(Error::LimitExceeded("department depth")));
                }
            }
            let inserted = tx.execute(
                "INSERT INTO departments (domain_id, parent_id, name, position, manager_id, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    new.domain_id.0,
                    new.parent.map(|p| p.0),
                    new.name,
                    new.position,
                    new.manager.map(|m| m.0),
                    new.created_at_ms
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => return Ok(Err(Error::AlreadyExists("department"))),
                other => other?,
            };
            let id = DepartmentId(tx.last_insert_rowid());
            Ok(department(tx, id)?.ok_or(Error::NotFound("department")))
        })
        .await
    }

    async fn department(&self, id: DepartmentId) -> StoreResult<Option<Department>> {
        self.read(move |c| department(c, id)).await
    }

    async fn departments(&self, domain: DomainId) -> StoreResult<Vec<Department>> {
        self.read(move |c| {
            // Parents before children: by depth, then siblings by position and name.
            let sql = format!(
                "WITH RECURSIVE tree(id, depth) AS ( \
                   SELECT id, 0 FROM departments WHERE domain_id = ?1 AND parent_id IS NULL \
                   UNION ALL SELECT d.id, tree.depth + 1 FROM departments d JOIN tree ON d.parent_id = tree.id \
                   WHERE tree.depth < 64) \
                 SELECT {DEPARTMENT_COLUMNS} FROM tree JOIN departments d ON d.id = tree.id \
                 ORDER BY tree.depth, d.parent_id, d.position, d.name, d.id"
            );
            c.prepare_cached(&sql)?.query_map(params![domain.0], department_from_row)?.collect()
        })
        .await
    }

    async fn update_department(
        &self,
        id: DepartmentId,
        patch: DepartmentPatch,
        depth_max: usize,
    ) -> StoreResult<Result<Department, Error>> {
        self.write(move |tx| {
            let Some(current) = department(tx, id)? else { return Ok(Err(Error::NotFound("department"))) };
            if let Some(Some(parent)) = patch.parent {
                match department(tx, parent)? {
                    Some(p) if p.domain_id == current.domain_id => {}
                    _ => return Ok(Err(Error::NotFound("department"))),
                }
                let (parent_depth, under) = depth_and_whether_under(tx, parent, Some(id))?;
                if under {
                    return Ok(Err(Error::invalid("parent", "must not be the department or one below it")));
                }
                if parent_depth + 1 + height(tx, id)? > depth_max {
                    return Ok(Err(Error::LimitExceeded("department depth")));
                }
            }
            let updated = tx.execute(
                "UPDATE departments SET \
                   name = COALESCE(?2, name), \
                   parent_id = CASE WHEN ?3 THEN ?4 ELSE parent_id END, \
                   position = COALESCE(?5, position), \
                   manager_id = CASE WHEN ?6 THEN ?7 ELSE manager_id END \
                 WHERE id = ?1",
                params![
                    id.0,
                    patch.name,
                    patch.parent.is_some(),
                    patch.parent.flatten().map(|p| p.0),
                    patch.position,
                    patch.manager.is_some(),
                    patch.manager.flatten().map(|m| m.0)
                ],
            );
            match updated {
                Err(e) if is_unique_violation(&e) => return Ok(Err(Error::AlreadyExists("department"))),
                other => other?,
            };
            Ok(department(tx, id)?.ok_or(Error::NotFound("department")))
        })
        .await
    }

    async fn delete_department(&self, id: DepartmentId) -> StoreResult<Result<(), Error>> {
        self.write(move |tx| {
            let children: i64 =
                tx.query_row("SELECT count(*) FROM departments WHERE parent_id = ?1", params![id.0], |r| r.get(0))?;
            if children > 0 {
                return Ok(Err(Error::Conflict("the department has departments under it".into())));
            }
            tx.execute("DELETE FROM department_members WHERE department_id = ?1", params![id.0])?;
            tx.execute("DELETE FROM department_chats WHERE department_id = ?1", params![id.0])?;
            let deleted = tx.execute("DELETE FROM departments WHERE id = ?1", params![id.0])?;
            Ok(if deleted == 1 { Ok(()) } else { Err(Error::NotFound("department")) })
        })
        .await
    }

    async fn set_department_member(
        &self,
        id: DepartmentId,
        account: AccountId,
        title: Option<String>,
        per_account_max: usize,
    ) -> StoreResult<Result<(), Error>> {
        self.write(move |tx| {
            let updated = tx.execute(
                "UPDATE department_members SET title = ?3 WHERE department_id = ?1 AND account_id = ?2",
                params![id.0, account.0, title],
            )?;
            if updated == 1 {
                return Ok(Ok(()));
            }
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM department_members WHERE account_id = ?1",
                params![account.0],
                |r| r.get(0),
            )?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= per_account_max {
                return Ok(Err(Error::LimitExceeded("departments per account")));
            }
            tx.execute(
                "INSERT INTO department_members (department_id, account_id, title) VALUES (?1, ?2, ?3)",
                params![id.0, account.0, title],
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn remove_department_member(&self, id: DepartmentId, account: AccountId) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM department_members WHERE department_id = ?1 AND account_id = ?2",
                params![id.0, account.0],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn department_members(
        &self,
        id: DepartmentId,
        after: Option<&LoginName>,
        limit: usize,
    ) -> StoreResult<Vec<DepartmentMember>> {
        let after = after.map(|a| a.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS}, dm.title FROM department_members dm \
                 JOIN accounts a ON a.id = dm.account_id JOIN domains d ON d.id = a.domain_id \
                 WHERE dm.department_id = ?1 AND a.disabled = 0 AND (?2 IS NULL OR a.name > ?2) \
                 ORDER BY a.name LIMIT ?3"
            );
            c.prepare_cached(&sql)?
                .query_map(params![id.0, after, limit], |row| {
                    let account = account_from_row(row)?;
                    let title: Option<String> = row.get(crate::accounts::ACCOUNT_COLUMN_COUNT)?;
                    Ok(DepartmentMember { account, title })
                })?
                .collect()
        })
        .await
    }

    async fn departments_of(&self, account: AccountId) -> StoreResult<Vec<(DepartmentId, Option<String>)>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT department_id, title FROM department_members WHERE account_id = ?1 ORDER BY department_id",
            )?
            .query_map(params![account.0], |r| Ok((DepartmentId(r.get(0)?), r.get(1)?)))?
            .collect()
        })
        .await
    }

    async fn manager_of(&self, account: AccountId) -> StoreResult<Option<AccountId>> {
        self.read(move |c| {
            c.prepare_cached("SELECT manager_id FROM account_managers WHERE account_id = ?1")?
                .query_row(params![account.0], |r| Ok(AccountId(r.get(0)?)))
                .optional()
        })
        .await
    }

    async fn managers(&self, domain: DomainId) -> StoreResult<Vec<(AccountId, AccountId)>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT account_id, manager_id FROM account_managers WHERE domain_id = ?1 ORDER BY account_id",
            )?
            .query_map(params![domain.0], |r| Ok((AccountId(r.get(0)?), AccountId(r.get(1)?))))?
            .collect()
        })
        .await
    }

    async fn set_manager(&self, domain: DomainId, account: AccountId, manager: Option<AccountId>) -> StoreResult<()> {
        self.write(move |tx| {
            match manager {
                Some(m) => tx.execute(
                    "INSERT INTO account_managers (account_id, domain_id, manager_id) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (account_id) DO UPDATE SET manager_id = excluded.manager_id",
                    params![account.0, domain.0, m.0],
                )?,
                None => tx.execute("DELETE FROM account_managers WHERE account_id = ?1", params![account.0])?,
            };
            Ok(())
        })
        .await
    }

    async fn set_department_chat(&self, id: DepartmentId, chat: Option<ConversationId>) -> StoreResult<()> {
        self.write(move |tx| {
            match chat {
                Some(conversation) => tx.execute(
                    "INSERT INTO department_chats (department_id, conversation_id) VALUES (?1, ?2) \
                     ON CONFLICT (department_id) DO UPDATE SET conversation_id = excluded.conversation_id",
                    params![id.0, conversation.0],
                )?,
                None => tx.execute("DELETE FROM department_chats WHERE department_id = ?1", params![id.0])?,
            };
            Ok(())
        })
        .await
    }

    async fn chat_owner(&self, domain: DomainId) -> StoreResult<Option<AccountId>> {
        self.read(move |c| {
            c.prepare_cached("SELECT account_id FROM org_chat_owners WHERE domain_id = ?1")?
                .query_row(params![domain.0], |r| Ok(AccountId(r.get(0)?)))
                .optional()
        })
        .await
    }

    async fn put_chat_owner(&self, domain: DomainId, account: AccountId) -> StoreResult<AccountId> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO org_chat_owners (domain_id, account_id) VALUES (?1, ?2) ON CONFLICT (domain_id) DO NOTHING",
                params![domain.0, account.0],
            )?;
            tx.query_row("SELECT account_id FROM org_chat_owners WHERE domain_id = ?1", params![domain.0], |r| {
                Ok(AccountId(r.get(0)?))
            })
        })
        .await
    }
}
