//! The core's tunables. The binary fills them from its `Config`; tests use the defaults.

/// Seconds from the settings as milliseconds for clock arithmetic, saturating.
pub(crate) fn millis(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Limits and policies the services enforce. Every bound is named with its unit last.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a session lives after login.
    pub session_ttl_secs: u64,
    /// Sessions one account may hold at once; the oldest is revoked past this.
    pub sessions_per_account_max: usize,
    /// Password hashes computed at once; more wait their turn.
    pub password_hash_concurrency_max: usize,
    /// Password hashes waiting for their turn; more are refused as `Unavailable`.
    pub password_hash_queue_len_max: usize,
    /// Argon2id memory cost in KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations (OWASP: 2).
    pub argon2_iterations: u32,
    /// Shortest new password, in characters (Unicode scalar values).
    pub password_chars_min: usize,
    /// Least zxcvbn score (0–4) of a new password; 0 turns the check off.
    pub password_score_min: u8,
    /// Longest password accepted; longer ones are refused before hashing.
    pub password_bytes_max: usize,
    /// Failed logins of one account from one client IP in a rolling hour before that IP is
    /// refused for that account.
    pub login_failures_per_account_per_ip_per_hour_max: u32,
    /// Failed logins of one account from unknown places in a rolling hour after which logins
    /// from unknown places are slowed to one per `login_slow_interval_secs`.
    pub login_failures_per_account_per_hour_max: u32,
    /// Failed logins per client IP, over all accounts, in a rolling hour before `rate_limited`.
    pub login_failures_per_ip_per_hour_max: u32,
    /// Failed logins through one known device (a device key) in a rolling hour.
    pub login_failures_per_device_per_hour_max: u32,
    /// Once an account is under attack, how often a login from an unknown place is tried.
    pub login_slow_interval_secs: u64,
    /// How long a device key marks its device as known.
    pub device_key_ttl_secs: u64,
    /// The key that signs device keys. The binary keeps it in the data directory.
    pub device_key_secret: [u8; 32],
    /// Self-registrations from one client IP in a rolling hour.
    pub registrations_per_ip_per_hour_max: u32,
    /// Self-registrations in one domain in a rolling hour.
    pub registrations_per_domain_per_hour_max: u32,
    /// Password hashes for self-registration computed at once (apart from the logins' own).
    pub signup_hash_concurrency_max: usize,
    /// Self-registrations waiting for a hash; more are refused as `Unavailable`.
    pub signup_hash_queue_len_max: usize,
    /// Accounts returned by one directory search.
    pub directory_page_len_max: usize,
    /// Active members of one group or channel.
    pub group_members_max: usize,
    /// Groups and channels one account may belong to.
    pub groups_per_account_max: usize,
    /// A message body's JSON encoding.
    pub message_body_bytes_max: usize,
    /// The text of a `text`, `markdown` or `code` message.
    pub message_text_chars_max: usize,
    /// Accounts one message may mention.
    pub mentions_per_message_max: usize,
    /// How long after sending the sender may edit a message.
    pub edit_window_secs: u64,
    /// How long after sending the sender may recall a message (group admins always may).
    pub recall_window_secs: u64,
    /// Whether ordinary members may mention `@all` (admins and owners always may).
    pub members_may_mention_all: bool,
    /// Entries returned by one history page.
    pub history_page_len_max: usize,
    /// Account events or conversations returned by one sync page.
    pub sync_page_len_max: usize,
    /// Messages one forward may carry.
    pub forward_messages_max: usize,
    /// Accounts one membership change may name.
    pub members_per_change_max: usize,
    /// Groups up to this size carry their members' presence to each other.
    pub presence_group_members_max: usize,
    /// Largest file one upload may make.
    pub upload_bytes_max: u64,
    /// Bytes of files (and of open uploads) one account may hold.
    pub quota_bytes_per_account: u64,
    /// An upload that receives nothing for this long is gone.
    pub upload_expiry_secs: u64,
    /// A file that no message refers to is deleted this long after it was made.
    pub unshared_file_retention_secs: u64,
    /// A finished compliance export, and its archive, is deleted this long after it was made.
    pub export_keep_secs: u64,
    /// Entries one prune (one append, one transaction) deletes at most.
    pub retention_batch_entries: usize,
    /// Images with more pixels (width times height) are refused, before decoding.
    pub image_pixels_max: u64,
    /// Largest image file (by detected type).
    pub image_bytes_max: u64,
    /// Memory that image decoding (for thumbnails) may hold at once, over all decodes.
    pub image_decode_memory_bytes_max: u64,
    /// Images decoded at once.
    pub image_decode_concurrency_max: usize,
    /// Largest audio file (voice messages).
    pub audio_bytes_max: u64,
    /// Largest video file.
    pub video_bytes_max: u64,
    /// How often a follower of the log reads the tail even without a wake-up.
    pub log_poll_interval_ms: u64,
    /// How long a signed file link works.
    pub file_link_ttl_secs: u64,
    /// The key that signs file links. The binary keeps it in the data directory, so that
    /// links survive restarts; the default is random per process.
    pub file_link_key: [u8; 32],
    /// Whether the server makes link previews at all.
    pub link_previews_enabled: bool,
    /// How long a link preview is kept and shared before it is fetched again.
    pub link_preview_ttl_secs: u64,
    /// How long a link that gave no preview is left alone before it is tried again.
    pub link_preview_failure_ttl_secs: u64,
    /// Link previews one account may have fetched (not found in the cache) per rolling minute.
    pub link_previews_per_account_per_min_max: u32,
    /// Message searches one account may make per rolling minute.
    pub searches_per_account_per_min_max: u32,
    /// People and group searches (by name) one account may make per rolling minute.
    pub name_searches_per_account_per_min_max: u32,
    /// Link previews being fetched at once by one process; more are refused as `Unavailable`.
    pub link_preview_fetches_max: usize,
    /// Largest image a preview fetches (for its thumbnail); a larger one is left out.
    pub link_preview_image_bytes_max: u64,
    /// Which URLs may be previewed, by their form.
    pub link_preview_policy: crate::previews::UrlPolicy,
    /// Scheduled messages one account may hold at once, waiting or failed.
    pub scheduled_per_account_max: usize,
    /// How far ahead a message may be scheduled.
    pub scheduled_ahead_secs_max: u64,
    /// How far in the past a scheduled time may lie (a client's clock a little behind): such a
    /// message is due at once.
    pub scheduled_past_grace_secs: u64,
    /// How long a node holds a due scheduled message while it sends it; past this, any node
    /// may try again (the send is idempotent, so a second try never sends twice).
    pub scheduled_claim_secs: u64,
    /// Mails the outbox holds (the mail server away); past this, requests that must mail are
    /// refused with `Unavailable` rather than dropping mail.
    pub mail_outbox_len_max: usize,
    /// Attempts to send one mail before it is given up.
    pub mail_attempts_max: u32,
    /// The wait after a mail's first failed attempt; it doubles with each failure.
    pub mail_retry_initial_secs: u64,
    /// The longest wait between two attempts at one mail.
    pub mail_retry_max_secs: u64,
    /// Devices one account may register for pushes.
    pub push_targets_per_account_max: usize,
    /// Pushes the outbox holds (the push services away); past this, new pushes are dropped.
    pub push_outbox_len_max: usize,
    /// Attempts at one push before it is given up.
    pub push_attempts_max: u32,
    /// The wait after a push's first failed attempt; it doubles with each failure.
    pub push_retry_initial_secs: u64,
    /// The longest wait between two attempts at one push.
    pub push_retry_max_secs: u64,
    /// How long a node holds the pushes it claimed while it sends them; past this another
    /// node (or this one after a restart) takes over what it did not finish.
    pub push_claim_secs: u64,
    /// How long a push done (sent or given up) and a recorded failure are kept: a message
    /// handled again within this is not pushed again.
    pub push_keep_secs: u64,
    /// The least wait an account may choose before its email digest, in minutes (at most
    /// [`crate::notify::DIGEST_AFTER_MINS_MIN`]).
    pub digest_after_mins_min: u32,
    /// How often the digest sender looks for digests that fell due.
    pub digest_poll_ms: u64,
    /// Messages one account's next digest holds at most; later ones wait for the one after.
    pub digest_items_per_account_max: usize,
    /// How long a mailed code (registration, password reset) stays good.
    pub email_code_ttl_secs: u64,
    /// Wrong tries of one code before it is dead.
    pub email_code_attempts_max: u32,
    /// Codes mailed to one address (or for one account's reset) in a rolling hour.
    pub email_codes_per_address_per_hour_max: u32,
    /// Codes requested from one client IP in a rolling hour.
    pub email_codes_per_ip_per_hour_max: u32,
    /// The least wait between two codes to one address.
    pub email_code_resend_secs: u64,
    /// Requests to an app's URL that may fail in a row before its subscription is disabled.
    pub webhook_failures_max: u32,
    /// The wait after a request's first failure; it doubles with each failure in a row.
    pub webhook_retry_initial_ms: u64,
    /// The longest wait between two attempts at one batch of events.
    pub webhook_retry_max_ms: u64,
    /// How long a node holds the events it claimed while it delivers them: longer than a
    /// request may take. Past it, another node (or this one after a restart) sends them again.
    pub webhook_lease_ms: u64,
    /// How often the webhook sender looks for events that fell due (it also looks at once
    /// when its follower wrote some).
    pub webhook_poll_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl_secs: 30 * 24 * 3600,
            sessions_per_account_max: 100,
            password_hash_concurrency_max: 2,
            password_hash_queue_len_max: 64,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            password_chars_min: 12,
            password_score_min: 2,
            password_bytes_max: 1024,
            login_failures_per_account_per_ip_per_hour_max: 10,
            login_failures_per_account_per_hour_max: 20,
            login_failures_per_ip_per_hour_max: 100,
            login_failures_per_device_per_hour_max: 10,
            login_slow_interval_secs: 10,
            device_key_ttl_secs: 180 * 24 * 3600,
            device_key_secret: random_key(),
            registrations_per_ip_per_hour_max: 10,
            registrations_per_domain_per_hour_max: 200,
            signup_hash_concurrency_max: 1,
            signup_hash_queue_len_max: 8,
            directory_page_len_max: 100,
            group_members_max: 10_000,
            groups_per_account_max: 1_000,
            message_body_bytes_max: 32 * 1024,
            message_text_chars_max: 8_000,
            mentions_per_message_max: 100,
            edit_window_secs: 24 * 3600,
            recall_window_secs: 120,
            members_may_mention_all: false,
            history_page_len_max: 200,
            sync_page_len_max: 500,
            forward_messages_max: 100,
            members_per_change_max: 500,
            presence_group_members_max: 100,
            upload_bytes_max: 100 * 1024 * 1024,
            quota_bytes_per_account: 10 * 1024 * 1024 * 1024,
            upload_expiry_secs: 24 * 3600,
            unshared_file_retention_secs: 7 * 24 * 3600,
            export_keep_secs: 7 * 24 * 3600,
            retention_batch_entries: 5_000,
            image_pixels_max: 50_000_000,
            image_bytes_max: 20 * 1024 * 1024,
            image_decode_memory_bytes_max: 512 * 1024 * 1024,
            image_decode_concurrency_max: 2,
            audio_bytes_max: 20 * 1024 * 1024,
            video_bytes_max: 100 * 1024 * 1024,
            file_link_ttl_secs: 300,
            log_poll_interval_ms: 1000,
            file_link_key: random_key(),
            link_previews_enabled: true,
            link_preview_ttl_secs: 24 * 3600,
            link_preview_failure_ttl_secs: 600,
            link_previews_per_account_per_min_max: 30,
            searches_per_account_per_min_max: 120,
            name_searches_per_account_per_min_max: 600,
            link_preview_fetches_max: 16,
            link_preview_image_bytes_max: 5 * 1024 * 1024,
            link_preview_policy: crate::previews::UrlPolicy::default(),
            scheduled_per_account_max: 100,
            scheduled_ahead_secs_max: 366 * 24 * 3600,
            scheduled_past_grace_secs: 60,
            scheduled_claim_secs: 60,
            mail_outbox_len_max: 10_000,
            mail_attempts_max: 12,
            mail_retry_initial_secs: 5,
            mail_retry_max_secs: 3600,
            push_targets_per_account_max: 20,
            push_outbox_len_max: 1_000_000,
            push_attempts_max: 8,
            push_retry_initial_secs: 2,
            push_retry_max_secs: 600,
            push_claim_secs: 60,
            push_keep_secs: 2 * 24 * 3600,
            digest_after_mins_min: crate::notify::DIGEST_AFTER_MINS_MIN,
            digest_poll_ms: 60_000,
            webhook_failures_max: 100,
            webhook_retry_initial_ms: 1_000,
            webhook_retry_max_ms: 10 * 60 * 1000,
            webhook_lease_ms: 25_000,
            webhook_poll_ms: 1_000,
            digest_items_per_account_max: 200,
            email_code_ttl_secs: 600,
            email_code_attempts_max: 5,
            email_codes_per_address_per_hour_max: 5,
            email_codes_per_ip_per_hour_max: 20,
            email_code_resend_secs: 60,
        }
    }
}

fn random_key() -> [u8; 32] {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

/// A key for one `purpose`, derived from the server's key (HMAC-SHA256), so that one secret in
/// the data directory serves every signature without two uses sharing a key.
pub fn derive_key(server_key: &[u8; 32], purpose: &str) -> [u8; 32] {
    use hmac::Mac;
    match <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(server_key) {
        Ok(mut mac) => {
            mac.update(purpose.as_bytes());
            mac.finalize().into_bytes().into()
        }
        // HMAC takes a key of any length: this does not happen.
        Err(_) => random_key(),
    }
}
