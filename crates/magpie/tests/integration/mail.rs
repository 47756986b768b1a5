//! Mail in onboarding (docs/protocol.md §3, "Email codes and password resets"): registration
//! with an emailed code, email domains, password reset by a mailed code, applicants told the
//! decision by mail, and the outbox that keeps mail through a mail-server outage. Every mail
//! goes through a real SMTP server (aiosmtpd, started by scripts/services) and is read back
//! from its Maildir, as a mail client would read it.

use std::path::{Path, PathBuf};

use magpie_client::wire::{self, ErrorCode, RegistrationMode};
use mailparse::MailHeaderMap;

use crate::harness::{EVENTUALLY, PASSWORD, TestServer};

/// A mail the SMTP server received.
#[derive(Debug)]
struct Received {
    subject: String,
    text: String,
    html: String,
}

impl Received {
    /// The code a code mail carries: the line of six digits.
    fn code(&self) -> String {
        self.text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in {:?}", self.text))
            .to_owned()
    }
}

/// What the SMTP server keeps: a Maildir.
struct Inbox {
    dir: PathBuf,
}

impl Inbox {
    /// The suite's SMTP server (scripts/services).
    fn shared() -> (Inbox, String) {
        let hint = "run the suite with scripts/test, or `source \"$(scripts/services up)/env\"` first";
        let dir =
            std::env::var("MAGPIE_TEST_MAILDIR").unwrap_or_else(|_| panic!("MAGPIE_TEST_MAILDIR is not set: {hint}"));
        let url =
            std::env::var("MAGPIE_TEST_SMTP_URL").unwrap_or_else(|_| panic!("MAGPIE_TEST_SMTP_URL is not set: {hint}"));
        (Inbox { dir: dir.into() }, url)
    }

    /// Every mail to `to` so far, oldest first.
    fn mails_to(&self, to: &str) -> Vec<Received> {
        let mut found: Vec<(std::time::SystemTime, Received)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) else { continue };
            for entry in entries.flatten() {
                let Ok(raw) = std::fs::read(entry.path()) else { continue };
                let parsed = mailparse::parse_mail(&raw).expect("a well-formed mail");
                let headers = &parsed.headers;
                let recipient = headers.as_slice().get_first_value("To").unwrap_or_default();
                if !recipient.contains(to) {
                    continue;
                }
                let subject = headers.as_slice().get_first_value("Subject").unwrap_or_default();
                let part = |mime: &str| {
                    parsed
                        .subparts
                        .iter()
                        .find(|p| p.ctype.mimetype == mime)
                        .map(|p| p.get_body().expect("a decodable body"))
                        .unwrap_or_else(|| panic!("no {mime} part in the mail to {to}"))
                };
                let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
                found.push((modified, Received { subject, text: part("text/plain"), html: part("text/html") }));
            }
        }
        found.sort_by_key(|(t, _)| *t);
        found.into_iter().map(|(_, m)| m).collect()
    }

    /// Waits until at least `n` mails to `to` arrived; all of them. Looks again on each change
    /// the file system reports in `new/` (the SMTP server moves each mail there whole), watched
    /// before the first look so that no arrival is missed.
    async fn wait_for(&self, to: &str, n: usize) -> Vec<Received> {
        use notify::Watcher;
        let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |_| {
            let _ = changed.send(());
        })
        .expect("a file system watcher");
        watcher.watch(&self.dir.join("new"), notify::RecursiveMode::NonRecursive).expect("watching the Maildir");
        let deadline = tokio::time::Instant::now() + EVENTUALLY * 2;
        loop {
            let mails = self.mails_to(to);
            if mails.len() >= n {
                return mails;
            }
            let arrived = tokio::time::timeout_at(deadline, changes.recv()).await;
            assert!(arrived.is_ok(), "{n} mail(s) to {to} never arrived (got {})", mails.len());
        }
    }
}

/// An address nobody else in this run (or an earlier run against the same SMTP server) uses.
fn address(name: &str, domain: &str) -> String {
    let tag: u64 = rand_tag();
    format!("{name}.{tag:x}@{domain}")
}

fn rand_tag() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

fn register(account: &str, email: Option<&str>, code: Option<&str>) -> wire::RegisterRequest {
    wire::RegisterRequest {
        account: account.into(),
        password: PASSWORD.into(),
        email: email.map(str::to_owned),
        email_code: code.map(str::to_owned),
        ..Default::default()
    }
}

async fn mailing_server(extra: &[(&str, &str)]) -> (TestServer, Inbox) {
    let (inbox, url) = Inbox::shared();
    let mut env = vec![("MAGPIE_MAIL_SMTP_URL", url.as_str()), ("MAGPIE_MAIL_FROM", "Magpie <noreply@acme.example>")];
    env.extend_from_slice(extra);
    (TestServer::start_with(&env).await, inbox)
}

#[tokio::test]
async fn a_registration_proves_its_email_with_the_mailed_code() {
    let (server, inbox) = mailing_server(&[]).await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    let anon = server.anonymous();
    let before = anon.signup_info("localhost").await.unwrap();
    assert!(!before.email_verification && before.password_reset);

    let set = admin.client.admin_set_signup_email("localhost", Some(true), Some(&["Acme.com", "@acme.cn"])).await;
    let domain = set.unwrap();
    assert!(domain.email_verification);
    assert_eq!(domain.email_domains, ["acme.com", "acme.cn"]);
    let info = anon.signup_info("localhost").await.unwrap();
    assert_eq!((info.registration, info.email_verification), (RegistrationMode::Open, true));
    assert_eq!(info.email_domains, ["acme.com", "acme.cn"]);

    // An address of another email domain gets no code; a registration needs one.
    let outsider = address("gina", "gmail.com");
    let err = anon.request_email_code("localhost", &outsider, None).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email")));
    let gina_mail = address("gina", "acme.com");
    let err = anon.register(&register("gina@localhost", Some(&gina_mail), None)).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")));
    let err = anon.register(&register("gina@localhost", None, Some("123456"))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email")));

    // The code comes by mail, in the language asked for.
    let sent = anon.request_email_code("localhost", &gina_mail, Some("zh")).await.unwrap();
    assert_eq!((sent.expires_in_secs, sent.resend_after_secs), (600, 60));
    let mail = inbox.wait_for(&gina_mail, 1).await.remove(0);
    let code = mail.code();
    assert!(mail.subject.contains("注册的验证码") && mail.subject.starts_with(&code), "{}", mail.subject);
    assert!(mail.html.contains(&code) && mail.text.contains("10 分钟"));

    // A wrong code is refused and changes nothing; the right one registers, once.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let err = anon.register(&register("gina@localhost", Some(&gina_mail), Some(wrong))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")));
    assert!(admin.client.search_accounts("gina", None, None).await.unwrap().is_empty());
    // A taken name gives the code back.
    let err = anon.register(&register("boss@localhost", Some(&gina_mail), Some(&code))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AlreadyExists));
    let (gina, res) = anon.register(&register("gina@localhost", Some(&gina_mail), Some(&code))).await.unwrap();
    assert_eq!(res.me.profile.email.as_deref(), Some(gina_mail.as_str()), "the proven address is the account's");
    assert_eq!(gina.me().await.unwrap().profile.account, "gina@localhost");
    let err = anon.register(&register("hugo@localhost", Some(&gina_mail), Some(&code))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")), "used");

    // Another domain's registration cannot use this domain's codes.
    assert!(server.admin(&["domain", "add", "acme.example"], "").await.status.success());
    assert!(server.admin(&["domain", "set", "acme.example", "--registration", "open"], "").await.status.success());
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;
    chief.client.admin_set_signup_email("acme.example", Some(true), None).await.unwrap();
    let ivan_mail = address("ivan", "acme.com");
    anon.request_email_code("localhost", &ivan_mail, None).await.unwrap();
    let ivan_code = inbox.wait_for(&ivan_mail, 1).await.remove(0).code();
    let err = anon.register(&register("ivan@acme.example", Some(&ivan_mail), Some(&ivan_code))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")));

    // Five wrong tries kill a code: the right one is refused after them.
    let (l, c) = (&admin.client, "localhost");
    l.admin_set_signup_email(c, None, Some(&[])).await.unwrap();
    let jo_mail = address("jo", "example.org");
    anon.request_email_code("localhost", &jo_mail, Some("en")).await.unwrap();
    let jo = inbox.wait_for(&jo_mail, 1).await.remove(0);
    assert!(jo.subject.ends_with("is your localhost verification code"), "{}", jo.subject);
    let jo_code = jo.code();
    let wrong = if jo_code == "111111" { "222222" } else { "111111" };
    for _ in 0..5 {
        anon.register(&register("jo@localhost", Some(&jo_mail), Some(wrong))).await.unwrap_err();
    }
    let err = anon.register(&register("jo@localhost", Some(&jo_mail), Some(&jo_code))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")), "tried too often");
}

#[tokio::test]
async fn codes_expire_and_their_requests_are_limited_per_address_and_per_ip() {
    // Codes dead on arrival, no wait between two codes to one address, three per IP an hour.
    let env = [
        ("MAGPIE_MAIL_CODE_TTL_SECS", "0"),
        ("MAGPIE_MAIL_CODE_RESEND_SECS", "0"),
        ("MAGPIE_MAIL_CODES_PER_IP_PER_HOUR_MAX", "7"),
    ];
    let (server, inbox) = mailing_server(&env).await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    admin.client.admin_set_signup_email("localhost", Some(true), None).await.unwrap();
    let anon = server.anonymous();

    let kim_mail = address("kim", "acme.com");
    anon.request_email_code("localhost", &kim_mail, None).await.unwrap();
    let code = inbox.wait_for(&kim_mail, 1).await.remove(0).code();
    let err = anon.register(&register("kim@localhost", Some(&kim_mail), Some(&code))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_code")), "expired");

    // Five codes an hour to one address (the first is above), then rate_limited.
    for _ in 0..4 {
        anon.request_email_code("localhost", &kim_mail, None).await.unwrap();
    }
    let err = anon.request_email_code("localhost", &kim_mail, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
    assert!(err.retry_after_secs().is_some_and(|s| s > 0));
    // Seven per IP: two more addresses, then none.
    anon.request_email_code("localhost", &address("lee", "acme.com"), None).await.unwrap();
    anon.request_email_code("localhost", &address("max", "acme.com"), None).await.unwrap();
    let err = anon.request_email_code("localhost", &address("ned", "acme.com"), None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));

    // The default: one code per address a minute.
    let (server, _) = mailing_server(&[]).await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    admin.client.admin_set_signup_email("localhost", Some(true), None).await.unwrap();
    let anon = server.anonymous();
    let olga = address("olga", "acme.com");
    anon.request_email_code("localhost", &olga, None).await.unwrap();
    let err = anon.request_email_code("localhost", &olga, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
    let retry = err.retry_after_secs();
    assert!(retry.is_some_and(|s| (1..=61).contains(&s)), "{retry:?}");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_mailed_code_and_every_session_ends() {
    let (server, inbox) = mailing_server(&[]).await;
    let carol = server.user("carol").await;
    let carol_mail = address("carol", "acme.com");
    let update = wire::UpdateProfileRequest { email: Some(carol_mail.clone()), ..Default::default() };
    carol.client.update_me(&update).await.unwrap();
    let anon = server.anonymous();

    // Unknown accounts and accounts without an email get the same answer, and no mail.
    anon.request_password_reset("nobody@localhost", None).await.unwrap();
    anon.request_password_reset("carol@localhost", Some("en")).await.unwrap();
    let mail = inbox.wait_for(&carol_mail, 1).await.remove(0);
    assert!(mail.subject.contains("password reset code"), "{}", mail.subject);
    let code = mail.code();

    // A weak password is refused and leaves the code good; a wrong code is refused.
    let err = anon.reset_password("carol@localhost", &code, "short").await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("password")));
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let new_password = "marigold tractor seventeen lanterns";
    let err = anon.reset_password("carol@localhost", wrong, new_password).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("code")));
    let err = anon.reset_password("nobody@localhost", &code, new_password).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("code")));

    anon.reset_password("carol@localhost", &code, new_password).await.unwrap();
    let err = carol.client.me().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "every session of the account ended");
    let err = anon.login("carol@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    anon.login("carol@localhost", new_password).await.unwrap();
    let err = anon.reset_password("carol@localhost", &code, "another fine password 42").await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("code")), "used");
}

#[tokio::test]
async fn applicants_are_told_the_decision_by_mail_in_their_language() {
    let (server, inbox) = mailing_server(&[]).await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Approval).await.unwrap();
    let anon = server.anonymous();
    let (pat, quinn) = (address("pat", "acme.com"), address("quinn", "acme.com"));
    let apply = |account: &str, email: &str, lang: &str| wire::RegisterRequest {
        lang: Some(lang.into()),
        ..register(account, Some(email), None)
    };
    anon.apply(&apply("pat@localhost", &pat, "zh")).await.unwrap();
    anon.apply(&apply("quinn@localhost", &quinn, "en")).await.unwrap();

    admin.client.admin_decide("pat@localhost", true).await.unwrap();
    // The CLI's decision is mailed too (the server sends what the CLI queued).
    let smtp = [("MAGPIE_MAIL_SMTP_URL".to_owned(), Inbox::shared().1)];
    let out = server.admin_with(&["user", "reject", "quinn"], "", &smtp).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let approved = inbox.wait_for(&pat, 1).await.remove(0);
    assert!(approved.subject.contains("申请已通过"), "{}", approved.subject);
    assert!(approved.text.contains("pat@localhost"));
    let declined = inbox.wait_for(&quinn, 1).await.remove(0);
    assert!(declined.subject.contains("was declined"), "{}", declined.subject);
    anon.login("pat@localhost", PASSWORD).await.unwrap();
    let err = anon.login("quinn@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RegistrationRejected));
}

/// A private aiosmtpd, for a mail server that comes and goes.
struct PrivateSmtp {
    child: tokio::process::Child,
}

impl PrivateSmtp {
    async fn start(port: u16, maildir: &Path) -> PrivateSmtp {
        let python = std::env::var("MAGPIE_TEST_AIOSMTPD").expect("MAGPIE_TEST_AIOSMTPD is not set: run scripts/test");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let child = tokio::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        PrivateSmtp { child }
    }
}

impl Drop for PrivateSmtp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_the_mail_server_is_away_and_the_outbox_is_bounded() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}");
    let env = [
        ("MAGPIE_MAIL_SMTP_URL", url.as_str()),
        ("MAGPIE_MAIL_RETRY_INITIAL_SECS", "1"),
        ("MAGPIE_MAIL_RETRY_MAX_SECS", "1"),
        ("MAGPIE_MAIL_OUTBOX_LEN_MAX", "2"),
        ("MAGPIE_MAIL_POLL_INTERVAL_MS", "100"),
    ];
    let server = TestServer::start_with(&env).await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    admin.client.admin_set_signup_email("localhost", Some(true), None).await.unwrap();
    let anon = server.anonymous();

    // Nothing listens: the requests are answered all the same, and the mail waits.
    let (rue, sol) = (address("rue", "acme.com"), address("sol", "acme.com"));
    anon.request_email_code("localhost", &rue, None).await.unwrap();
    anon.request_email_code("localhost", &sol, None).await.unwrap();
    // The outbox holds two: a third mail is refused, not dropped.
    let err = anon.request_email_code("localhost", &address("tia", "acme.com"), None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unavailable));

    // The mail server comes back: what waited goes out, and the code in it works.
    let maildir = tempfile::tempdir().unwrap();
    let _smtp = PrivateSmtp::start(port, maildir.path()).await;
    let inbox = Inbox { dir: maildir.path().to_owned() };
    let code = inbox.wait_for(&rue, 1).await.remove(0).code();
    inbox.wait_for(&sol, 1).await;
    anon.register(&register("rue@localhost", Some(&rue), Some(&code))).await.unwrap();
    let uma = address("uma", "acme.com");
    anon.request_email_code("localhost", &uma, None).await.unwrap();
    inbox.wait_for(&uma, 1).await;

    // What the outbox went through shows in the metrics: retries while the server was away.
    let metrics = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    let value = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("magpie_mail_retried_total") >= 2.0, "{metrics}");
    assert!(value("magpie_mail_sent_total") >= 2.0);
    assert_eq!(value("magpie_mail_dropped_total"), 0.0);
}

#[tokio::test]
async fn a_server_without_mail_says_so() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let anon = server.anonymous();
    assert!(!anon.signup_info("localhost").await.unwrap().password_reset);
    let err = admin.client.admin_set_signup_email("localhost", Some(true), None).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email_verification")));
    let err = anon.request_password_reset("boss@localhost", None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "for good, not for now");
    // A domain that does not exist reads as closed.
    let info = anon.signup_info("nowhere.example").await.unwrap();
    assert_eq!(info.registration, RegistrationMode::Closed);
    // Email domains alone need no mail: a registration's address must be of them.
    admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    admin.client.admin_set_signup_email("localhost", None, Some(&["acme.com"])).await.unwrap();
    let err = anon.register(&register("vic@localhost", Some("vic@evil.example"), None)).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("email")));
    let (_, res) = anon.register(&register("vic@localhost", Some("Vic@Acme.com"), None)).await.unwrap();
    assert_eq!(res.me.profile.email.as_deref(), Some("vic@acme.com"));
}

/// Asks for `who`'s presence until it is `online` (or not): each look a request, no timer.
async fn presence_until(asker: &crate::harness::User, who: &str, online: bool) {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let p = asker.client.presence(&[who]).await.unwrap();
        if (p[0].status != wire::PresenceStatus::Offline) == online {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{who} never went {}",
            if online { "online" } else { "offline" }
        );
    }
}

#[tokio::test]
async fn an_email_digest_mails_unread_direct_messages_and_mentions_once_away_and_leaves_out_what_was_read() {
    let env = [("MAGPIE_MAIL_DIGEST_AFTER_MINS_MIN", "0"), ("MAGPIE_MAIL_DIGEST_POLL_MS", "50")];
    let (server, inbox) = mailing_server(&env).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let bob_mail = address("bob", "acme.com");
    let profile = wire::UpdateProfileRequest { email: Some(bob_mail.clone()), ..Default::default() };
    bob.client.update_me(&profile).await.unwrap();
    let prefs = wire::NotificationPrefs {
        email_digest: true,
        digest_after_mins: 0,
        time_zone: "Asia/Shanghai".into(),
        language: "zh-CN".into(),
        ..Default::default()
    };
    let saved = bob.client.set_notification_prefs(&prefs).await.unwrap();
    assert_eq!((saved.digest_after_mins, saved.language.as_str()), (0, "zh-CN"));
    let group = crate::harness::group(&alice, "发布组", &[&bob.account, &carol.account]).await.id;
    let chat = alice.client.open_direct(&bob.account).await.unwrap().id;

    // While bob is connected no digest goes; what he reads there never will.
    let live = bob.connect().await;
    presence_until(&carol, &bob.account, true).await;
    let first = alice.client.send_text(chat, "d1", "先看这个").await.unwrap();
    bob.client.mark_read(chat, first.seq).await.unwrap();
    alice.client.send_text(chat, "d2", "明天 10 点评审 <b>别迟到</b>").await.unwrap();
    let mention: wire::SendRequest = serde_json::from_value(serde_json::json!({
        "client_msg_id": "g1", "kind": "text", "body": {"text": "@bob 帮忙看下发布说明"}, "mentions": [bob.account]
    }))
    .unwrap();
    alice.client.send_message(group, &mention).await.unwrap();
    // A plain group message and carol's mention of nobody are not digest material.
    alice.client.send_text(group, "g2", "午饭吃什么").await.unwrap();
    live.close().await.unwrap();
    drop(live);
    presence_until(&carol, &bob.account, false).await;

    // Away (for the 0 minutes he chose): one mail, in Chinese, with what is still unread.
    let mails = inbox.wait_for(&bob_mail, 1).await;
    let digest = &mails[0];
    assert!(digest.subject.contains("未读的私聊和 @提及"), "{}", digest.subject);
    // Mail travels with CR LF line ends.
    assert!(digest.text.replace("\r\n", "\n").contains("与 alice 的私聊\n  "), "{}", digest.text);
    assert!(digest.text.contains("alice: 明天 10 点评审 <b>别迟到</b>"), "{}", digest.text);
    assert!(digest.html.contains("&lt;b&gt;别迟到&lt;/b&gt;"), "what people wrote is text in the HTML");
    // The mention was noted by then unless the follower lagged the disconnect: then it comes
    // in the next digest.
    let mails =
        if digest.text.contains("帮忙看下发布说明") { mails } else { inbox.wait_for(&bob_mail, 2).await };
    let all: String = mails.iter().map(|m| m.text.replace("\r\n", "\n")).collect();
    assert!(all.contains("发布组\n") && all.contains("alice（@你）: @bob 帮忙看下发布说明"), "{all}");
    assert!(!all.contains("先看这个"), "read while he was here: never mailed");
    assert!(!all.contains("午饭吃什么"), "not a mention");
}
