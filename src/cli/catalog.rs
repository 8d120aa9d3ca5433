//! Where a command's tool catalog comes from: a file (`--tools`, or the
//! files `schema diff` compares) or the server's `GET /api/tools`.

use std::borrow::Borrow;
use std::path::Path;

use serde_json::Value as Json;

use super::failure::Failure;
use crate::catalog::Catalog;
use crate::client::Client;
use crate::protocol::LIVE_API_HEADER;

/// A catalog file as the JSON document it is (the simulator serves it as
/// it stands).
pub fn read_json(path: &Path) -> Result<Json, Failure> {
    let text = crate::playbook::read_regular_file(path).map_err(|e| {
        Failure::Invalid(format!("cannot read tool catalog {}: {e}", path.display()))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::Invalid(format!("tool catalog {} is not JSON: {e}", path.display())))
}

/// A catalog file, read as a catalog.
pub fn read(path: &Path) -> Result<Catalog, Failure> {
    Catalog::from_value(read_json(path)?)
        .map_err(|e| Failure::Invalid(format!("tool catalog {}: {e}", path.display())))
}

/// The server's catalog (its document as served is [`Catalog::document`]).
pub async fn fetch(client: &Client) -> Result<Catalog, Failure> {
    let raw = client.list_tools().await?;
    Catalog::from_value(raw)
        .map_err(|e| Failure::Answer(format!("the tool list from {}: {e}", client.base_url())))
}

/// `--tools FILE` when given, else the server's catalog.
pub async fn load(tools: Option<&Path>, client: &Client) -> Result<Catalog, Failure> {
    let live_api = client
        .profile_headers()
        .get(LIVE_API_HEADER)
        .is_some_and(|v| v == "true");
    load_with(tools, live_api, || client).await
}

/// [`load`], with the client made only when the server is asked: a pinned
/// catalog needs none. A 2.x catalog file, pinned with the default profile,
/// gets the Live API tool when `live_api` asks for it, as the server would
/// list it.
async fn load_with<C: Borrow<Client>>(
    tools: Option<&Path>,
    live_api: bool,
    connect: impl FnOnce() -> C,
) -> Result<Catalog, Failure> {
    match tools {
        Some(path) => {
            let catalog = read(path)?;
            if !live_api || catalog.generation() != crate::protocol::Generation::V2 {
                return Ok(catalog);
            }
            let mut doc = catalog.document();
            crate::catalog::add_live_api_tool(&mut doc);
            Catalog::from_value(doc)
                .map_err(|e| Failure::Invalid(format!("tool catalog {}: {e}", path.display())))
        }
        None => fetch(connect().borrow()).await,
    }
}

/// As [`load`], for a command that sends nothing but the catalog read
/// (`check`, `run --dry-run`): the client is made only when the server is
/// asked, and with no server there, the failure says how to go without one.
pub async fn load_for_check<C: Borrow<Client>>(
    tools: Option<&Path>,
    live_api: bool,
    connect: impl FnOnce() -> C,
) -> Result<Catalog, Failure> {
    load_with(tools, live_api, connect)
        .await
        .map_err(|f| match f {
            Failure::Client(e) if e.is_unreachable() => Failure::Offline(e),
            other => other,
        })
}
