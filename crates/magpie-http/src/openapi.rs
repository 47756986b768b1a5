//! The OpenAPI 3.1 document, generated from the handlers' annotations and the wire types.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::{
    dashboard, files, logs, rest, rest_apps, rest_audit, rest_backups, rest_bots, rest_chat, rest_commands,
    rest_exports, rest_groups, rest_ldap, rest_moderation, rest_org, rest_push, rest_retention, rest_search,
    rest_subscriptions, rest_wallets,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Magpie", description = "Magpie's REST API. The WebSocket protocol at /v1/ws is described in docs/protocol.md."),
    paths(
        rest::login, rest::register, rest::signup_info, rest::email_code, rest::password_reset_code,
        rest::password_reset, rest::list_my_invitations, rest::create_my_invitation, rest::revoke_my_invitation,
        rest::logout,
        rest::get_me, rest::update_me, rest::change_password, rest::get_notification_prefs, rest::put_notification_prefs,
        rest::list_sessions, rest::revoke_session,
        rest::search_accounts, rest::get_account,
        rest::admin_list_domains, rest::admin_create_domain, rest::admin_get_domain, rest::admin_update_domain,
        rest::admin_list_accounts, rest::admin_create_account, rest::admin_get_account,
        rest::admin_disable_account, rest::admin_enable_account, rest::admin_revoke_sessions,
        rest::admin_list_invitations, rest::admin_create_invitation, rest::admin_revoke_invitation,
        rest::admin_list_applications, rest::admin_approve_account, rest::admin_reject_account,
        rest::admin_list_sessions, rest::admin_revoke_session,
        rest_chat::create_conversation, rest_chat::list_conversations, rest_chat::get_conversation,
        rest_chat::update_group, rest_chat::dissolve, rest_chat::list_members, rest_chat::add_members,
        rest_chat::remove_member, rest_chat::set_role, rest_chat::mute_member, rest_chat::transfer_ownership,
        rest_chat::leave, rest_chat::update_settings, rest_chat::send, rest_chat::get_messages, rest_chat::get_shared, rest_chat::edit,
        rest_chat::recall, rest_chat::react, rest_chat::card_action, rest_chat::get_receipts, rest_chat::forward, rest_chat::hide,
        rest_chat::list_pins, rest_chat::pin, rest_chat::unpin,
        rest_chat::mark_read, rest_chat::mark_delivered, rest_chat::sync,
        rest_chat::list_contacts, rest_chat::remove_contact, rest_chat::list_friend_requests,
        rest_chat::send_friend_request, rest_chat::accept_friend_request, rest_chat::reject_friend_request,
        rest_chat::list_blocked, rest_chat::block, rest_chat::unblock,
        rest_chat::typing, rest_chat::set_presence, rest_chat::get_presence,
        rest_chat::list_stickers, rest_chat::create_sticker_pack, rest_chat::add_sticker,
        rest_chat::save_message, rest_chat::list_saved, rest_chat::get_saved, rest_chat::update_saved,
        rest_chat::remove_saved,
        rest_chat::get_thread, rest_chat::update_thread, rest_chat::list_threads,
        rest_chat::schedule_message, rest_chat::list_conversation_scheduled, rest_chat::list_scheduled,
        rest_chat::get_scheduled, rest_chat::update_scheduled, rest_chat::cancel_scheduled, rest_chat::send_scheduled,
        rest_search::search_messages,
        rest_search::search_files,
        rest_search::search_people,
        rest_search::search_groups,
        rest_push::push_config,
        rest_push::list_push_targets,
        rest_push::add_push_target,
        rest_push::remove_push_target,
        rest_push::admin_push_failures, rest_chat::list_notifications, rest_chat::read_notifications,
        rest_chat::announce,
        rest_audit::admin_audit,
        rest::admin_update_account,
        rest::admin_reset_password,
        rest::admin_import_accounts,
        rest_audit::admin_audit_export,
        rest_backups::admin_backups,
        rest_moderation::admin_moderation,
        rest_moderation::admin_set_moderation,
        rest_retention::admin_retention,
        rest_retention::admin_set_retention,
        rest_retention::admin_set_conversation_retention,
        rest_retention::admin_start_retention_run,
        rest_retention::admin_retention_run,
        rest_wallets::wallet, rest_wallets::admin_credit, rest_wallets::admin_ledger,
        rest_bots::list_bots,
        rest_bots::create_bot,
        rest_bots::get_bot,
        rest_bots::update_bot,
        rest_bots::list_tokens,
        rest_bots::create_token,
        rest_bots::revoke_token,
        rest_bots::rotate_token,
        rest_bots::list_webhooks,
        rest_bots::create_webhook,
        rest_bots::delete_webhook,
        rest_bots::rotate_webhook,
        rest_bots::post_hook,
        rest_subscriptions::list_subscriptions,
        rest_subscriptions::create_subscription,
        rest_subscriptions::update_subscription,
        rest_subscriptions::delete_subscription,
        rest_subscriptions::rotate_subscription,
        rest_commands::list_commands,
        rest_commands::set_commands,
        rest_commands::offered_commands,
        rest_commands::invoke_command,
        rest_apps::workbench,
        rest_apps::grants,
        rest_apps::revoke_grant,
        rest_apps::bridge,
        files::app_icon,
        rest_apps::admin_list,
        rest_apps::admin_create,
        rest_apps::admin_update,
        rest_apps::admin_delete,
        rest_apps::admin_order,
        rest_apps::admin_rotate_secret,
        rest_apps::authorize_info,
        rest_apps::authorize,
        rest_apps::token,
        rest_apps::revoke,
        dashboard::admin_dashboard,
        dashboard::admin_connections,
        logs::admin_logs,
        rest_backups::admin_make_backup,
        rest_exports::admin_start_export,
        rest_exports::admin_exports,
        rest_exports::admin_export,
        rest_exports::admin_export_archive,
        rest_groups::admin_groups,
        rest_groups::admin_group_members,
        rest_groups::admin_transfer_group,
        rest_groups::admin_dissolve_group,
        rest_org::search_departments,
        rest_org::department_tree,
        rest_org::department_members,
        rest_org::placements,
        rest_org::admin_department_tree,
        rest_org::admin_create_department,
        rest_org::admin_update_department,
        rest_org::admin_delete_department,
        rest_org::admin_set_department_member,
        rest_org::admin_remove_department_member,
        rest_org::admin_set_manager,
        rest_ldap::admin_get_ldap_source,
        rest_ldap::admin_set_ldap_source,
        rest_ldap::admin_delete_ldap_source,
        rest_ldap::admin_test_ldap_source,
        rest_ldap::admin_sync_ldap,
        files::upload_once, files::download, files::info, files::link, files::thumbnail,
        rest_chat::link_preview, files::link_preview_image, files::card_image,
        rest::healthz, rest::readyz, rest::metrics,
    ),
    components(schemas(magpie_wire::ErrorBody, magpie_wire::ErrorCode, magpie_wire::RequestFrame, magpie_wire::ServerFrame, magpie_wire::SystemNotice, magpie_wire::ForwardBody, magpie_wire::SharedKind, magpie_wire::SearchOrder, magpie_wire::WebhookDelivery, magpie_wire::CardActionEvent, magpie_wire::CardActionAnswer, magpie_wire::CommandEvent, magpie_wire::CommandAnswer)),
    modifiers(&BearerAuth, &ErrorDefault),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Any operation may answer an error body with any status of the error table
/// (docs/protocol.md, section 2): `401` without a valid session, `400` for a malformed body or
/// parameter, `413` past a size bound, `429` past a rate limit, `503` when the server is busy,
/// `500` on an internal failure. The document says so once, as every operation's `default`
/// response, beside the specific responses its annotation lists.
struct ErrorDefault;

impl Modify for ErrorDefault {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let error = ResponseBuilder::new()
            .description("An error: `{\"error\": {\"code\", \"message\", ...}}` with the status of its code")
            .content("application/json", content)
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.entry("default".to_owned()).or_insert_with(|| error.clone().into());
            }
        }
    }
}

/// The document as JSON, built once.
pub fn openapi_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.to_json().unwrap_or_else(|_| "{}".to_owned())
    })
}
