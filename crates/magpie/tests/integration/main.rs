//! Integration tests: each boots the real `magpie` binary on an ephemeral port with its own
//! temporary data directory and talks to it over real sockets through `magpie-client`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod accounts;
mod admin_accounts;
mod admin_cli;
mod apps;
mod architecture;
mod audit;
mod backup;
mod bad_input;
mod bench;
mod bots;
mod cards;
mod cluster;
mod console;
mod contacts;
mod contract;
mod docs;
mod examples;
mod export;
mod files;
mod groups;
mod groups_admin;
mod hardening;
mod inbox;
mod keep;
mod ldap;
mod lifecycle;
mod mail;
mod messaging;
mod moderation;
mod names;
mod notifications;
mod openapi_snapshot;
mod org;
mod outages;
mod presence;
mod previews;
mod push;
mod registration;
mod retention;
mod scheduled;
mod search;
mod sessions;
mod shared;
mod sync;
mod tenancy;
mod threads;
mod tls;
mod wallets;
mod web;
mod webhooks;
mod websocket;
