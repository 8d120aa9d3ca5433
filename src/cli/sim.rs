//! `pplay sim`: the simulator as a server of its own, until Ctrl-C.

use super::output::outln;
use std::net::SocketAddr;

use super::failure::Failure;
use super::{SimArgs, catalog};
use crate::exit;
use crate::sim::{self, SimOptions};

pub async fn sim(args: SimArgs) -> Result<i32, Failure> {
    let SimArgs {
        port,
        host,
        producer_pal,
        tools,
        default_format,
        latency_ms,
        fail_tools,
        disable_tools,
        legacy,
        faults,
    } = args;
    let mut opts = SimOptions {
        default_format: default_format.unwrap_or(producer_pal.generation().default_format()),
        latency_ms,
        fail_tools,
        disable_tools,
        legacy,
        faults,
        ..producer_pal.options()
    };
    if let Some(t) = &tools {
        opts.catalog = catalog::read_json(t)?;
    }
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| Failure::Invalid(format!("`{host}:{port}` is not an address: {e}")))?;
    let handle = sim::start_on(addr, opts)
        .await
        .map_err(|e| Failure::Invalid(format!("cannot serve on {addr}: {e}")))?;
    outln!(
        "Producer Pal simulator listening on {} (Ctrl-C stops it)",
        handle.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    outln!("{}", handle.summary());
    handle.stop().await;
    Ok(exit::OK)
}
