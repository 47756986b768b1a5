//! Core types to wire types. The only place where the two meet.

use magpie_core::model::{self, Account, Domain, Session, SessionId};
use magpie_wire as wire;

pub fn role(r: model::Role) -> wire::Role {
    match r {
        model::Role::Member => wire::Role::Member,
        model::Role::DomainAdmin => wire::Role::DomainAdmin,
        model::Role::ServerAdmin => wire::Role::ServerAdmin,
    }
}

pub fn role_from_wire(r: wire::Role) -> model::Role {
    match r {
        wire::Role::Member => model::Role::Member,
        wire::Role::DomainAdmin => model::Role::DomainAdmin,
        wire::Role::ServerAdmin => model::Role::ServerAdmin,
    }
}

pub fn registration(m: model::RegistrationMode) -> wire::RegistrationMode {
    match m {
        model::RegistrationMode::Closed => wire::RegistrationMode::Closed,
        model::RegistrationMode::Open => wire::RegistrationMode::Open,
    }
}

pub fn registration_from_wire(m: wire::RegistrationMode) -> model::RegistrationMode {
    match m {
        wire::RegistrationMode::Closed => model::RegistrationMode::Closed,
        wire::RegistrationMode::Open => model::RegistrationMode::Open,
    }
}

pub fn revoke_reason(r: model::RevokeReason) -> wire::RevokeReason {
    match r {
        model::RevokeReason::Logout => wire::RevokeReason::Logout,
        model::RevokeReason::Revoked => wire::RevokeReason::Revoked,
        model::RevokeReason::PasswordChanged => wire::RevokeReason::PasswordChanged,
        model::RevokeReason::AccountDisabled => wire::RevokeReason::AccountDisabled,
        model::RevokeReason::Expired => wire::RevokeReason::Expired,
    }
}

pub fn profile(a: &Account) -> wire::Profile {
    let p = &a.profile;
    wire::Profile {
        account: a.addr.to_string(),
        display_name: p.display_name.clone(),
        avatar: p.avatar.clone(),
        signature: p.signature.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
    }
}

pub fn me(a: &Account) -> wire::Me {
    wire::Me { profile: profile(a), role: role(a.role), created_at_ms: a.created_at_ms }
}

pub fn admin_account(a: &Account) -> wire::AdminAccount {
    wire::AdminAccount { profile: profile(a), role: role(a.role), disabled: a.disabled, created_at_ms: a.created_at_ms }
}

pub fn session(s: &Session, current: SessionId) -> wire::SessionInfo {
    wire::SessionInfo {
        id: s.id.0,
        device: s.device.clone(),
        ip: s.ip.clone(),
        created_at_ms: s.created_at_ms,
        last_seen_at_ms: s.last_seen_at_ms,
        expires_at_ms: s.expires_at_ms,
        current: s.id == current,
    }
}

pub fn domain(d: &Domain) -> wire::DomainInfo {
    wire::DomainInfo {
        name: d.name.to_string(),
        registration: registration(d.registration),
        created_at_ms: d.created_at_ms,
    }
}
