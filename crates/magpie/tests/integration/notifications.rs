//! Notification preferences (docs/protocol.md, `GET`/`PUT /v1/me/notifications`): kept per
//! account, the same on every device, refused whole when a field breaks its rules.

use magpie_client::wire::{self, ErrorCode, NotificationPrefs, NotifyLevel, QuietHours};

use crate::harness::TestServer;

#[tokio::test]
async fn notification_preferences_follow_the_account_to_every_device() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    // Until set, the defaults.
    assert_eq!(alice.client.notification_prefs().await.unwrap(), NotificationPrefs::default());

    let phone = server.login("alice@localhost").await;
    let mut live = phone.connect().await;
    let want = NotificationPrefs {
        level: NotifyLevel::Mentions,
        quiet: Some(QuietHours { from_min: 22 * 60, to_min: 8 * 60 }),
        time_zone: "Asia/Shanghai".into(),
        keywords: vec![" 发布 ".into(), "Release".into(), "release".into()],
        preview: false,
        email_digest: true,
        digest_after_mins: 120,
        language: " zh-CN ".into(),
    };
    let set = alice.client.set_notification_prefs(&want).await.unwrap();
    assert_eq!(set.keywords, ["发布", "Release"], "trimmed, without duplicates");
    assert_eq!(set.language, "zh-CN", "trimmed");
    // The other device hears of it, and reads the same.
    loop {
        let event = crate::harness::next_account_event(&mut live).await;
        if event.event == wire::AccountEvent::NotifyPrefsChanged {
            break;
        }
    }
    assert_eq!(phone.client.notification_prefs().await.unwrap(), set);
    // Nobody else's changed.
    assert_eq!(bob.client.notification_prefs().await.unwrap(), NotificationPrefs::default());

    // A refused request changes nothing and names the field.
    let refused = [
        (NotificationPrefs { time_zone: "Mars/Olympus".into(), ..set.clone() }, "time_zone"),
        (NotificationPrefs { quiet: Some(QuietHours { from_min: 60, to_min: 60 }), ..set.clone() }, "quiet"),
        (NotificationPrefs { keywords: (0..21).map(|i| format!("k{i}")).collect(), ..set.clone() }, "keywords"),
        (NotificationPrefs { digest_after_mins: 5, ..set.clone() }, "digest_after_mins"),
        (NotificationPrefs { language: "zh_CN<".into(), ..set.clone() }, "language"),
    ];
    for (prefs, field) in refused {
        let err = alice.client.set_notification_prefs(&prefs).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)));
    }
    assert_eq!(alice.client.notification_prefs().await.unwrap(), set);
    // Back to the defaults.
    alice.client.set_notification_prefs(&NotificationPrefs::default()).await.unwrap();
    assert_eq!(phone.client.notification_prefs().await.unwrap(), NotificationPrefs::default());
}
