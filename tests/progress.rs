//! The progress bar: drawn under a pseudo-terminal, absent when piped.

mod common;

use std::io::Read;

use common::cmd::Test;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[test]
fn progress_bar_is_drawn_on_a_terminal_and_cleared() {
    let sim = common::SimProcess::start(&["--latency-ms", "60"]);
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_pplay"));
    cmd.args(["run", "playbooks/quickstart.yaml", "--url", &sim.url]);
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let collector = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().unwrap();
    drop(pair.master);
    let out = String::from_utf8_lossy(&collector.join().unwrap()).into_owned();
    assert!(status.success(), "{out}");
    // The bar counts calls of the known total, and is redrawn in place.
    assert!(out.contains("/10 calls"), "{out:?}");
    assert!(out.contains('\r') || out.contains("\x1b["), "{out:?}");
    // The rate is a plain number of calls a second, not `1,741.3545/s`.
    let rates: Vec<&str> = out
        .split("calls  ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(!rates.is_empty(), "{out:?}");
    for r in rates {
        let n = r
            .strip_suffix("/s")
            .unwrap_or_else(|| panic!("{r:?} in {out:?}"));
        assert!(
            n == "-" || (!n.contains(',') && n.split('.').nth(1).is_none_or(|d| d.len() == 1)),
            "{r:?}"
        );
    }
    // The bar is gone before the summary is printed.
    let bar = out.rfind("/10 calls").unwrap();
    let summary = out.rfind("10 steps, 13 calls").expect("summary");
    assert!(bar < summary, "{out:?}");
}

#[test]
fn no_progress_bar_when_piped() {
    let sim = common::SimProcess::start(&["--latency-ms", "60"]);
    let mut piped = Test::new().args(["run", "playbooks/quickstart.yaml", "--url", &sim.url]);
    for fragment in ["calls  ", "\r", "\x1b"] {
        piped = piped.stdout_lacks(fragment).stderr_lacks(fragment);
    }
    piped.run();
}
