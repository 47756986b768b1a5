//! Slash commands: a bot's commands, set by the people who manage it
//! (`/v1/bots/{account}/commands`); those a conversation offers, and invoking one
//! (`/v1/conversations/{id}/commands`).

use axum::Json;
use axum::extract::State;
use magpie_core::commands::{Command, NewCommand};
use magpie_core::model::{Actor, ConversationId};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

fn list(commands: Vec<Command>) -> wire::BotCommandList {
    let commands = commands
        .into_iter()
        .map(|c| wire::BotCommand { name: c.name, description: c.description, hint: c.hint })
        .collect();
    wire::BotCommandList { commands }
}

/// `GET /v1/bots/{account}/commands`: the bot's slash commands, in its order.
#[utoipa::path(get, path = "/v1/bots/{account}/commands", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)),
    responses((status = 200, body = wire::BotCommandList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_commands(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::BotCommandList> {
    Ok(Json(list(state.core.commands.list(Actor::Account(&caller), &account).await?)))
}

/// `PUT /v1/bots/{account}/commands`: replaces the bot's slash commands.
#[utoipa::path(put, path = "/v1/bots/{account}/commands", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::BotCommandList,
    responses((status = 200, body = wire::BotCommandList), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "invalid_field: commands (more than 25), commands[i].name (its rule, named twice, or another bot's in this domain), commands[i].description, commands[i].hint", body = wire::ErrorBody)))]
pub async fn set_commands(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::BotCommandList>,
) -> ApiResult<wire::BotCommandList> {
    let commands = req
        .commands
        .into_iter()
        .map(|c| NewCommand { name: c.name, description: c.description, hint: c.hint })
        .collect();
    Ok(Json(list(state.core.commands.set(Actor::Account(&caller), &account, commands).await?)))
}

/// `GET /v1/conversations/{id}/commands`: the slash commands of the conversation's bots.
#[utoipa::path(get, path = "/v1/conversations/{id}/commands", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = wire::OfferedCommandList), (status = 404, body = wire::ErrorBody)))]
pub async fn offered_commands(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::OfferedCommandList> {
    let offered = state.core.commands.offered(&caller, ConversationId(id)).await?;
    let commands = offered
        .into_iter()
        .map(|o| wire::OfferedCommand {
            name: o.command.name,
            description: o.command.description,
            hint: o.command.hint,
            bot: o.bot_addr,
            bot_name: o.bot_name,
        })
        .collect();
    Ok(Json(wire::OfferedCommandList { commands }))
}

/// `POST /v1/conversations/{id}/commands`: invokes a slash command; its app answers at once.
#[utoipa::path(post, path = "/v1/conversations/{id}/commands", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::InvokeCommandRequest,
    responses((status = 200, body = wire::CommandResult), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "invalid_field: command (no bot of the conversation has it), text", body = wire::ErrorBody),
        (status = 502, description = "app_failed: the app did not answer in time, answered an error, or answered a message that is not valid", body = wire::ErrorBody)))]
pub async fn invoke_command(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::InvokeCommandRequest>,
) -> ApiResult<wire::CommandResult> {
    let name = req.command.strip_prefix('/').unwrap_or(&req.command);
    let invoked = state.core.commands.invoke(&caller, ConversationId(id), name, &req.text).await?;
    let (kind, body) = invoked.message.map_or((None, None), |(k, b)| (Some(k), Some(b)));
    Ok(Json(wire::CommandResult {
        response_type: invoked.response_type.as_str().to_owned(),
        kind,
        body,
        seq: invoked.seq.map(|s| s.0),
    }))
}
