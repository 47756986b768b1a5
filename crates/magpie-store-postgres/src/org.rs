//! The organisation: departments and their people (see [`magpie_core::org`]).
//!
//! Every write to a domain's departments first locks the domain's row (`FOR NO KEY UPDATE`,
//! which accounts and conversations referring to the domain do not wait for), so that writes
//! to one domain's tree run one after the other: a move's loop check, a sibling's name and the
//! domain's count are read by the write that acts on them.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::Error;
use magpie_core::model::{AccountId, ConversationId, DomainId};
use magpie_core::names::LoginName;
use magpie_core::org::{Department, DepartmentId, DepartmentMember, DepartmentPatch, NewDepartment};
use magpie_core::ports::OrgStore;
use tokio_postgres::Row;

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::{PgResult, PgStore, StoreResult, read, write_tx};

const DEPARTMENT_COLUMNS: &str = "d.id, d.domain_id, d.parent_id, d.name, d.position, d.manager_id, \
     (SELECT count(*) FROM department_members dm JOIN accounts a ON a.id = dm.account_id \
      WHERE dm.department_id = d.id AND NOT a.disabled), \
     (SELECT conversation_id FROM department_chats WHERE department_id = d.id)";

fn department_from_row(row: &Row) -> PgResult<Department> {
    Ok(Department {
        id: DepartmentId(row.try_get(0)?),
        domain_id: DomainId(row.try_get(1)?),
        parent: row.try_get::<_, Option<i64>>(2)?.map(DepartmentId),
        name: row.try_get(3)?,
        position: row.try_get(4)?,
        manager: row.try_get::<_, Option<i64>>(5)?.map(AccountId),
        member_count: row.try_get::<_, i64>(6)?.try_into().unwrap_or(0),
        chat: row.try_get::<_, Option<i64>>(7)?.map(ConversationId),
    })
}

async fn department(c: &impl GenericClient, id: DepartmentId) -> PgResult<Option<Department>> {
    let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments d WHERE d.id = $1");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0]).await?;
    row.as_ref().map(department_from_row).transpose()
}

/// Locks `domain`'s departments for this transaction.
async fn lock_domain(c: &impl GenericClient, domain: DomainId) -> PgResult<()> {
    c.execute("SELECT 1 FROM domains WHERE id = $1 FOR NO KEY UPDATE", &[&domain.0]).await?;
    Ok(())
}

/// The ids from `id` up to the top of its tree (`id` first).
async fn ancestry(c: &impl GenericClient, id: DepartmentId) -> PgResult<Vec<i64>> {
    let rows = c
        .query(
            "WITH RECURSIVE up(id, parent_id, n) AS ( \
               SELECT id, parent_id, 1 FROM departments WHERE id = $1 \
               UNION ALL SELECT d.id, d.parent_id, up.n + 1 FROM departments d JOIN up ON d.id = up.parent_id \
               WHERE up.n < 64) \
             SELECT id FROM up",
            &[&id.0],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// How many levels there are below `id`.
async fn height(c: &impl GenericClient, id: DepartmentId) -> PgResult<usize> {
    let row = c
        .query_one(
            "WITH RECURSIVE down(id, n) AS ( \
               SELECT id, 0 FROM departments WHERE id = $1 \
               UNION ALL SELECT d.id, down.n + 1 FROM departments d JOIN down ON d.parent_id = down.id \
               WHERE down.n < 64) \
             SELECT max(n) FROM down",
            &[&id.0],
        )
        .await?;
    Ok(usize::try_from(row.try_get::<_, Option<i32>>(0)?.unwrap_or(0)).unwrap_or(0))
}

/// Whether a sibling of `parent` other than `except` is named `name`.
async fn name_taken(
    c: &impl GenericClient,
    domain: DomainId,
    parent: Option<DepartmentId>,
    name: &str,
    except: Option<DepartmentId>,
) -> PgResult<bool> {
    let row = c
        .query_one(
            "SELECT count(*) FROM departments WHERE domain_id = $1 AND coalesce(parent_id, 0) = $2 \
               AND name = $3 AND id <> $4",
            &[&domain.0, &parent.map_or(0, |p| p.0), &name, &except.map_or(0, |e| e.0)],
        )
        .await?;
    Ok(row.try_get::<_, i64>(0)? > 0)
}

#[async_trait]
impl OrgStore for PgStore {
    async fn create_department(
        &self,
        new: NewDepartment,
        per_domain_max: usize,
        depth_max: usize,
    ) -> StoreResult<Result<Department, Error>> {
        write_tx!(self, |tx| {
            let c = tx.c();
            lock_domain(c, new.domain_id).await?;
            let count: i64 = c
                .query_one("SELECT count(*) FROM departments WHERE domain_id = $1", &[&new.domain_id.0])
                .await?
                .try_get(0)?;
            let parent = match new.parent {
                Some(parent) => department(c, parent).await?,
                None => None,
            };
            if usize::try_from(count).unwrap_or(usize::MAX) >= per_domain_max {
                Err(Error::LimitExceeded("departments"))
            } else if new.parent.is_some() && parent.as_ref().is_none_or(|p| p.domain_id != new.domain_id) {
                Err(Error::NotFound("department"))
            } else if let Some(p) = new.parent
                && ancestry(c, p).await?.len() >= depth_max
            {
                Err(Error::LimitExceeded("department depth"))
            } else if name_taken(c, new.domain_id, new.parent, &new.name, None).await? {
                Err(Error::AlreadyExists("department"))
            } else {
                let row = c
                    .query_one(
                        "INSERT INTO departments (domain_id, parent_id, name, position, manager_id, created_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        &[
                            &new.domain_id.0,
                            &new.parent.map(|p| p.0),
                            &new.name,
                            &new.position,
                            &new.manager.map(|m| m.0),
                            &new.created_at_ms,
                        ],
                    )
                    .await?;
                let id = DepartmentId(row.try_get(0)?);
                department(c, id).await?.ok_or(Error::NotFound("department"))
            }
        })
    }

    async fn department(&self, id: DepartmentId) -> StoreResult<Option<Department>> {
        read!(self, |c| department(c, id).await?)
    }

    async fn departments(&self, domain: DomainId) -> StoreResult<Vec<Department>> {
        read!(self, |c| {
            let sql = format!(
                "WITH RECURSIVE tree(id, depth) AS ( \
                   SELECT id, 0 FROM departments WHERE domain_id = $1 AND parent_id IS NULL \
                   UNION ALL SELECT d.id, tree.depth + 1 FROM departments d JOIN tree ON d.parent_id = tree.id \
                   WHERE tree.depth < 64) \
                 SELECT {DEPARTMENT_COLUMNS} FROM tree JOIN departments d ON d.id = tree.id \
                 ORDER BY tree.depth, d.parent_id NULLS FIRST, d.position, d.name COLLATE \"C\", d.id"
            );
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0]).await?;
            rows.iter().map(department_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn update_department(
        &self,
        id: DepartmentId,
        patch: DepartmentPatch,
        depth_max: usize,
    ) -> StoreResult<Result<Department, Error>> {
        write_tx!(self, |tx| {
            let c = tx.c();
            let current = department(c, id).await?;
            if let Some(current) = &current {
                lock_domain(c, current.domain_id).await?;
            }
            // Read again under the lock: a move that committed meanwhile is seen.
            let current = match current {
                Some(_) => department(c, id).await?,
                None => None,
            };
            let outcome: Result<(), Error> = async {
                let Some(current) = &current else { return Err(Error::NotFound("department")) };
                let parent = patch.parent.unwrap_or(current.parent);
                if let Some(Some(new_parent)) = patch.parent {
                    match department(c, new_parent).await.map_err(|e| Error::Store(e.into_store()))? {
                        Some(p) if p.domain_id == current.domain_id => {}
                        _ => return Err(Error::NotFound("department")),
                    }
                    let up = ancestry(c, new_parent).await.map_err(|e| Error::Store(e.into_store()))?;
                    if up.contains(&id.0) {
                        return Err(Error::invalid("parent", "must not be the department or one below it"));
                    }
                    let below = height(c, id).await.map_err(|e| Error::Store(e.into_store()))?;
                    if up.len() + 1 + below > depth_max {
                        return Err(Error::LimitExceeded("department depth"));
                    }
                }
                let name = patch.name.as_deref().unwrap_or(&current.name);
                if (patch.name.is_some() || patch.parent.is_some())
                    && name_taken(c, current.domain_id, parent, name, Some(id))
                        .await
                        .map_err(|e| Error::Store(e.into_store()))?
                {
                    return Err(Error::AlreadyExists("department"));
                }
                Ok(())
            }
            .await;
            match outcome {
                Err(e) => Err(e),
                Ok(()) => {
                    c.execute(
                        "UPDATE departments SET \
                           name = COALESCE($2, name), \
                           parent_id = CASE WHEN $3 THEN $4 ELSE parent_id END, \
                           position = COALESCE($5, position), \
                           manager_id = CASE WHEN $6 THEN $7 ELSE manager_id END \
                         WHERE id = $1",
                        &[
                            &id.0,
                            &patch.name,
                            &patch.parent.is_some(),
                            &patch.parent.flatten().map(|p| p.0),
                            &patch.position,
                            &patch.manager.is_some(),
                            &patch.manager.flatten().map(|m| m.0),
                        ],
                    )
                    .await?;
                    department(c, id).await?.ok_or(Error::NotFound("department"))
                }
            }
        })
    }

    async fn delete_department(&self, id: DepartmentId) -> StoreResult<Result<(), Error>> {
        write_tx!(self, |tx| {
            let c = tx.c();
            match department(c, id).await? {
                None => Err(Error::NotFound("department")),
                Some(d) => {
                    lock_domain(c, d.domain_id).await?;
                    let children: i64 = c
                        .query_one("SELECT count(*) FROM departments WHERE parent_id = $1", &[&id.0])
                        .await?
                        .try_get(0)?;
                    if children > 0 {
                        Err(Error::Conflict("the department has departments under it".into()))
                    } else {
                        c.execute("DELETE FROM department_members WHERE department_id = $1", &[&id.0]).await?;
                        c.execute("DELETE FROM department_chats WHERE department_id = $1", &[&id.0]).await?;
                        let deleted = c.execute("DELETE FROM departments WHERE id = $1", &[&id.0]).await?;
                        if deleted == 1 { Ok(()) } else { Err(Error::NotFound("department")) }
                    }
                }
            }
        })
    }

    async fn set_department_member(
        &self,
        id: DepartmentId,
        account: AccountId,
        title: Option<String>,
        per_account_max: usize,
    ) -> StoreResult<Result<(), Error>> {
        write_tx!(self, |tx| {
            let c = tx.c();
            // One account's memberships change one at a time: its count is read under the lock.
            c.execute("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE", &[&account.0]).await?;
            let updated = c
                .execute(
                    "UPDATE department_members SET title = $3 WHERE department_id = $1 AND account_id = $2",
                    &[&id.0, &account.0, &title],
                )
                .await?;
            if updated == 1 {
                Ok(())
            } else {
                let count: i64 = c
                    .query_one("SELECT count(*) FROM department_members WHERE account_id = $1", &[&account.0])
                    .await?
                    .try_get(0)?;
                if usize::try_from(count).unwrap_or(usize::MAX) >= per_account_max {
                    Err(Error::LimitExceeded("departments per account"))
                } else {
                    c.execute(
                        "INSERT INTO department_members (department_id, account_id, title) VALUES ($1, $2, $3)",
                        &[&id.0, &account.0, &title],
                    )
                    .await?;
                    Ok(())
                }
            }
        })
    }

    async fn remove_department_member(&self, id: DepartmentId, account: AccountId) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "DELETE FROM department_members WHERE department_id = $1 AND account_id = $2",
                    &[&id.0, &account.0],
                )
                .await?
                == 1
        })
    }

    async fn department_members(
        &self,
        id: DepartmentId,
        after: Option<&LoginName>,
        limit: usize,
    ) -> StoreResult<Vec<DepartmentMember>> {
        let after = after.map(|a| a.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, dm.title FROM department_members dm \
             JOIN accounts a ON a.id = dm.account_id JOIN domains d ON d.id = a.domain_id \
             WHERE dm.department_id = $1 AND NOT a.disabled AND ($2::text IS NULL OR a.name COLLATE \"C\" > $2) \
             ORDER BY a.name COLLATE \"C\" LIMIT $3"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&id.0, &after, &limit]).await?;
            rows.iter()
                .map(|r| {
                    Ok(DepartmentMember {
                        account: account_from_row(r, 0)?,
                        title: r.try_get(crate::accounts::ACCOUNT_COLUMN_COUNT)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn departments_of(&self, account: AccountId) -> StoreResult<Vec<(DepartmentId, Option<String>)>> {
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT department_id, title FROM department_members WHERE account_id = $1 ORDER BY department_id",
                    &[&account.0],
                )
                .await?;
            rows.iter().map(|r| Ok((DepartmentId(r.try_get(0)?), r.try_get(1)?))).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn manager_of(&self, account: AccountId) -> StoreResult<Option<AccountId>> {
        read!(self, |c| {
            let row =
                c.query_opt("SELECT manager_id FROM account_managers WHERE account_id = $1", &[&account.0]).await?;
            row.map(|r| r.try_get(0).map(AccountId)).transpose()?
        })
    }

    async fn managers(&self, domain: DomainId) -> StoreResult<Vec<(AccountId, AccountId)>> {
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT account_id, manager_id FROM account_managers WHERE domain_id = $1 ORDER BY account_id",
                    &[&domain.0],
                )
                .await?;
            rows.iter()
                .map(|r| Ok((AccountId(r.try_get(0)?), AccountId(r.try_get(1)?))))
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn set_manager(&self, domain: DomainId, account: AccountId, manager: Option<AccountId>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match manager {
                Some(m) => {
                    tx.c()
                        .execute(
                            "INSERT INTO account_managers (account_id, domain_id, manager_id) VALUES ($1, $2, $3) \
                             ON CONFLICT (account_id) DO UPDATE SET manager_id = excluded.manager_id",
                            &[&account.0, &domain.0, &m.0],
                        )
                        .await?
                }
                None => tx.c().execute("DELETE FROM account_managers WHERE account_id = $1", &[&account.0]).await?,
            };
        })
    }

    async fn set_department_chat(&self, id: DepartmentId, chat: Option<ConversationId>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match chat {
                Some(conversation) => {
                    tx.c()
                        .execute(
                            "INSERT INTO department_chats (department_id, conversation_id) VALUES ($1, $2) \
                             ON CONFLICT (department_id) DO UPDATE SET conversation_id = excluded.conversation_id",
                            &[&id.0, &conversation.0],
                        )
                        .await?
                }
                None => tx.c().execute("DELETE FROM department_chats WHERE department_id = $1", &[&id.0]).await?,
            };
        })
    }

    async fn chat_owner(&self, domain: DomainId) -> StoreResult<Option<AccountId>> {
        read!(self, |c| {
            let row = c.query_opt("SELECT account_id FROM org_chat_owners WHERE domain_id = $1", &[&domain.0]).await?;
            row.map(|r| r.try_get(0).map(AccountId)).transpose()?
        })
    }

    async fn put_chat_owner(&self, domain: DomainId, account: AccountId) -> StoreResult<AccountId> {
        write_tx!(self, |tx| {
            let c = tx.c();
            c.execute(
                "INSERT INTO org_chat_owners (domain_id, account_id) VALUES ($1, $2) ON CONFLICT (domain_id) DO NOTHING",
                &[&domain.0, &account.0],
            )
            .await?;
            AccountId(
                c.query_one("SELECT account_id FROM org_chat_owners WHERE domain_id = $1", &[&domain.0])
                    .await?
                    .try_get(0)?,
            )
        })
    }
}
