//! `pplay mcp`: playbooks as tools for AI assistants, over the Model
//! Context Protocol on stdio. An assistant picks a recipe and fills in its
//! vars; the call is checked and run the way `pplay run` does it, so a
//! mistake is a located problem before anything reaches Live.
//!
//! One file per concept: [`playbooks`] (which playbooks are tools, and how
//! they are described), [`schema`] (a playbook's vars as an input schema),
//! [`call`] (a call: the arguments refused or set, checked, run, answered).
//! The server's own tools, `check_playbook` and `list_tools`, are here.

pub mod call;
pub mod playbooks;
pub mod schema;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceExt};
use serde_json::{Value as Json, json};

use crate::catalog::Catalog;
use crate::check::{self, Loaded};
use crate::client::Client;
use playbooks::PlaybookTool;

/// The server: its playbooks, and the one Producer Pal they all talk to.
pub struct Server {
    playbooks: Vec<PlaybookTool>,
    catalog: Arc<Catalog>,
    client: Client,
    tools: Vec<Tool>,
    /// One run at a time: two playbooks interleaving their calls on one
    /// Live Set would each find it changed under them.
    runs: tokio::sync::Mutex<()>,
}

impl Server {
    pub fn new(playbooks: Vec<PlaybookTool>, catalog: Arc<Catalog>, client: Client) -> Self {
        let mut tools: Vec<Tool> = playbooks.iter().map(|p| p.tool.clone()).collect();
        tools.extend(own_tools());
        Server {
            playbooks,
            catalog,
            client,
            tools,
            runs: tokio::sync::Mutex::new(()),
        }
    }

    /// Serves on stdin and stdout until the client closes them. Runs on a
    /// `LocalSet`: a run's future is not `Send`.
    pub async fn serve_stdio(self) -> Result<(), String> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("the MCP session did not start: {e}"))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| format!("the MCP session ended badly: {e}"))
    }

    /// `check_playbook`: a playbook's text, checked against the catalog
    /// as `pplay check --json` would.
    fn check_text(&self, args: &JsonObject) -> CallToolResult {
        let Some(text) = args.get("text").and_then(Json::as_str) else {
            return CallToolResult::error(vec![ContentBlock::text(
                "argument `text`: the playbook's YAML text is required; nothing was checked",
            )]);
        };
        let pb = match crate::playbook::parse_str("playbook.yaml", text) {
            Ok(pb) => pb,
            Err(d) => return call::problems_result(&d, "fix and check again"),
        };
        let env = crate::template::environment();
        let loaded = Loaded::new(&env, &pb, Vec::new(), &playbooks::default_options());
        match check::check(&env, loaded, &self.catalog) {
            Ok(c) => {
                let mut r = call::problems_result(&c.warnings, "the playbook can run");
                r.structured_content = Some(json!({
                    "problems": c.warnings.iter().map(call::view).collect::<Vec<_>>(),
                    "steps": c.step_count,
                }));
                r
            }
            Err(d) => call::problems_result(&d, "fix and check again"),
        }
    }

    /// `list_tools`: the Producer Pal catalog this server checks against.
    fn list_catalog(&self) -> CallToolResult {
        let tools: Vec<Json> = self
            .catalog
            .tools()
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "readOnly": t.read_only,
                    "inputSchema": t.input_schema,
                })
            })
            .collect();
        let text = self
            .catalog
            .tools()
            .iter()
            .map(|t| {
                let kind = if t.read_only {
                    "reads"
                } else {
                    "changes the set"
                };
                format!("{} ({kind}): {}", t.name, t.title)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
        r.structured_content = Some(json!({ "tools": tools }));
        r
    }
}

/// The server's own tools, beside the playbooks.
fn own_tools() -> Vec<Tool> {
    let text_schema = json!({
        "type": "object",
        "properties": { "text": { "type": "string", "description": "the playbook, as YAML" } },
        "required": ["text"],
        "additionalProperties": false,
    });
    let empty = json!({ "type": "object", "properties": {}, "additionalProperties": false });
    let read_only = || ToolAnnotations::new().read_only(true).destructive(false);
    let object = |v: Json| match v {
        Json::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    };
    let mut check = Tool::new(
        "check_playbook",
        "Check a playbook's YAML text against the Producer Pal catalog without sending \
         anything; answers with every problem, located by line and column",
        object(text_schema),
    );
    check.annotations = Some(read_only());
    let mut list = Tool::new(
        "list_tools",
        "List the Producer Pal tools the playbooks can call, with their parameters",
        object(empty),
    );
    list.annotations = Some(read_only());
    vec![check, list]
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pplay", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Each playbook tool runs a checked sequence of Producer Pal calls; its \
                 arguments are the playbook's vars. Write new playbooks with check_playbook \
                 until it reports no problems.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        let result = match request.name.as_ref() {
            "check_playbook" => self.check_text(&args),
            "list_tools" => self.list_catalog(),
            name => {
                let Some(pt) = self.playbooks.iter().find(|p| p.tool.name == name) else {
                    return Err(McpError::invalid_params(format!("no tool `{name}`"), None));
                };
                let progress = context
                    .meta
                    .get_progress_token()
                    .map(|token| call::Progress {
                        peer: context.peer.clone(),
                        token,
                    });
                let _turn = self.runs.lock().await;
                let result = call::call_playbook(
                    pt,
                    args,
                    &self.catalog,
                    &self.client,
                    progress,
                    context.ct.clone().cancelled_owned(),
                )
                .await;
                if context.ct.is_cancelled() {
                    log(&format!(
                        "{name}: cancelled; the run stopped after the call in flight"
                    ));
                }
                result
            }
        };
        Ok(result.into())
    }
}

/// A line in the server's log: stderr, as stdout carries the protocol.
pub fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
