//! Mail: the outbox every mail waits in until the mail server takes it, the mails themselves
//! (in Chinese and English), and the one-time codes mailed for registration and password
//! resets.
//!
//! **Invariants.** A request that sends mail only writes it to the outbox, in the store, and
//! returns: a slow or absent mail server never holds a request, and a mail the outbox took is
//! not lost to a restart or a failover (any node sends what is due; a claim keeps two nodes
//! from sending one mail at once). The outbox is bounded ([`Settings::mail_outbox_len_max`]):
//! past it a request that must mail is refused with `unavailable` rather than dropping mail.
//! A failed send is retried with exponential backoff up to `mail_attempts_max` times; a mail
//! the server refuses for good (a 5xx answer) is given up at once. Codes are kept as hashes,
//! used at most once, dead after `email_code_attempts_max` wrong tries or their time to live.
//!
//! [`Settings::mail_outbox_len_max`]: crate::Settings::mail_outbox_len_max

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::model::DomainId;
use crate::ports::{MailStore, Stores};
use crate::{Deps, Error, Result};

/// Mails one pass of the outbox claims and sends.
pub const OUTBOX_CLAIM_LEN_MAX: usize = 32;
/// How long a node holds the mails it claimed while it sends them; another node may take them
/// over after this (the first one died).
pub const SEND_LEASE_MS: i64 = 2 * 60 * 1000;
/// Digits of a mailed code.
pub const CODE_DIGITS: usize = 6;
/// Most email domains a domain's registrations may be restricted to.
pub const EMAIL_DOMAINS_MAX: usize = 32;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const EMAIL_BYTES_MAX: usize = 254;

/// The language a mail is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Zh,
    #[default]
    En,
}

impl Lang {
    /// `zh…` is Chinese, anything else English.
    pub fn parse(s: &str) -> Lang {
        if s.trim().to_ascii_lowercase().starts_with("zh") { Lang::Zh } else { Lang::En }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A mail to send: one recipient, a subject, and the same words as plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: OutgoingMail,
    /// Failed attempts so far.
    pub attempts: u32,
    pub created_at_ms: i64,
}

/// Why a send failed.
#[derive(Debug, Clone)]
pub struct MailError {
    /// The mail server refused this mail for good (a 5xx answer): retrying will not help.
    pub permanent: bool,
    pub message: String,
}

/// The mail server, as an adapter reaches it (SMTP).
#[async_trait]
pub trait MailSender: Send + Sync + 'static {
    /// Hands one mail to the mail server; `Ok` once the server accepted it.
    async fn send(&self, mail: &OutgoingMail) -> std::result::Result<(), MailError>;
}

/// What a code proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// That the registrant owns the email address.
    Register,
    /// That the person resetting a password reads the account's email.
    Reset,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Register => "register",
            CodePurpose::Reset => "reset",
        }
    }
}

/// Which code: one live code per domain, purpose and subject (an email address for a
/// registration, an account id for a reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCodeKey {
    pub domain: DomainId,
    pub purpose: CodePurpose,
    pub subject: String,
}

/// A code to keep: its hash, until when it is good.
#[derive(Debug, Clone)]
pub struct NewEmailCode {
    pub key: EmailCodeKey,
    pub code_hash: [u8; 32],
    pub expires_at_ms: i64,
}

/// What trying a code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code was right; it is used now.
    Used,
    /// The code was wrong; the attempt counted.
    Wrong,
    /// There is no live code: none was sent, or it expired, was used or had too many tries.
    Missing,
}

/// A fresh code: [`CODE_DIGITS`] random decimal digits.
pub fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_DIGITS).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

/// The hash a code is kept and compared as. Spaces and dashes people type are ignored.
pub fn code_hash(code: &str) -> [u8; 32] {
    let digits: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    Sha256::digest(digits.as_bytes()).into()
}

/// An email address as a key: trimmed, in lower case; `invalid_field` unless it has the form
/// `local@domain.tld` within [`EMAIL_BYTES_MAX`] bytes.
pub fn normalise_email(field: &'static str, email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    if email.len() > EMAIL_BYTES_MAX {
        return Err(Error::too_large(field, EMAIL_BYTES_MAX, crate::Unit::Bytes));
    }
    let valid = match email.split_once('@') {
        Some((local, host)) => {
            !local.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
                && !host.contains('@')
        }
        None => false,
    };
    if !valid {
        return Err(Error::invalid(field, "is not an email address (local@domain)"));
    }
    Ok(email)
}

/// A domain's allowed email domains from what an administrator typed: lower case, without a
/// leading `@`, each a host name with a dot, at most [`EMAIL_DOMAINS_MAX`], duplicates dropped.
pub fn parse_email_domains(given: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for d in given {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        let valid = !d.is_empty()
            && d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if !valid {
            return Err(Error::invalid("email_domains", "each must be a mail domain such as acme.com"));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > EMAIL_DOMAINS_MAX {
        return Err(Error::invalid("email_domains", "too many (at most 32)"));
    }
    Ok(out)
}

/// Whether a (normalised) email address is of one of `allowed` (empty: any).
pub fn email_domain_allowed(email: &str, allowed: &[String]) -> bool {
    let host = email.rsplit_once('@').map_or("", |(_, h)| h);
    allowed.is_empty() || allowed.iter().any(|d| d == host)
}

/// What the outbox has done since start, for `/metrics`.
#[derive(Debug, Default)]
pub struct MailStatus {
    pub sent: AtomicU64,
    /// Attempts that failed and will be retried.
    pub retried: AtomicU64,
    /// Mails given up on: refused for good, or out of attempts.
    pub dropped: AtomicU64,
}

/// The outbox and the mails Magpie writes.
#[derive(Clone)]
pub struct Mail {
    deps: Arc<Deps>,
    store: Arc<dyn MailStore>,
    wake: Arc<tokio::sync::Notify>,
    pub status: Arc<MailStatus>,
}

impl Mail {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Mail {
        Mail {
            deps,
            store: stores.mail.clone(),
            wake: Arc::new(tokio::sync::Notify::new()),
            status: Arc::new(MailStatus::default()),
        }
    }

    /// Whether this server sends mail at all (a mail server is configured).
    pub fn enabled(&self) -> bool {
        self.deps.mailer.get().is_some()
    }

    /// Puts a mail in the outbox; `unavailable` when this server sends no mail or the outbox
    /// is full (the mail server has been away for long).
    pub async fn enqueue(&self, mail: OutgoingMail) -> Result<()> {
        if !self.enabled() {
            return Err(Error::Unavailable("mail"));
        }
        let now = self.deps.clock.now_ms();
        if !self.store.enqueue_mail(&mail, now, self.deps.settings.mail_outbox_len_max).await? {
            tracing::warn!(outbox_len_max = self.deps.settings.mail_outbox_len_max, "mail outbox full; mail refused");
            return Err(Error::Unavailable("mail outbox"));
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Sends what is due in the outbox, one claim's worth; how many mails it tried.
    pub async fn send_due(&self) -> Result<usize> {
        let Some(sender) = self.deps.mailer.get() else { return Ok(0) };
        let s = &self.deps.settings;
        let now = self.deps.clock.now_ms();
        let claimed = self.store.claim_mail(now, SEND_LEASE_MS, OUTBOX_CLAIM_LEN_MAX).await?;
        for queued in &claimed {
            // A slow mail server must not outlast the claim: past half of it, the rest is left
            // to be claimed again when the claim runs out, rather than sent twice.
            if self.deps.clock.now_ms() - now > SEND_LEASE_MS / 2 {
                break;
            }
            match sender.send(&queued.mail).await {
                Ok(()) => {
                    self.store.delete_mail(queued.id).await?;
                    self.status.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.permanent || queued.attempts + 1 >= s.mail_attempts_max => {
                    tracing::error!(to = ?queued.mail.to, attempts = queued.attempts + 1, error = %e.message,
                        "mail given up");
                    self.store.delete_mail(queued.id).await?;
                    self.status.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    let backoff = retry_delay_ms(s.mail_retry_initial_secs, s.mail_retry_max_secs, queued.attempts);
                    let now = self.deps.clock.now_ms();
                    tracing::warn!(to = ?queued.mail.to, attempts = queued.attempts + 1, retry_in_ms = backoff,
                        error = %e.message, "mail not sent; will retry");
                    self.store.mail_failed(queued.id, now + backoff, &e.message).await?;
                    self.status.retried.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(claimed.len())
    }

    /// Sends the outbox in the background: at once when this node queues a mail, and every
    /// `poll` for retries and for mail other nodes queued. Does nothing without a mail server.
    pub fn spawn_outbox(&self, poll: std::time::Duration) {
        if !self.enabled() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                match this.send_due().await {
                    Ok(n) if n == OUTBOX_CLAIM_LEN_MAX => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "mail outbox"),
                }
                tokio::select! {
                    () = this.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
        });
    }

    /// Mails in the outbox.
    pub async fn outbox_len(&self) -> Result<u64> {
        Ok(self.store.outbox_len().await?)
    }
}

/// The wait before attempt `attempts + 1`: `initial` doubled per failed attempt, at most `max`.
pub(crate) fn retry_delay_ms(initial_secs: u64, max_secs: u64, attempts: u32) -> i64 {
    let secs = initial_secs.max(1).saturating_mul(1u64 << attempts.min(20)).min(max_secs.max(1));
    crate::settings::millis(secs)
}

/// Text as HTML text.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A mail of paragraphs; `code`, if any, stands out in the HTML.
fn compose(to: &str, subject: String, paragraphs: &[String], code: Option<&str>) -> OutgoingMail {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1f2328\">",
    );
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            text.push_str("\n\n");
        }
        text.push_str(p);
        html.push_str(&format!("<p>{}</p>", html_escape(p)));
        if i == 0
            && let Some(code) = code
        {
            text.push_str(&format!("\n\n    {code}"));
            html.push_str(&format!(
                "<p style=\"font-size:28px;font-weight:600;letter-spacing:6px;font-family:ui-monospace,monospace\">{}</p>",
                html_escape(code)
            ));
        }
    }
    text.push_str("\n\n— Magpie 喜鹊\n");
    html.push_str("<p style=\"color:#656d76\">— Magpie 喜鹊</p></body></html>");
    OutgoingMail { to: to.to_owned(), subject, text, html }
}

/// The mail with a registration or password-reset code.
pub fn code_mail(lang: Lang, purpose: CodePurpose, to: &str, domain: &str, code: &str, ttl_secs: u64) -> OutgoingMail {
    let mins = ttl_secs.div_ceil(60).max(1);
    let (subject, paragraphs) = match (lang, purpose) {
        (Lang::Zh, CodePurpose::Register) => (
            format!("{code} 是你在 {domain} 注册的验证码"),
            vec![
                format!("你好！你正在用这个邮箱注册 {domain} 的喜鹊账号，验证码是："),
                format!("验证码 {mins} 分钟内有效，只能用一次。"),
                "如果不是你本人操作，请忽略这封邮件，不会有账号用你的邮箱注册。".to_owned(),
            ],
        ),
        (Lang::Zh, CodePurpose::Reset) => (
            format!("{code} 是你在 {domain} 重置密码的验证码"),
            vec![
                format!("你好！有人请求重置你在 {domain} 的喜鹊账号密码，验证码是："),
                format!("验证码 {mins} 分钟内有效，只能用一次。重置后，你所有设备上的登录都会退出。"),
                "如果不是你本人操作，请忽略这封邮件，你的密码不会改变。".to_owned(),
            ],
        ),
        (Lang::En, CodePurpose::Register) => (
            format!("{code} is your {domain} verification code"),
            vec![
                format!("Hello! This address is being used to register a Magpie account at {domain}. Your code:"),
                format!("The code works once, within {mins} minutes."),
                "If this was not you, ignore this mail: no account is registered with your address.".to_owned(),
            ],
        ),
        (Lang::En, CodePurpose::Reset) => (
            format!("{code} is your {domain} password reset code"),
            vec![
                format!("Hello! Someone asked to reset the password of your Magpie account at {domain}. Your code:"),
                format!("The code works once, within {mins} minutes. A reset signs you out on every device."),
                "If this was not you, ignore this mail: your password stays as it is.".to_owned(),
            ],
        ),
    };
    compose(to, subject, &paragraphs, Some(code))
}

/// The mail that tells an applicant an administrator's decision.
pub fn decision_mail(lang: Lang, approved: bool, to: &str, account: &str, domain: &str) -> OutgoingMail {
    let (subject, paragraphs) = match (lang, approved) {
        (Lang::Zh, true) => (
            format!("你加入 {domain} 的申请已通过"),
            vec![
                format!("你好！管理员已批准你以 {account} 加入 {domain} 的申请。"),
                "现在就可以用注册时设置的密码登录了。".to_owned(),
            ],
        ),
        (Lang::Zh, false) => (
            format!("你加入 {domain} 的申请未获通过"),
            vec![
                format!("你好！管理员没有批准你以 {account} 加入 {domain} 的申请。"),
                "如有疑问，请联系该组织的管理员。".to_owned(),
            ],
        ),
        (Lang::En, true) => (
            format!("Your application to join {domain} was approved"),
            vec![
                format!("Hello! An administrator approved your application to join {domain} as {account}."),
                "You can sign in now with the password you chose.".to_owned(),
            ],
        ),
        (Lang::En, false) => (
            format!("Your application to join {domain} was declined"),
            vec![
                format!("Hello! An administrator declined your application to join {domain} as {account}."),
                "If you have questions, ask the organisation's administrators.".to_owned(),
            ],
        ),
    };
    compose(to, subject, &paragraphs, None)
}

/// Lines one digest mail shows at most; it says how many more wait.
pub const DIGEST_LINES_MAX: usize = 50;

/// The email digest: an account's unread direct messages and mentions, per conversation, the
/// times in `time_zone`.
pub fn digest_mail(
    lang: Lang,
    to: &str,
    account: &crate::names::AccountAddr,
    time_zone: &str,
    sections: &[crate::digest::DigestSection],
) -> OutgoingMail {
    let total: usize = sections.iter().map(|s| s.lines.len()).sum();
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let when = |at_ms: i64| {
        jiff::Timestamp::from_millisecond(at_ms)
            .map(|t| tz.to_datetime(t).strftime("%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let (subject, intro, outro) = match lang {
        Lang::Zh => (
            format!("你有 {total} 条未读的私聊和 @提及"),
            format!("你好！你（{account}）离开期间，这些私聊和提到你的消息还没有读："),
            "打开喜鹊即可回复。不想再收到这类邮件，可在“设置 → 通知”中关闭邮件摘要。".to_owned(),
        ),
        Lang::En => (
            format!("{total} unread: direct messages and mentions"),
            format!(
                "Hello! While you ({account}) were away, these direct messages and mentions of you arrived and are still unread:"
            ),
            "Open Magpie to reply. To stop these mails, turn email digests off in Settings → Notifications.".to_owned(),
        ),
    };
    let mut text = intro.clone();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1f2328\">",
    );
    html.push_str(&format!("<p>{}</p>", html_escape(&intro)));
    let mut shown = 0;
    for section in sections {
        if shown >= DIGEST_LINES_MAX {
            break;
        }
        let title = match (lang, section.direct) {
            (Lang::Zh, true) => format!("与 {} 的私聊", section.title),
            (Lang::En, true) => format!("Direct chat with {}", section.title),
            (_, false) => section.title.clone(),
        };
        text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
        text.push_str(&format!("{title}\n"));
        html.push_str(&format!(
            "<h3 style=\"margin:16px 0 4px;font-size:15px\">{}</h3><ul style=\"margin:0;padding-left:20px\">",
            html_escape(&title)
        ));
        for line in section.lines.iter().take(DIGEST_LINES_MAX - shown) {
            let mark = match (lang, line.why) {
                (Lang::Zh, crate::notify::Why::Mention) => "（@你）",
                (Lang::Zh, crate::notify::Why::MentionAll) => "（@所有人）",
                (Lang::En, crate::notify::Why::Mention) => " (@you)",
                (Lang::En, crate::notify::Why::MentionAll) => " (@all)",
                _ => "",
            };
            let at = when(line.at_ms);
            text.push_str(&format!("  {at} {}{mark}: {}\n", line.sender_name, line.text));
            html.push_str(&format!(
                "<li><span style=\"color:#656d76\">{}</span> <strong>{}</strong>{}: {}</li>",
                html_escape(&at),
                html_escape(&line.sender_name),
                html_escape(mark),
                html_escape(&line.text)
            ));
            shown += 1;
        }
        html.push_str("</ul>");
    }
    if total > shown {
        let more = match lang {
            Lang::Zh => format!("……还有 {} 条。", total - shown),
            Lang::En => format!("… and {} more.", total - shown),
        };
        text.push_str(&format!("\n{more}\n"));
        html.push_str(&format!("<p>{}</p>", html_escape(&more)));
    }
    text.push_str(&format!("\n{outro}\n\n— Magpie 喜鹊\n"));
    html.push_str(&format!("<p>{}</p><p style=\"color:#656d76\">— Magpie 喜鹊</p></body></html>", html_escape(&outro)));
    OutgoingMail { to: to.to_owned(), subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_lists_each_conversation_in_the_readers_language_and_escapes_what_people_wrote() {
        use crate::digest::{DigestLine, DigestSection};
        use crate::notify::Why;
        let addr = crate::names::AccountAddr::parse("bob@acme.com").unwrap();
        // 2026-12-05 02:30 UTC: 10:30 in Shanghai.
        let at = 1_796_437_800_000;
        let line =
            |name: &str, text: &str, why| DigestLine { sender_name: name.into(), at_ms: at, text: text.into(), why };
        let sections = vec![
            DigestSection {
                title: "Alice".into(),
                direct: true,
                lines: vec![line("Alice", "<b>lunch</b>?", Why::Direct)],
            },
            DigestSection {
                title: "发布组".into(), direct: false, lines: vec![line("Carol", "看一下", Why::Mention)]
            },
        ];
        let zh = digest_mail(Lang::Zh, "bob@mail.acme.com", &addr, "Asia/Shanghai", &sections);
        assert_eq!(zh.subject, "你有 2 条未读的私聊和 @提及");
        assert!(zh.text.contains("与 Alice 的私聊\n  12-05 10:30 Alice: <b>lunch</b>?"), "{}", zh.text);
        assert!(zh.text.contains("发布组\n  12-05 10:30 Carol（@你）: 看一下"), "{}", zh.text);
        assert!(zh.html.contains("&lt;b&gt;lunch&lt;/b&gt;?") && !zh.html.contains("<b>lunch"));
        let en = digest_mail(Lang::En, "bob@mail.acme.com", &addr, "UTC", &sections);
        assert!(en.subject.starts_with("2 unread") && en.text.contains("Direct chat with Alice"));
        assert!(en.text.contains("12-05 02:30 Carol (@you): 看一下"), "{}", en.text);
        let many = vec![DigestSection {
            title: "all hands".into(),
            direct: false,
            lines: (0..DIGEST_LINES_MAX + 3).map(|i| line("Dan", &format!("m{i}"), Why::MentionAll)).collect(),
        }];
        let capped = digest_mail(Lang::En, "bob@mail.acme.com", &addr, "UTC", &many);
        assert!(capped.text.contains("… and 3 more.") && !capped.text.contains(&format!("m{DIGEST_LINES_MAX}")));
    }

    #[test]
    fn codes_are_six_digits_and_hash_alike_with_spaces() {
        let code = new_code();
        assert_eq!(code.len(), CODE_DIGITS);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(code_hash("123 456"), code_hash("123456"));
        assert_ne!(code_hash("123456"), code_hash("123457"));
    }

    #[test]
    fn email_addresses_are_checked_and_lowered() {
        assert_eq!(normalise_email("email", " Gina@Acme.COM ").unwrap(), "gina@acme.com");
        for bad in ["gina", "gina@", "@acme.com", "gina@acme", "gi na@acme.com", "a@b@acme.com", "<a>@acme.com"] {
            assert!(normalise_email("email", bad).is_err(), "{bad}");
        }
        assert!(matches!(
            normalise_email("email", &format!("{}@acme.com", "a".repeat(250))),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn email_domains_restrict_registrations() {
        let allowed = parse_email_domains(&["@ACME.com".into(), "acme.cn".into(), "acme.com".into()]).unwrap();
        assert_eq!(allowed, ["acme.com", "acme.cn"]);
        assert!(email_domain_allowed("gina@acme.cn", &allowed));
        assert!(!email_domain_allowed("gina@evil-acme.com", &allowed));
        assert!(!email_domain_allowed("gina@mail.acme.com", &allowed));
        assert!(email_domain_allowed("gina@anything.org", &[]));
        assert!(parse_email_domains(&["acme".into()]).is_err());
        assert!(parse_email_domains(&["a b.com".into()]).is_err());
    }

    #[test]
    fn retries_back_off_to_the_cap() {
        assert_eq!(retry_delay_ms(5, 3600, 0), 5_000);
        assert_eq!(retry_delay_ms(5, 3600, 3), 40_000);
        assert_eq!(retry_delay_ms(5, 3600, 30), 3_600_000);
    }

    #[test]
    fn mails_escape_what_they_quote_in_html() {
        let mail = decision_mail(Lang::En, true, "g@acme.com", "<b>g</b>@acme", "acme");
        assert!(mail.html.contains("&lt;b&gt;g&lt;/b&gt;@acme"));
        assert!(mail.text.contains("<b>g</b>@acme"));
        let zh = code_mail(Lang::Zh, CodePurpose::Reset, "g@acme.com", "acme.example", "042917", 600);
        assert!(zh.subject.starts_with("042917"));
        assert!(zh.text.contains("10 分钟"));
    }
}
