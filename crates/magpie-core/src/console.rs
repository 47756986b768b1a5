//! Who sees what of the console's live view: a node's dashboard is the server
//! administrators'; its connection list is theirs whole, and each domain's administrators'
//! for their domain. The transport holds the figures and the connections; the decisions are
//! here.

use std::sync::Arc;

use crate::model::{Actor, DomainId, Role};
use crate::names::DomainName;
use crate::ports::AccountStore;
use crate::{Error, Result};

#[derive(Clone)]
pub struct Console {
    accounts: Arc<dyn AccountStore>,
}

impl Console {
    pub(crate) fn new(stores: &crate::ports::Stores) -> Console {
        Console { accounts: stores.accounts.clone() }
    }

    /// Whether `actor` may read the server's log (the whole deployment's doings).
    pub fn logs(&self, actor: Actor<'_>) -> Result<()> {
        self.dashboard(actor)
    }

    /// Whether `actor` may see the node's dashboard (server-wide figures).
    pub fn dashboard(&self, actor: Actor<'_>) -> Result<()> {
        if actor.is_server_admin() { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// Whose connections `actor` may list, asking for `domain`: every domain's (`None`, a server
    /// administrator asking for none), or one domain's. A domain administrator gets their own
    /// domain's, and `not_found` for another, as for a domain that does not exist; a member
    /// gets `not_found`.
    pub async fn connections_scope(&self, actor: Actor<'_>, domain: Option<&str>) -> Result<Option<DomainId>> {
        let named = match (domain, actor) {
            (Some(name), _) => Some(DomainName::parse(name)?),
            (None, Actor::Account(p)) if p.account.role != Role::ServerAdmin => Some(p.account.addr.domain.clone()),
            (None, _) => None,
        };
        let Some(name) = named else { return Ok(None) };
        let found = self.accounts.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(found.id) {
            return Err(Error::NotFound("domain"));
        }
        Ok(Some(found.id))
    }
}
