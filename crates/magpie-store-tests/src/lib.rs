//! The conformance suite of Magpie's store ports: what every store adapter must do, written as
//! tests, so that a second adapter (PostgreSQL) is held to the same behaviour as the first
//! (SQLite) by the suite rather than by review.
//!
//! Each check is a `pub async fn` over a [`StoreFactory`], which makes fresh, empty stores of
//! the adapter under test. An adapter's crate runs the whole suite with one line in a test
//! file:
//!
//! ```text
//! magpie_store_tests::conformance!(MyFactory);
//! ```
//!
//! which expands to one `#[test]` per check (see [`conformance!`]) plus the delivery property
//! test ([`delivery::property`]): random schedules of sends and membership changes from several
//! writers, wake-ups lost, doubled, late and reordered, durable consumers killed and restarted,
//! checked against the membership history that the log itself records.
//!
//! A blob store adapter runs the [`BlobStore`](magpie_core::ports::BlobStore) checks of
//! [`blobs`], over a [`blobs::BlobFactory`], the same way:
//!
//! ```text
//! magpie_store_tests::blob_conformance!(MyBlobFactory);
//! ```
//!
//! The checks assert what the core relies on: the port documentation in
//! `magpie_core::ports`, and what the services read back from it (a duplicate append returns
//! the first entry whatever the new one says; a refused append changes nothing; `recipients`
//! covers a membership's whole span; the tail never skips). A check failing is an adapter bug
//! or a contract that the adapter and the core read differently; either way it is to be fixed,
//! not skipped.

// Checks are tests: a failed expectation is a panic with a message, which `expect` says best.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::ports::{Bus, Stores};

pub mod accounts;
pub mod apps;
pub mod audit;
pub mod blobs;
pub mod bots;
pub mod commands;
pub mod contacts;
pub mod cursors;
pub mod delivery;
pub mod digest;
pub mod exports;
pub mod files;
mod fixtures;
pub mod inbox;
pub mod keep;
pub mod ldap;
pub mod ledger;
pub mod log;
pub mod mail;
pub mod org;
pub mod presence;
pub mod previews;
pub mod push;
pub mod races;
pub mod retention;
pub mod scheduled;
pub mod webhooks;

/// How an adapter makes the stores the suite checks.
///
/// A *place* is where one store's data lives (a temporary directory, a database); the suite
/// makes a new one per check, and opens it again to check what must survive a restart.
#[async_trait]
pub trait StoreFactory: Send + Sync + 'static {
    /// Keeps the data alive while the check runs; dropping it may delete the data.
    type Place: Send + Sync + 'static;

    /// A new, empty place.
    async fn place(&self) -> Self::Place;

    /// Opens every port on `place` (creating or migrating its schema as the server would),
    /// publishing the wake of each commit on `bus`. Opening a place again after the previous
    /// stores were dropped is a restart: everything committed must be there.
    async fn open(&self, place: &Self::Place, bus: Arc<dyn Bus>) -> Stores;
}

/// How long one check may take before it counts as hung. Generous: the machine may be loaded.
pub const CHECK_TIME_MAX: Duration = Duration::from_secs(120);

/// Runs one check on a runtime of its own with two worker threads, so that the concurrency
/// checks race for real; a check that outlives [`CHECK_TIME_MAX`] fails.
pub fn run<F: Future<Output = ()>>(check: F) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        tokio::time::timeout(CHECK_TIME_MAX, check).await.expect("the check did not finish in time");
    });
}

/// Calls `$m!(check)` for every check of the suite: the one list of them.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_check {
    ($m:ident, $factory:expr) => {
        $crate::__for_each_check!(@ $m, $factory,
            accounts::domains_are_unique_by_name,
            accounts::domain_settings_persist,
            accounts::account_names_are_unique_per_domain,
            accounts::a_batch_of_accounts_is_made_whole_or_not_at_all,
            accounts::search_pages_by_login_name,
            accounts::accounts_are_found_by_name_keys,
            accounts::invitations_and_applications,
            accounts::profile_patch_sets_clears_and_keeps,
            accounts::password_change_revokes_other_sessions_atomically,
            accounts::disabling_revokes_every_session,
            accounts::sessions_are_found_by_token_hash_while_live,
            accounts::sessions_list_live_unexpired_newest_first,
            accounts::session_cap_revokes_the_oldest,
            accounts::revoking_is_scoped_to_the_account,
            accounts::revocation_log_pages_in_order,
            accounts::prune_forgets_old_sessions_and_revocations,
            log::group_creation_opens_the_log,
            log::direct_chat_is_one_per_key,
            log::seqs_are_dense_and_entries_round_trip,
            log::replayed_client_id_returns_the_first_entry,
            log::refused_append_changes_nothing,
            log::check_sees_the_state_at_commit,
            log::message_effect_counts_unread_for_others,
            log::members_join_leave_and_come_back,
            log::recipients_cover_every_span_from_a_seq,
            log::member_spans_list_every_span_of_an_account,
            log::roles_owner_and_mutes,
            log::group_info_patch,
            log::edit_replaces_the_body,
            log::recall_erases_content_edits_reactions_mentions_and_file_refs,
            log::reactions_add_and_remove,
            log::dissolve_ends_every_membership,
            log::domain_groups_list_a_domains_groups,
            log::mentions_count_until_read,
            log::mention_all_means_nothing_in_a_direct_chat,
            log::marks_never_go_back_nor_past_the_end,
            log::member_settings_change_and_log,
            log::hidden_entries_are_hidden_for_one_viewer,
            log::shared_items_are_listed_by_kind_as_the_viewer_reads_them,
            log::entries_page_within_floor_and_ceiling,
            log::members_page_by_account,
            log::summaries_follow_activity,
            log::summary_of_a_direct_chat_names_the_peer,
            log::account_events_are_dense_per_account,
            log::tail_is_the_commit_order,
            log::tail_pages_never_skip,
            log::wake_carries_what_the_tail_holds,
            log::committed_appends_survive_a_restart,
            keep::pins_follow_their_notices,
            keep::recall_unpins_and_erases_saved_copies,
            keep::a_save_copies_the_message_at_commit,
            keep::a_refused_save_changes_nothing,
            keep::saved_items_page_and_change,
            keep::a_save_racing_a_recall_keeps_no_content,
            scheduled::scheduled_messages_are_each_accounts_own_and_bounded,
            scheduled::claims_take_what_is_due_once,
            scheduled::a_held_message_is_left_alone,
            scheduled::a_claim_ends_as_its_sender_says,
            scheduled::racing_claims_take_each_message_once,
            scheduled::scheduled_files_are_kept,
            org::departments_form_a_bounded_tree,
            org::moves_keep_it_a_tree,
            org::people_are_in_departments_with_titles,
            org::managers_chats_and_the_chat_owner_are_kept,
            ldap::a_source_is_kept_per_domain,
            ldap::links_follow_entries,
            ldap::a_due_sync_is_claimed_once,
            ldap::groups_and_the_sync_state_are_kept,
            mail::the_outbox_is_bounded_and_claimed_once,
            mail::a_code_is_used_once,
            mail::locales_and_email_rules_are_kept,
            mail::notification_prefs_are_kept_per_account,
            push::targets_are_bounded_moved_and_end_with_their_session,
            push::the_audience_is_who_could_be_told,
            push::push_jobs_are_queued_once_and_claimed_with_a_lease,
            push::a_finished_job_leaves_retries_in_the_outbox,
            push::the_outbox_sends_each_push_once,
            digest::digests_wait_are_claimed_once_and_end,
            bots::bots_are_written_with_their_accounts,
            bots::a_tokens_scope_is_kept_with_its_session,
            apps::apps_are_bounded_ordered_and_changed,
            apps::codes_grants_and_tokens_are_taken_once_and_go_with_their_app,
            apps::grants_made_at_once_keep_every_scope,
            apps::no_pair_outlives_a_grant_withdrawn_while_it_is_kept,
            ledger::a_movement_is_made_once_whole_and_never_overdraws,
            ledger::racing_movements_never_overdraw_or_move_a_key_twice,
            commands::commands_are_replaced_whole_and_one_bots_in_a_domain,
            commands::a_conversation_offers_the_commands_of_its_member_bots,
            webhooks::subscriptions_are_bounded_changed_and_deleted_with_their_events,
            webhooks::events_are_written_once_and_bounded,
            webhooks::streams_are_claimed_in_order_by_one_holder_at_a_time,
            webhooks::racing_claims_never_hold_one_stream,
            webhooks::failures_disable_once_and_a_delivery_resets_them,
            webhooks::subscribers_are_enabled_subscriptions_of_member_bots,
            webhooks::delivered_events_are_pruned,
            webhooks::outcomes_of_many_requests_are_written_at_once,
            inbox::items_are_kept_once_read_and_removed,
            inbox::pruning_keeps_the_newest,
            inbox::badges_count_unread_conversations,
            audit::audit_records_read_back_as_appended,
            audit::audit_records_survive_a_restart,
            audit::audit_filters_narrow_the_records,
            audit::audit_pages_walk_every_record_once,
            audit::racing_audit_appends_get_distinct_ids,
            audit::an_audit_export_during_appends_misses_nothing,
            audit::moderation_rules_are_kept_per_domain,
            exports::exports_read_back_as_created,
            exports::exports_list_by_domain_newest_first,
            exports::exports_update_only_while_running,
            exports::stale_exports_fail,
            exports::expired_exports_are_taken,
            contacts::friend_requests_and_acceptance,
            contacts::declined_requests_and_removed_contacts,
            contacts::blocks_are_one_sided,
            contacts::presence_audience,
            files::uploads_within_quota,
            files::complete_upload_turns_an_upload_into_a_file,
            files::file_shared_with_follows_messages_and_stickers,
            files::avatar_files_are_their_domains_and_kept,
            files::expired_uploads_are_taken,
            files::unshared_files_are_taken_with_their_last_blob_ref,
            retention::a_prune_deletes_old_entries_and_what_hangs_on_them,
            retention::retention_policies_and_candidates,
            retention::retention_runs_are_recorded,
            retention::scheduled_runs_follow_each_policy,
            files::sticker_packs,
            previews::previews_are_cached_replaced_and_pruned,
            cursors::cursors_are_saved_per_consumer,
            cursors::cursors_survive_a_restart,
            cursors::a_durable_followers_first_start_is_saved,
            presence::presence_comes_with_the_first_connection_and_goes_with_the_last,
            presence::a_chosen_status_shows_while_connected,
            races::racing_appends_get_consecutive_seqs,
            races::racing_replays_store_one_entry,
            races::concurrent_messages_stand_alone,
            races::removal_racing_a_send,
            races::racing_direct_chat_creation,
            races::racing_events_are_dense_per_account,
            races::racing_uploads_respect_the_quota,
            races::racing_marks_keep_the_highest,
            races::sync_cursor_never_misses_a_conversation,
            races::tail_read_while_writing_never_skips,
        );
    };
    (@ $m:ident, $factory:expr, $($module:ident :: $check:ident),* $(,)?) => {
        $( $crate::$m!($module, $check, $factory); )*
    };
}

/// One `#[test]` for one check.
#[doc(hidden)]
#[macro_export]
macro_rules! __check_test {
    ($module:ident, $check:ident, $factory:expr) => {
        #[test]
        fn $check() {
            $crate::run($crate::$module::$check(&$factory));
        }
    };
}

/// Runs the whole conformance suite against the adapter that `$factory` (an expression whose
/// type implements [`StoreFactory`]) opens: one `#[test]` per check, named after it, and the
/// delivery property test. Use it once, at the root of a test file.
#[macro_export]
macro_rules! conformance {
    ($factory:expr) => {
        $crate::__for_each_check!(__check_test, $factory);

        #[test]
        fn delivery_property() {
            $crate::delivery::property(&$factory);
        }
    };
}
