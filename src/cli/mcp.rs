//! `pplay mcp DIR...`: connects (or starts the simulator), reads the
//! catalog, finds the playbooks, then hands them to [`crate::mcp`] to serve
//! on stdio. The server's log is stderr: stdout carries the protocol.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::failure::{Failure, print_diagnostics};
use super::output::errln;
use super::{Rehearsal, Source, catalog, run, url};
use crate::exit;
use crate::mcp::{Server, playbooks};
use crate::report::ColorChoice;

/// `pplay mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Folders whose `*.yaml` playbooks become tools (subfolders are not read)
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub rehearsal: Rehearsal,
}

pub async fn mcp(args: McpArgs) -> Result<i32, Failure> {
    let McpArgs {
        dirs,
        source,
        rehearsal,
    } = args;
    let simulator = if rehearsal.sim {
        Some(run::start_sim(source.tools.as_deref(), rehearsal.producer_pal).await?)
    } else {
        None
    };
    let url = match &simulator {
        Some(s) => s.url(),
        None => url::of_source(&source)?,
    };
    let client = url::client(&source, &url, None);
    let tools_file = source.tools.as_deref().filter(|_| simulator.is_none());
    let catalog = catalog::load(tools_file, &client).await?;
    let (offered, rejected) = match playbooks::discover(&dirs, &catalog) {
        Ok(found) => found,
        Err(e) => {
            errln!("error: {e}");
            return Ok(exit::INVALID);
        }
    };
    for r in &rejected {
        errln!("{}: not offered, it does not pass check:", r.path.display());
        print_diagnostics(&r.problems, ColorChoice::Never);
    }
    errln!(
        "pplay mcp: {} playbook tool{} ({} not offered), calls go to {url}",
        offered.len(),
        if offered.len() == 1 { "" } else { "s" },
        rejected.len()
    );
    let server = Server::new(offered, Arc::new(catalog), client);
    let served = tokio::task::LocalSet::new()
        .run_until(server.serve_stdio())
        .await;
    if let Some(s) = simulator {
        s.stop().await;
    }
    match served {
        Ok(()) => Ok(exit::OK),
        Err(e) => {
            errln!("error: {e}");
            Ok(exit::INVALID)
        }
    }
}
