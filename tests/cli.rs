//! The `pplay` binary end to end: exit codes, output streams, reporters,
//! URL precedence, the catalog commands. Calls go over loopback HTTP to the
//! simulator, started in-process or as `pplay sim`. Every test states the
//! command line as a user would type it (see `common::cmd`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::cmd::Test;
use pplay::sim::{self, SimOptions};
use serde_json::Value;

const PINNED: &str = "schemas/producer-pal-1.4.6.json";

/// A playbook with three problems: a number where text is expected, an
/// unknown tool and a misspelt key.
const INVALID: &str = "name: bad\nsteps:\n  - tool: ppal-update-track\n    args: { ids: 12 }\n  - tool: ppal-nope\n    captur: x\n";

/// An address nobody listens on.
fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// The recipes for Producer Pal 2.x, and their 1.4 versions.
const RECIPES: &str = "playbooks";
const RECIPES_1_4: &str = "playbooks/producer-pal-1.4";
const PINNED_2_3: &str = "schemas/producer-pal-2.3.0.json";

/// The playbooks in `dir` (not its parts).
fn playbooks_in(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The playbooks in `dir` and in its `parts/`.
fn with_parts(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v = playbooks_in(dir);
    v.extend(playbooks_in(&format!("{dir}/parts")));
    v
}

#[test]
fn quickstart_runs_against_the_simulator() {
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim"])
        .stdout_has("10 steps, 13 calls, 0 warnings, 0 failed, 0 skipped in")
        .stdout_has("Simulated Live Set: 2 tracks, 8 scenes, 5 clips, tempo 124")
        .run();
}

#[test]
fn every_recipe_checks_offline_against_its_generation() {
    for (dir, catalog) in [(RECIPES, PINNED_2_3), (RECIPES_1_4, PINNED)] {
        let books = with_parts(dir);
        assert!(books.len() >= 7, "{books:?}");
        for p in &books {
            Test::new()
                .arg("check")
                .arg(p)
                .args(["--tools", catalog])
                .stdout_has("no problems")
                .run();
        }
    }
}

#[test]
fn every_recipe_runs_green_on_its_simulator() {
    for p in &playbooks_in(RECIPES) {
        Test::new()
            .arg("run")
            .arg(p)
            .arg("--sim")
            .stdout_has(" 0 failed")
            .run();
    }
    for p in &playbooks_in(RECIPES_1_4) {
        Test::new()
            .arg("run")
            .arg(p)
            .args(["--sim", "--producer-pal", "1.4"])
            .stdout_has(" 0 failed")
            .run();
    }
}

#[test]
fn recipes_start_with_the_editor_schema_line() {
    for p in with_parts(RECIPES)
        .into_iter()
        .chain(with_parts(RECIPES_1_4))
    {
        let first = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            first.starts_with("# yaml-language-server: $schema="),
            "{}: {first}",
            p.display()
        );
        let target = first.split('=').nth(1).unwrap();
        assert!(
            p.parent().unwrap().join(target).exists(),
            "{} points at {target}",
            p.display()
        );
    }
}

#[test]
fn an_invalid_playbook_is_exit_2_with_every_problem() {
    for cmd in ["check", "run"] {
        Test::new()
            .arg(cmd)
            .playbook("bad.yaml", INVALID)
            .args(["--tools", PINNED, "--url", &closed_url()])
            .status(2)
            .stderr_has("quote it (\"12\")")
            .stderr_has("unknown tool `ppal-nope`")
            .stderr_has("unknown key `captur`")
            .stderr_has("3 problems")
            .stderr_has("nothing was sent")
            .run();
    }
}

#[test]
fn an_invalid_playbook_is_reported_on_stderr_as_the_terminal_shows_it() {
    Test::new()
        .arg("check")
        .playbook("bad.yaml", INVALID)
        .args(["--tools", PINNED])
        .status(2)
        .stdout("")
        .stderr_snapshot("an_invalid_playbook_on_stderr")
        .run();
}

#[test]
fn a_failed_step_is_exit_1() {
    Test::new()
        .arg("run")
        .playbook(
            "f.yaml",
            "name: f\nsteps:\n  - tool: ppal-read-clip\n    args: { slot: \"0/0\" }\n",
        )
        .args(["--sim", "--producer-pal", "1.4"])
        .status(1)
        .stdout_has("ppal-read-clip failed: Track index 0 is out of range")
        .stdout_has("1 failed")
        .run();
}

#[test]
fn unreachable_is_exit_3_naming_the_url() {
    let url = closed_url();
    Test::new()
        .args([
            "run",
            "playbooks/producer-pal-1.4/quickstart.yaml",
            "--url",
            &url,
        ])
        .status(3)
        .stderr_has(&url)
        .stderr_has("Is Ableton Live running with the Producer Pal device?")
        .run();
}

#[test]
fn url_precedence_flag_env_playbook_default() {
    let (u1, u2, u3) = (closed_url(), closed_url(), closed_url());
    let port = |u: &str| u.rsplit(':').next().unwrap().to_owned();
    let book = format!(
        "name: u\nvars: {{ port: {} }}\nurl: http://127.0.0.1:{{{{ port }}}}\nsteps:\n  - tool: ppal-connect\n",
        port(&u1)
    );
    let run = || Test::new().arg("run").playbook("u.yaml", &book).status(3);
    run().stderr_has(format!(":{}", port(&u1))).run();
    run()
        .env("PPAL_URL", &u2)
        .stderr_has(format!(":{}", port(&u2)))
        .run();
    run()
        .env("PPAL_URL", &u2)
        .args(["--url", &u3])
        .stderr_has(format!(":{}", port(&u3)))
        .run();
    // Without any: the default address, unless a Producer Pal is there.
    if std::net::TcpStream::connect(("localhost", 3350)).is_err() {
        Test::new()
            .arg("run")
            .playbook("u.yaml", "name: u\nsteps:\n  - tool: ppal-connect\n")
            .status(3)
            .stderr_has("http://localhost:3350")
            .run();
    }
}

#[test]
fn vars_from_the_command_line() {
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--vars-file"])
        .file("vars.yaml", "tempo: 90\nparts: [Kick, Bass, Pad]\n")
        .arg_scratch("vars.yaml")
        .args(["--var", "tempo=131"])
        .stdout_has("Set the tempo to 131")
        .stdout_has("3 tracks, 8 scenes")
        .run();
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--var", "oops"])
        .status(2)
        .run();
}

/// The quickstart on the simulator with one `--var`.
fn quickstart_with_var(var: &str) -> Test {
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim"])
        .args(["--var", var])
}

#[test]
fn a_var_on_the_command_line_can_be_a_list_or_a_mapping() {
    // A shell user writes a flow list; the playbook loops over it.
    quickstart_with_var("parts=[Kick, Bass, Pad]")
        .stdout_has("Create the Pad track")
        .stdout_has("3 tracks, 8 scenes")
        .run();
    // A flow mapping is a mapping: looping over it is the loop's error.
    quickstart_with_var("parts={Kick: 1, Bass: 2}")
        .status(2)
        .stderr_has("this gives a mapping")
        .run();
    // A list that does not close is refused, not sent as text.
    quickstart_with_var("parts=[Kick, Bass")
        .status(2)
        .stderr_has("opens a YAML list or mapping but does not parse")
        .run();
}

/// A value of the wrong kind from outside the playbook is told where to fix
/// it: the `--var` itself, or the vars file's line (a second source in the
/// report), not the playbook line that reads it.
#[test]
fn a_bad_var_value_is_reported_where_it_was_given() {
    quickstart_with_var("tempo=fast")
        .status(2)
        .stderr_has("--var tempo=... gives a string")
        .stderr_lacks("help: write a number without quotes")
        .stderr_snapshot("a_bad_var_on_the_command_line")
        .run();
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--vars-file"])
        .file("vars.yaml", "parts: [Kick]\ntempo: fast\n")
        .arg_scratch("vars.yaml")
        .status(2)
        .stderr_has("vars.yaml:2:8")
        .stderr_snapshot("a_bad_value_in_a_vars_file")
        .run();
}

#[test]
fn duplicate_keys_in_a_vars_file_are_errors_in_that_file() {
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--vars-file"])
        .file("vars.yaml", "tempo: 90\nparts: [Kick]\ntempo: 120\n")
        .arg_scratch("vars.yaml")
        .status(2)
        .stdout_lacks("Connect")
        .stderr_snapshot("duplicate_keys_in_a_vars_file")
        .run();
}

#[test]
fn a_var_no_template_uses_is_a_warning_with_did_you_mean() {
    Test::new()
        .args(["check", "playbooks/quickstart.yaml", "--tools", PINNED_2_3])
        .args(["--var", "tmepo=130", "--vars-file"])
        .file("vars.yaml", "parts: [Kick]\nprats: [Bass]\n")
        .arg_scratch("vars.yaml")
        .stdout_has("no problems (2 warnings)")
        .stderr_snapshot("a_var_no_template_uses")
        .run();
    // The warning does not stop the run, and a used var says nothing.
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim"])
        .args(["--var", "tempo=130", "--var", "tmepo=1"])
        .stdout_has("Set the tempo to 130")
        .stderr_has("did you mean `tempo`?")
        .stderr_lacks("`tempo` is not used")
        .run();
}

#[test]
fn json_events_on_stdout_human_output_on_stderr() {
    let out = Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--json"])
        .stderr_has("10 steps, 13 calls")
        .run();
    let events = out.json_lines();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert_eq!(kinds.last(), Some(&"run_finished"));
    for k in [
        "step_started",
        "call_sent",
        "call_finished",
        "step_finished",
    ] {
        assert!(kinds.contains(&k), "{k}");
    }
    let fin = events.last().unwrap();
    // Ten calls of the playbook, three reads of `ensure:` (the set, then
    // each track's clips).
    assert_eq!(fin["summary"]["calls"], 13);
    assert_eq!(fin["summary"]["changed"], 8);
    assert_eq!(fin["exitCode"], 0);
    let call = events
        .iter()
        .find(|e| e["event"] == "call_finished")
        .unwrap();
    assert_eq!(call["status"], 200);
    assert!(call["result"].is_object());
}

#[test]
fn junit_report() {
    let out = Test::new()
        .arg("run")
        .playbook(
            "j.yaml",
            "name: junit\nsteps:\n  - name: Two tracks\n    tool: ppal-create-track\n    loop: range(2)\n  - name: Skipped\n    tool: ppal-connect\n    when: false\n  - name: Broken\n    tool: ppal-read-clip\n    args: { slot: \"5/0\" }\n  - name: Never\n    tool: ppal-connect\n",
        )
        .args(["--sim", "--junit"])
        .arg_scratch("report.xml")
        .status(1)
        .run();
    let report = out.read("report.xml");
    assert!(
        report.contains("testcase name=\"Two tracks [1/2]\""),
        "{report}"
    );
    assert!(
        report.contains("testcase name=\"Two tracks [2/2]\""),
        "{report}"
    );
    assert!(
        report.contains("<failure") && report.contains("j.yaml:10:11"),
        "{report}"
    );
    assert!(report.contains("name=\"Never\""), "{report}");
    assert_eq!(report.matches("<skipped").count(), 2, "{report}");
}

/// A loop whose `when` reads `item`: decided per iteration.
const EVERY_OTHER: &str = r#"name: Every other track
steps:
  - name: Track {{ item }}
    id: made
    tool: ppal-create-track
    loop: range(4)
    when: item % 2 == 0
    args: { path: t+, name: "T{{ item }}", type: midi }
  - name: Count
    tool: ppal-read-live-set
    expect:
      - result.trackCount == 2
      - steps.made | length == 4
      - steps.made[1] is none
"#;

#[test]
fn a_when_that_reads_item_is_decided_for_each_iteration() {
    Test::new()
        .arg("check")
        .playbook("w.yaml", EVERY_OTHER)
        .args(["--tools", PINNED_2_3])
        .stdout_has("no problems")
        .run();
    let out = Test::new()
        .arg("run")
        .playbook("w.yaml", EVERY_OTHER)
        .args(["--sim", "--junit"])
        .arg_scratch("report.xml")
        .stdout_has("✓ Track 0 [1/4]")
        .stdout_has("↷ Track 1 [2/4]  ppal-create-track  skipped (when: item % 2 == 0)")
        .stdout_has("✓ Track 2 [3/4]")
        .stdout_has("↷ Track 3 [4/4]")
        .stdout_has("2 skipped")
        .stdout_has("✓ Count")
        .run();
    let report = out.read("report.xml");
    assert_eq!(report.matches("<skipped").count(), 2, "{report}");
    assert!(
        report.contains("testcase name=\"Track 3 [4/4]\""),
        "{report}"
    );
    let out = Test::new()
        .arg("run")
        .playbook("w.yaml", EVERY_OTHER)
        .args(["--sim", "--json"])
        .run();
    let skipped: Vec<u64> = out
        .json_lines()
        .iter()
        .filter(|e| e["event"] == "step_finished" && e["status"] == "skipped")
        .map(|e| e["step"]["iteration"]["index0"].as_u64().unwrap())
        .collect();
    assert_eq!(skipped, [1, 3]);
}

#[test]
fn check_renders_what_depends_only_on_vars() {
    let book = "name: From vars\nvars:\n  tempo: \"130\"\n  t: 70000\nsteps:\n  - name: Tempo\n    tool: ppal-update-live-set\n    timeoutMs: \"{{ t }}\"\n    args: { tempo: \"{{ tempo }}\" }\n";
    Test::new()
        .arg("check")
        .playbook("v.yaml", book)
        .args(["--tools", PINNED_2_3])
        .status(2)
        .stderr_snapshot("check_renders_what_depends_only_on_vars")
        .run();
    // `run` stops at the same check: nothing reaches the server.
    Test::new()
        .arg("run")
        .playbook("v.yaml", book)
        .arg("--sim")
        .status(2)
        .stderr_has("nothing was sent")
        .stdout_lacks("Tempo")
        .run();
    // Right values pass; a step the vars switch off is not rendered, and
    // neither is a name a capture sets later.
    Test::new()
        .arg("check")
        .playbook("v.yaml", book)
        .args([
            "--tools",
            PINNED_2_3,
            "--var",
            "tempo=130",
            "--var",
            "t=50000",
        ])
        .stdout_has("no problems")
        .run();
    Test::new()
        .arg("check")
        .playbook(
            "w.yaml",
            "name: Guarded\nvars: { fast: false, tempo: \"x\", n: \"y\" }\nsteps:\n  - tool: ppal-update-live-set\n    when: fast\n    args: { tempo: \"{{ tempo }}\" }\n  - tool: ppal-read-live-set\n    capture: { n: result.tempo }\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ n }}\" }\n",
        )
        .args(["--tools", PINNED_2_3])
        .stdout_has("no problems")
        .run();
}

/// Sends with a gain from the vars, inside a list of objects that also
/// reads the loop's item.
const NESTED_FROM_VARS: &str = r#"name: Sends
vars: { gain: "-6" }
steps:
  - name: Send to A
    tool: ppal-update-track
    loop: [t0, t1]
    args:
      path: "{{ item }}"
      sends: [{ return: "{{ item }}", gainDb: "{{ gain }}" }]
"#;

#[test]
fn check_renders_vars_deep_inside_args() {
    Test::new()
        .arg("check")
        .playbook("s.yaml", NESTED_FROM_VARS)
        .args(["--tools", PINNED_2_3, "--color", "never"])
        .status(2)
        .stderr_snapshot("nested_args_from_vars")
        .run();
    Test::new()
        .arg("check")
        .playbook("s.yaml", NESTED_FROM_VARS)
        .args(["--tools", PINNED_2_3, "--var", "gain=-6"])
        .stdout_has("no problems")
        .run();
    // A literal sibling of a template is checked too; what reads the item
    // is left to the run.
    Test::new()
        .arg("check")
        .playbook(
            "s.yaml",
            &NESTED_FROM_VARS.replace("}]\n", "}, { return: B, gainDb: 5 }]\n"),
        )
        .args(["--tools", PINNED_2_3, "--var", "gain=-6"])
        .status(2)
        .stderr_has("`sends[1].gainDb` is 5, above the maximum of 0")
        .stderr_lacks("sends[0]")
        .run();
    // A key missing beside a value only the run knows is missing whatever
    // that value turns out to be.
    Test::new()
        .arg("check")
        .playbook(
            "s.yaml",
            &NESTED_FROM_VARS.replace(", gainDb: \"{{ gain }}\" }]", " }]"),
        )
        .args(["--tools", PINNED_2_3, "--var", "gain=-6"])
        .status(2)
        .stderr_has("`sends[0]` is missing the required key `gainDb`")
        .run();
}

#[test]
fn a_vars_file_value_of_the_wrong_kind_is_shown_in_that_file() {
    Test::new()
        .arg("check")
        .playbook("s.yaml", NESTED_FROM_VARS)
        .args(["--tools", PINNED_2_3, "--color", "never", "--vars-file"])
        .file("mix.yaml", "# the mix\ngain: \"-3\"\n")
        .arg_scratch("mix.yaml")
        .status(2)
        .stderr_snapshot("vars_file_value_of_the_wrong_kind")
        .run();
    Test::new()
        .arg("check")
        .playbook("s.yaml", NESTED_FROM_VARS)
        .args(["--tools", PINNED_2_3, "--color", "never"])
        .args(["--var", "gain=\"-3\""])
        .status(2)
        .stderr_has("`gain` is the text \"-3\" from --var: pass it without quotes (--var gain=-3)")
        .run();
}

/// The same sends, behind a `when` only the run decides: the check leaves
/// the args to the run, whose hint still points into the vars file.
const SENDS_AFTER_A_LOOK: &str = r#"name: Sends
vars: { gain: "-6" }
steps:
  - id: look
    tool: ppal-read-live-set
  - name: Send to A
    tool: ppal-update-track
    when: not steps.look.isError
    args:
      path: t0
      sends: [{ return: A, gainDb: "{{ gain }}" }]
"#;

#[test]
fn a_vars_file_value_of_the_wrong_kind_is_shown_in_that_file_by_the_run_too() {
    Test::new()
        .args(["run", "--sim", "--quiet", "--color", "never"])
        .playbook("s.yaml", SENDS_AFTER_A_LOOK)
        .arg("--vars-file")
        .file("mix.yaml", "# the mix\ngain: \"-3\"\n")
        .arg_scratch("mix.yaml")
        .status(1)
        .stdout_snapshot("vars_file_value_of_the_wrong_kind_at_run")
        .run();
}

/// Steps the vars switch off: a call, an include (whose own switched-off
/// step is not warned about again), and a `when` decided per item.
const SWITCHED_OFF: &str = r#"name: Switches
vars: { fast: false, parts: [Kick, Bass] }
steps:
  - name: Quick tempo
    tool: ppal-update-live-set
    when: fast
    args: { tempo: 140 }
  - include: part.yaml
    when: fast and parts | length > 0
  - name: Each
    tool: ppal-connect
    loop: parts
    when: item == "Kick"
  - name: None of them
    tool: ppal-connect
    loop: parts
    when: fast or item == "Snare"
"#;

#[test]
fn check_warns_at_a_when_the_vars_make_false() {
    let part = "name: p\nsteps:\n  - tool: ppal-connect\n    when: fast\n";
    Test::new()
        .arg("check")
        .playbook("w.yaml", SWITCHED_OFF)
        .file("part.yaml", part)
        .args(["--tools", PINNED_2_3, "--color", "never"])
        .stdout_has("no problems (3 warnings)")
        .stderr_snapshot("when_false_from_vars")
        .run();
    Test::new()
        .arg("check")
        .playbook("w.yaml", SWITCHED_OFF)
        .file("part.yaml", part)
        .args(["--tools", PINNED_2_3, "--var", "fast=true"])
        .stdout_has("no problems")
        .stdout_lacks("warning")
        .run();
}

/// A dry run over what only the run knows: a loop over a capture, a
/// `when` that reads its item, a capture only a skipped step sets.
const UNKNOWN_UNTIL_RUN: &str = r#"name: Rename what is there
vars: { fast: false }
steps:
  - name: List
    tool: ppal-read-live-set
    args: { include: [tracks] }
    capture: { tracks: result.tracks }
  - name: Rename
    tool: ppal-update-track
    loop: zip(tracks, range(3))
    when: item[1] > 0
    args: { id: "{{ item[0].id }}", name: "T{{ item[1] + 1 }}" }
  - name: Maybe
    tool: ppal-read-live-set
    when: fast
    args: { include: [tracks] }
    capture: { tempo_now: result.tempo }
  - name: Uses tempo
    tool: ppal-update-live-set
    args: { tempo: "{{ tempo_now }}" }
"#;

#[test]
fn a_dry_run_shows_what_it_cannot_know_with_placeholders() {
    Test::new()
        .arg("run")
        .playbook("d.yaml", UNKNOWN_UNTIL_RUN)
        .args(["--sim", "--dry-run"])
        .stdout_has(r#"→ Rename [1/1]  ppal-update-track {"id":"<item[0].id>","name":"<T{{ item[1] + 1 }}>"}"#)
        .stdout_has("? when undecided: `item[1] > 0` reads what only the run knows")
        .stdout_has("? loop over `zip(tracks, range(3))`, known only at run time: shown once, with <item>")
        .stdout_has("↷ Maybe")
        .stdout_has(r#"→ Uses tempo  ppal-update-live-set {"tempo":"<tempo_now>"}"#)
        .stdout_has(r#"? `tempo_now` is set only by "Maybe", which this dry run skips"#)
        .run();
    let out = Test::new()
        .arg("run")
        .playbook("d.yaml", UNKNOWN_UNTIL_RUN)
        .args(["--sim", "--dry-run", "--json"])
        .run();
    let planned: Vec<_> = out
        .json_lines()
        .into_iter()
        .filter(|e| e["event"] == "call_planned")
        .collect();
    assert_eq!(planned.len(), 3, "{planned:?}");
    assert_eq!(planned[1]["notes"].as_array().unwrap().len(), 2);
    assert!(planned[0].get("notes").is_none());
}

#[test]
fn a_dry_run_flags_a_capture_whose_setter_skips_every_iteration() {
    let book = r#"name: Per item
vars: { parts: [Kick, Bass] }
steps:
  - name: "Read {{ item }}"
    tool: ppal-read-live-set
    loop: parts
    when: item == "Pad"
    capture: { tempo_now: result.tempo }
  - name: Uses tempo
    tool: ppal-update-live-set
    args: { tempo: "{{ tempo_now }}" }
"#;
    Test::new()
        .arg("run")
        .playbook("i.yaml", book)
        .args(["--sim", "--dry-run"])
        .stdout_has("↷ Read Bass [2/2]")
        .stdout_has(r#"? `tempo_now` is set only by "Read Kick", which this dry run skips"#)
        .run();
    // One iteration that runs sets it: nothing to flag.
    Test::new()
        .arg("run")
        .playbook("i.yaml", book)
        .args(["--sim", "--dry-run", "--var", "parts=[Kick, Pad]"])
        .stdout_lacks("which this dry run skips")
        .run();
}

#[test]
fn without_a_server_check_and_dry_run_say_to_pass_tools() {
    let url = closed_url();
    Test::new()
        .args(["check", "playbooks/quickstart.yaml", "--url", &url])
        .status(3)
        .stderr_has("could not reach Producer Pal")
        .stderr_has("pass --tools FILE")
        .run();
    Test::new()
        .args([
            "run",
            "playbooks/quickstart.yaml",
            "--dry-run",
            "--url",
            &url,
        ])
        .status(3)
        .stderr_has("pass --tools FILE")
        .run();
    // A real run needs the server: no such advice there.
    Test::new()
        .args(["run", "playbooks/quickstart.yaml", "--url", &url])
        .status(3)
        .stderr_lacks("pass --tools")
        .run();
    // With --tools, a dry run needs no server at all.
    Test::new()
        .args([
            "run",
            "playbooks/quickstart.yaml",
            "--dry-run",
            "--url",
            &url,
        ])
        .args(["--tools", PINNED_2_3])
        .stdout_has("→ Read the set back")
        .run();
}

#[test]
fn piped_output_has_no_escapes_or_carriage_returns() {
    Test::new()
        .args(["run", "playbooks/pattern-batch.yaml", "--sim"])
        .stdout_lacks("\r")
        .stdout_lacks("\x1b")
        .stderr_lacks("\r")
        .stderr_lacks("\x1b")
        .run();
}

#[test]
fn color_choice_and_environment() {
    let quickstart = || Test::new().args(["run", "playbooks/quickstart.yaml", "--sim"]);
    quickstart()
        .args(["--color", "always"])
        .stdout_has("\x1b")
        .run();
    quickstart()
        .args(["--color", "never"])
        .env("CLICOLOR_FORCE", "1")
        .stdout_lacks("\x1b")
        .run();
    quickstart().stdout_lacks("\x1b").run();
    quickstart()
        .env("CLICOLOR_FORCE", "1")
        .stdout_has("\x1b")
        .run();
    quickstart()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .stdout_lacks("\x1b")
        .run();
}

#[test]
fn quiet_and_verbose() {
    let quickstart = || Test::new().args(["run", "playbooks/quickstart.yaml", "--sim"]);
    quickstart()
        .arg("-q")
        .stdout_lacks("✓")
        .stdout_has("10 steps, 13 calls")
        .run();
    quickstart()
        .arg("-v")
        // `ensure: true` sends only what differs from the fresh set.
        .stdout_has("~ tempo 120.0 -> 124")
        .stdout_has("→ {\"tempo\":124}")
        .stdout_has("← {")
        .stdout_lacks("POST http")
        .run();
    quickstart()
        .arg("-vv")
        .stdout_has("/api/tools/ppal-update-live-set?format=json&timeoutMs=10000")
        .stdout_has("HTTP 200 in")
        .run();
}

#[test]
fn dry_run_prints_the_calls() {
    Test::new()
        .args([
            "run",
            "playbooks/producer-pal-1.4/quickstart.yaml",
            "--dry-run",
        ])
        .args(["--tools", PINNED, "--url", &closed_url()])
        .stdout_has("dry run")
        // The first looped track's index is not known before a real run.
        .stdout_has(r#"ppal-create-clip {"slot":"<steps.tracks[0].result.trackIndex>/3""#)
        // `last_track` was captured from the second iteration.
        .stdout_has(r#"{"slot":"<steps.tracks[1].result.trackIndex>/0","notes":"C2"#)
        .stdout_has("timeoutMs=10000")
        .stdout_has("0 calls")
        .run();
}

/// Runs `pplay` with a simulator serving on loopback for the duration.
fn with_sim<T>(opts: SimOptions, f: impl FnOnce(String) -> T) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(sim::start(opts)).unwrap();
    let out = f(sim.url());
    rt.block_on(sim.stop());
    out
}

#[test]
fn tools_describe_and_schema_pull() {
    with_sim(SimOptions::default(), |url| {
        Test::new()
            .args(["tools", "--url", &url])
            .stdout_has("ppal-read-live-set")
            .stdout_has("read-only")
            .stdout_has("destructive")
            .run();
        let listed = Test::new()
            .args(["tools", "--json", "--tools", PINNED])
            .run()
            .json();
        assert_eq!(listed.as_array().unwrap().len(), 21);
        Test::new()
            .args(["describe", "ppal-create-track", "--url", &url])
            .stdout_has("type")
            .stdout_has("string (midi|audio|return)")
            .stdout_has("default \"midi\"")
            .stdout_has("count")
            .stdout_has("integer >= 1")
            .run();
        Test::new()
            .args(["describe", "ppal-create-trak", "--tools", PINNED])
            .status(2)
            .stderr_has("did you mean `ppal-create-track`?")
            .run();
        let pull = Test::new()
            .args(["schema", "pull", "--url", &url, "-o"])
            .arg_scratch("tools.json")
            .run();
        let a: Value = serde_json::from_str(&pull.read("tools.json")).unwrap();
        let b: Value = serde_json::from_str(&std::fs::read_to_string(PINNED).unwrap()).unwrap();
        assert_eq!(a, b);
    });
}

#[test]
fn call_checks_args_first() {
    with_sim(SimOptions::default(), |url| {
        let created = Test::new()
            .args(["call", "ppal-create-track", r#"{"name":"Kick"}"#])
            .args(["--url", &url])
            .run();
        assert_eq!(created.json()["trackIndex"], 0);
        Test::new()
            .args(["call", "ppal-update-track", r#"{"ids":12}"#, "--url", &url])
            .status(2)
            .stderr_has("nothing was sent")
            .run();
        Test::new()
            .args(["call", "ppal-read-clip", r#"{"slot":"9/9"}"#, "--url", &url])
            .status(1)
            .stderr_has("out of range")
            .run();
        Test::new()
            .args([
                "call",
                "ppal-update-track",
                r#"{"ids":"11,99","mute":true}"#,
            ])
            .args(["--url", &url])
            .stderr_has("warning: updateTrack: no track with id \"99\"")
            .run();
        let compact = Test::new()
            .args(["call", "ppal-read-live-set", "--format", "compact"])
            .args(["--timeout-ms", "5000", "--url", &url])
            .run();
        assert!(compact.stdout.starts_with("{tempo:"), "{compact}");
        Test::new()
            .args(["call", "ppal-connect", "{", "--url", &url])
            .status(2)
            .run();
    });
    Test::new()
        .args(["call", "ppal-connect", "--url", &closed_url()])
        .status(3)
        .run();
}

/// The pinned catalog with `edit` made to its list of tools.
fn edited_catalog(edit: impl FnOnce(&mut Vec<Value>)) -> String {
    let mut new: Value = serde_json::from_str(&std::fs::read_to_string(PINNED).unwrap()).unwrap();
    edit(new["tools"].as_array_mut().unwrap());
    serde_json::to_string_pretty(&new).unwrap()
}

/// The tool called `name` in `tools`.
fn tool_mut<'a>(tools: &'a mut [Value], name: &str) -> &'a mut Value {
    tools.iter_mut().find(|t| t["name"] == name).unwrap()
}

/// A tool's parameters.
fn properties(tool: &mut Value) -> &mut serde_json::Map<String, Value> {
    tool["inputSchema"]["properties"].as_object_mut().unwrap()
}

/// The pinned catalog with one tool removed, one enum narrowed, one
/// argument removed and one required argument added.
fn changed_catalog() -> String {
    edited_catalog(|tools| {
        tools.retain(|t| t["name"] != "ppal-connect");
        let ct = properties(tool_mut(tools, "ppal-create-track"));
        ct["type"]["enum"] = serde_json::json!(["midi", "audio"]);
        ct.remove("name");
        let cc = tool_mut(tools, "ppal-create-clip");
        cc["inputSchema"]["properties"]["lane"] = serde_json::json!({"type": "integer"});
        cc["inputSchema"]["required"] = serde_json::json!(["lane"]);
    })
}

/// `pplay schema diff` from the pinned catalog to `catalog`, written to
/// the scratch folder.
fn diff_against(catalog: &str) -> Test {
    Test::new()
        .args(["schema", "diff", PINNED])
        .file("new.json", catalog)
        .arg_scratch("new.json")
}

#[test]
fn schema_diff_names_affected_steps() {
    diff_against(&changed_catalog())
        .args([
            "--playbook",
            "playbooks/producer-pal-1.4/quickstart.yaml",
            "--color",
            "never",
        ])
        .status(1)
        .stdout_has("- tool ppal-connect")
        .stdout_has("- ppal-create-track.name")
        .stdout_has("~ ppal-create-track.type: string (midi|audio|return) -> string (midi|audio)")
        .stdout_has("+ ppal-create-clip.lane (required)")
        .stderr_has("`ppal-connect` is removed")
        .stderr_has("quickstart.yaml:12:11")
        // `type: midi` is still allowed when `return` is dropped.
        .stderr_lacks("`ppal-create-track.type` changed")
        .stderr_has("`ppal-create-clip` now requires `lane`")
        .run();
    Test::new()
        .args(["schema", "diff", PINNED, PINNED])
        .args(["--playbook", "playbooks/producer-pal-1.4/quickstart.yaml"])
        .run();
}

/// Two catalogs of Producer Pal 1.4 have no migration between them, so
/// their diff does not point to `pplay migrate`, even where a removed
/// argument is one migrate rewrites for 2.x.
#[test]
fn schema_diff_within_1_4_has_no_migrate_hint() {
    let edited = edited_catalog(|tools| {
        properties(tool_mut(tools, "ppal-create-track")).remove("trackIndex");
    });
    diff_against(&edited)
        .status(0)
        .stdout_has("- ppal-create-track.trackIndex")
        .stdout_lacks("pplay migrate")
        .run();
}

#[test]
fn the_committed_editor_schemas_are_up_to_date() {
    // When this fails: `pplay schema playbook -o schemas/playbook.schema.json`.
    Test::new()
        .args(["schema", "playbook"])
        .stdout(std::fs::read_to_string("schemas/playbook.schema.json").unwrap())
        .run();
    // And `pplay schema playbook --tools schemas/producer-pal-1.4.6.json
    // -o schemas/playbook-producer-pal-1.4.schema.json`.
    Test::new()
        .args(["schema", "playbook", "--tools", PINNED])
        .stdout(std::fs::read_to_string("schemas/playbook-producer-pal-1.4.schema.json").unwrap())
        .run();
}

#[test]
fn the_editor_schema_accepts_the_recipes_and_refuses_mistakes() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/playbook.schema.json").unwrap())
            .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    for p in with_parts(RECIPES) {
        let node = pplay::yaml::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&node.to_json())
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    }
    let old: Value = serde_json::from_str(
        &std::fs::read_to_string("schemas/playbook-producer-pal-1.4.schema.json").unwrap(),
    )
    .unwrap();
    let old = jsonschema::validator_for(&old).unwrap();
    for p in with_parts(RECIPES_1_4) {
        let node = pplay::yaml::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert!(old.is_valid(&node.to_json()), "{}", p.display());
    }
    let bad = pplay::yaml::parse(
        "name: x\nsteps:\n  - tool: ppal-update-track\n    args: { ids: 12, colour: red }\n",
    )
    .unwrap()
    .to_json();
    assert!(!v.is_valid(&bad));
    let templated = pplay::yaml::parse(
        "name: x\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ t }}\" }\n",
    )
    .unwrap()
    .to_json();
    assert!(v.is_valid(&templated));
}

#[test]
fn init_writes_a_playbook_that_checks() {
    let init = Test::new().arg("init").arg_scratch("mine.yaml").run();
    let mine = init.path("mine.yaml");
    assert!(init.path("playbook.schema.json").exists());
    assert!(
        init.read("mine.yaml")
            .starts_with("# yaml-language-server: $schema=playbook.schema.json")
    );
    Test::new()
        .arg("check")
        .arg(&mine)
        .args(["--tools", PINNED_2_3])
        .run();
    Test::new().arg("run").arg(&mine).arg("--sim").run();
    Test::new().arg("init").arg(&mine).status(2).run();
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        Test::new()
            .args(["completions", shell])
            .stdout_has("pplay")
            .run();
    }
}

#[test]
fn ctrl_c_stops_after_the_call_in_flight_and_exits_130() {
    // A slow simulator in its own process, so the run is still going.
    let sim = common::SimProcess::start(&["--latency-ms", "100"]);
    let out = Test::new()
        .args([
            "run",
            "playbooks/pattern-batch.yaml",
            "--url",
            &sim.url,
            "--json",
        ])
        .interrupt_after(Duration::from_millis(700))
        .status(130)
        .stderr_has("interrupted")
        .run();
    drop(sim);
    let last = out.json_lines().pop().unwrap();
    assert_eq!(last["interrupted"], true);
    let calls = last["summary"]["calls"].as_u64().unwrap();
    assert!(calls > 0 && calls < 23, "{calls}");
    // The clips loop's length is known from the vars: each iteration the
    // run never reached is listed under its name, rendered with its item.
    let not_run: Vec<String> = out
        .json_lines()
        .iter()
        .filter(|e| e["event"] == "step_finished" && e["status"] == "not_run")
        .map(|e| e["step"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(not_run.iter().any(|n| n == "Hat / Sparse"), "{not_run:?}");
    assert!(
        !not_run.iter().any(|n| n.contains("item[0].name")),
        "{not_run:?}"
    );
}

#[test]
fn sim_command_fault_flags() {
    let sim = common::SimProcess::start(&[
        "--fail-tool",
        "ppal-connect",
        "--disable-tool",
        "ppal-playback",
        "--legacy",
    ]);
    let url = sim.url.clone();
    Test::new()
        .args(["tools", "--url", &url])
        .stdout_lacks("ppal-playback")
        .stdout_has("ppal-connect")
        .run();
    Test::new()
        .args(["call", "ppal-connect", "--url", &url])
        .status(1)
        .stderr_has("--fail-tool")
        .run();
    // --legacy answers strings; pplay parses them back.
    let live_set = Test::new()
        .args(["call", "ppal-read-live-set", "--url", &url])
        .run()
        .json();
    assert_eq!(live_set["timeSignature"], "4/4");
}

#[test]
fn profile_flags_reach_the_server_on_the_catalog_read() {
    with_sim(SimOptions::for_generation(sim::Generation::V2_3), |url| {
        Test::new()
            .args(["tools", "--url", &url])
            .stdout_lacks("ppal-live-api")
            .run();
        Test::new()
            .args(["tools", "--live-api", "--url", &url])
            .stdout_has("ppal-live-api")
            .run();
        Test::new()
            .args(["tools", "--disabled-tools", "ppal-delete", "--url", &url])
            .stdout_lacks("ppal-delete")
            .stdout_has("ppal-read-live-set")
            .run();
    });
}

#[test]
fn call_checks_timeout_ms_against_the_servers_generation() {
    Test::new()
        .args(["call", "ppal-read-live-set", "{}", "--timeout-ms", "58000"])
        .args(["--tools", PINNED_2_3, "--url", "http://127.0.0.1:9"])
        .status(2)
        .stderr_has("--timeout-ms must be from 1 to 55000 on Producer Pal 2.x, not 58000")
        .stderr_has("nothing was sent")
        .run();
    // 1.4 allows up to 60000: the range passes and the call is tried (at a
    // port nothing listens on any more).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Test::new()
        .args(["call", "ppal-read-live-set", "{}", "--timeout-ms", "58000"])
        .args([
            "--tools",
            PINNED,
            "--url",
            &format!("http://127.0.0.1:{closed}"),
        ])
        .status(3)
        .stderr_lacks("must be from 1 to")
        .run();
}

/// The real Producer Pal 1.4.6 catalog, when `../shared` is there.
fn real_1_4_6() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/producer-pal/tools-1.4.6.json");
    if p.is_file() {
        Some(p)
    } else {
        common::say(
            "SKIPPED",
            "../shared/producer-pal/tools-1.4.6.json is not there; the pinned catalog is not compared with it",
        );
        None
    }
}

#[test]
fn schema_diff_sees_no_change_in_description_text() {
    let Some(real) = real_1_4_6() else { return };
    Test::new()
        .args(["schema", "diff", PINNED])
        .arg(&real)
        .args(["--playbook", "playbooks/producer-pal-1.4/quickstart.yaml"])
        .stdout_has("no differences between")
        .stdout_has("quickstart.yaml: not affected")
        .run();
}

/// The pinned catalog with `ppal-create-track.name` renamed to `title`,
/// and one description reworded.
fn renamed_catalog() -> String {
    edited_catalog(|tools| {
        let props = properties(tool_mut(tools, "ppal-create-track"));
        let mut name = props.remove("name").unwrap();
        name["description"] = Value::from("what the track is called");
        props.insert("title".into(), name);
    })
}

#[test]
fn schema_diff_shows_a_rename_and_counts_steps_once_per_file() {
    // Two steps name a track; the part is included twice and also named on
    // its own: its finding is shown once.
    diff_against(&renamed_catalog())
        .file(
            "parts/track.yaml",
            "name: part\nsteps:\n  - tool: ppal-create-track\n    args: { name: Bass, type: midi }\n",
        )
        .file(
            "main.yaml",
            "name: main\nsteps:\n  - tool: ppal-create-track\n    args: { name: Kick, type: midi }\n  - include: parts/track.yaml\n  - include: parts/track.yaml\n",
        )
        .arg("--playbook")
        .arg_scratch("main.yaml")
        .arg("--playbook")
        .arg_scratch("parts/track.yaml")
        .args(["--color", "never"])
        .status(1)
        .stdout_has("~ ppal-create-track.name: renamed to `title`")
        .stdout_lacks("- ppal-create-track.name")
        .stdout_lacks("+ ppal-create-track.title")
        .stdout_has("main.yaml: 2 steps affected\n")
        .stdout_has("track.yaml: 1 step affected (1 of the findings shown above)")
        .stderr_snapshot("schema_diff_rename")
        .run();
}

/// The pinned 1.4 catalog with three argument changes: `sceneIndex` of
/// `ppal-create-scene` becomes `scene`, an integer still, with new words and
/// a lower maximum; `trackIndex` of `ppal-read-track` becomes `path`, a
/// string; `ppal-select` drops two integers and takes one.
fn reshaped_catalog() -> String {
    edited_catalog(|tools| {
        let scene = properties(tool_mut(tools, "ppal-create-scene"));
        let mut s = scene.remove("sceneIndex").unwrap();
        s["description"] = Value::from("where the new scene goes");
        s["maximum"] = Value::from(999);
        scene.insert("scene".into(), s);
        let track = properties(tool_mut(tools, "ppal-read-track"));
        track.remove("trackIndex");
        track.insert("path".into(), serde_json::json!({ "type": "string" }));
        let select = properties(tool_mut(tools, "ppal-select"));
        let t = select.remove("trackIndex").unwrap();
        select.remove("sceneIndex");
        select.insert("track".into(), t);
    })
}

#[test]
fn schema_diff_sees_a_rename_when_the_shapes_match() {
    diff_against(&reshaped_catalog())
        .file(
            "scenes.yaml",
            "name: scenes\nsteps:\n  - tool: ppal-create-scene\n    args: { sceneIndex: 2 }\n  - tool: ppal-create-scene\n    args: { sceneIndex: 1200 }\n",
        )
        .arg("--playbook")
        .arg_scratch("scenes.yaml")
        .args(["--color", "never"])
        .status(1)
        .stdout_has("~ ppal-create-scene.sceneIndex: renamed to `scene` (`maximum` changed)\n")
        .stdout_lacks("+ ppal-create-scene.scene")
        // Another type is another argument, not a rename.
        .stdout_has("- ppal-read-track.trackIndex\n")
        .stdout_has("+ ppal-read-track.path\n")
        // Two of the same shape gone for one: which one is unknown.
        .stdout_has("- ppal-select.trackIndex\n")
        .stdout_has("- ppal-select.sceneIndex\n")
        .stdout_has("+ ppal-select.track\n")
        .stdout_has("scenes.yaml: 2 steps affected")
        .stderr_snapshot("schema_diff_rename_by_shape")
        .run();
}

#[test]
fn a_url_without_a_scheme_says_to_add_http() {
    Test::new()
        .args(["tools", "--url", "localhost:3350"])
        .status(2)
        .stderr_has("`localhost:3350` has no scheme: write http://localhost:3350")
        .run();
}

#[test]
fn call_help_states_the_url_default_and_reads_args_from_stdin() {
    Test::new()
        .args(["call", "--help"])
        .stdout_has("[default: http://localhost:3350")
        .stdout_lacks("the playbook's `url`, else")
        .stdout_has("`-` to read them from stdin")
        .run();
    with_sim(SimOptions::default(), |url| {
        let out = Test::new()
            .args(["call", "ppal-create-track", "-", "--url", &url])
            .stdin(r#"{"name": "Kick", "type": "midi"}"#)
            .run();
        assert_eq!(out.json()["trackIndex"], 0, "{out}");
    });
}

#[test]
fn init_creates_missing_folders() {
    let out = Test::new()
        .args(["init"])
        .arg_scratch("songs/new/set.yaml")
        .stdout_has("set.yaml")
        .run();
    assert!(out.path("songs/new/set.yaml").is_file());
    assert!(out.path("songs/new/playbook.schema.json").is_file());
}

#[test]
fn junit_skipped_matches_the_terminal() {
    let out = Test::new()
        .arg("run")
        .playbook(
            "j.yaml",
            "name: \"Kit {{ kit }}\"\nvars: { kit: 909, none_yet: [] }\nsteps:\n  - name: Empty\n    tool: ppal-connect\n    loop: none_yet\n  - include: part.yaml\n    when: false\n  - name: Tolerated\n    tool: ppal-read-clip\n    args: { slot: \"5/0\" }\n    onError: continue\n  - name: Broken\n    tool: ppal-read-clip\n    args: { slot: \"5/0\" }\n  - name: Never\n    tool: ppal-connect\n    loop: range(2)\n",
        )
        .file("part.yaml", "name: p\nsteps:\n  - name: \"Inside {{ kit }}\"\n    tool: ppal-connect\n")
        .args(["--sim", "--color", "never", "--junit"])
        .arg_scratch("report.xml")
        .status(1)
        .stdout_has("1 failed, 4 skipped (2 not run), 1 ignored")
        .run();
    let report = out.read("report.xml");
    assert!(report.contains("<testsuite name=\"Kit 909\""), "{report}");
    assert!(report.contains("skipped=\"4\""), "{report}");
    assert_eq!(report.matches("<skipped").count(), 4, "{report}");
    assert!(report.contains("the loop has no items"), "{report}");
    assert!(report.contains("name=\"Inside 909\""), "{report}");
    assert!(report.contains("name=\"Never [2/2]\""), "{report}");
    assert!(
        !report.contains("stopped before this step\" name=\"Empty"),
        "{report}"
    );
}

/// A skipped include and an include never reached, each with its own
/// var, around a loop that fails at its second item.
const NAMED_WITH_WHAT_IS_KNOWN: &str = r#"name: Names
vars: { kit: 909, parts: [Kick, Snare, Hat] }
steps:
  - include: part.yaml
    when: false
    vars: { who: "skipped {{ kit }}" }
  - name: "Skip {{ item }}"
    tool: ppal-connect
    loop: parts
    when: kit == 808
  - name: "Make {{ item }}"
    tool: ppal-connect
    loop: parts
    expect: item != "Snare"
  - name: "Then {{ item }}"
    tool: ppal-connect
    loop: parts
  - include: part.yaml
    vars: { who: "later {{ kit }}" }
"#;

#[test]
fn steps_that_do_not_run_keep_their_rendered_names() {
    let out = Test::new()
        .arg("run")
        .playbook("n.yaml", NAMED_WITH_WHAT_IS_KNOWN)
        .file(
            "part.yaml",
            "name: p\nvars: { who: nobody }\nsteps:\n  - name: \"Inside {{ who }}\"\n    tool: ppal-connect\n",
        )
        .args(["--sim", "--color", "never", "--junit"])
        .arg_scratch("report.xml")
        .status(1)
        .stdout_has("↷ Inside skipped 909  ppal-connect  skipped (when: false, on `include: part.yaml`)")
        .stdout_has("1 failed, 9 skipped (5 not run)")
        .run();
    let report = out.read("report.xml");
    for name in [
        "Inside skipped 909",
        "Skip Kick [1/3]",
        "Skip Hat [3/3]",
        "Make Hat [3/3]",
        "Then Kick [1/3]",
        "Then Hat [3/3]",
        "Inside later 909",
    ] {
        assert!(
            report.contains(&format!("name=\"{name}\"")),
            "{name}: {report}"
        );
    }
    assert!(!report.contains("testcase name=\"Then {{"), "{report}");
    assert!(!report.contains("testcase name=\"Inside {{"), "{report}");
    assert!(!report.contains("testcase name=\"Skip {{"), "{report}");
}

#[test]
fn the_sim_summary_keeps_its_columns_and_lists_return_tracks() {
    let out = Test::new()
        .args(["run", "--sim", "--color", "never"])
        .playbook(
            "wide.yaml",
            "name: wide\nsteps:\n  - tool: ppal-create-track\n    args: { name: A very long track name indeed, type: midi }\n  - tool: ppal-create-track\n    args: { name: Bass, type: audio }\n",
        )
        .run();
    insta::assert_snapshot!(
        "sim_summary_wide_names",
        out.stdout[out.stdout.find("Simulated Live Set").unwrap()..].to_owned()
    );
}

#[test]
fn a_problem_in_a_vars_file_points_into_that_file() {
    Test::new()
        .args(["check", "playbooks/quickstart.yaml", "--tools", PINNED_2_3])
        .args(["--color", "never", "--vars-file"])
        .file("vars.yaml", "tempo: 90\nnone: 1\n")
        .arg_scratch("vars.yaml")
        .status(2)
        .stderr_snapshot("vars_file_keyword")
        .run();
    Test::new()
        .args(["check", "playbooks/quickstart.yaml", "--tools", PINNED_2_3])
        .args(["--color", "never", "--vars-file"])
        .file("broken.yaml", "tempo: 90\nparts: [Kick, Bass\n")
        .arg_scratch("broken.yaml")
        .status(2)
        .stderr_has("the vars file is not valid YAML")
        .stderr_has("broken.yaml:")
        .stderr_lacks("quickstart.yaml")
        .run();
    Test::new()
        .args(["check", "playbooks/quickstart.yaml", "--tools", PINNED_2_3])
        .args(["--var", "none=1"])
        .status(2)
        .stderr_has("`none` cannot be a variable name: a template reads `none` as no value")
        .run();
}

/// A name that spends the template fuel fails its step with the located
/// reason (exit 1), and nothing is sent.
#[test]
fn a_step_name_out_of_fuel_is_a_located_failure() {
    Test::new()
        .arg("run")
        .playbook(
            "fuel.yaml",
            "name: fuel\nsteps:\n  - tool: ppal-connect\n    name: \"{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x\"\n",
        )
        .args(["--sim", "--color", "never"])
        .status(1)
        .stdout_has("the step's `name` cannot be rendered: this template does more work than its budget allows")
        .stdout_has("fuel.yaml:4:11]")
        .stdout_has("1 step, 0 calls")
        .run();
}

/// A playbook with the Live API tool, for the Live API switch.
const LIVE_API: &str = "name: l\nsteps:\n  - tool: ppal-live-api\n    args: { path: live_set, operations: [{ type: get, property: tempo }] }\n";

/// The pinned 2.3 catalog with the Live API on lists its tool, as the
/// server would; `--live-api` before the file does not take the file as
/// its value.
#[test]
fn check_with_the_live_api_on_knows_its_tool() {
    Test::new()
        .args(["check", "--tools", PINNED_2_3, "--live-api=true"])
        .playbook("l.yaml", LIVE_API)
        .stdout_has("l.yaml: 1 step, no problems")
        .run();
    Test::new()
        .args(["check", "--tools", PINNED_2_3, "--live-api"])
        .playbook("l.yaml", LIVE_API)
        .stdout_has("l.yaml: 1 step, no problems")
        .run();
    Test::new()
        .args(["check", "--tools", PINNED_2_3])
        .playbook("l.yaml", LIVE_API)
        .status(2)
        .stderr_has("listed only when the request profile turns it on")
        .run();
    Test::new()
        .args(["check", "--tools", PINNED])
        .playbook(
            "l.yaml",
            &LIVE_API.replace("name: l\n", "name: l\nproducerPal: { liveApi: true }\n"),
        )
        .status(2)
        .stderr_has("Producer Pal 1.4 has no `ppal-live-api`")
        .stderr_lacks("add `producerPal")
        .run();
}

/// Every argument and option a command takes is described in its help;
/// `check` does not offer `run`'s call options.
#[test]
fn help_describes_every_argument() {
    Test::new()
        .args(["run", "--help"])
        .stdout_has("The playbook to run")
        .run();
    Test::new()
        .args(["check", "--help"])
        .stdout_has("The playbooks to check")
        .stdout_lacks("--verbose")
        .run();
    Test::new()
        .args(["describe", "--help"])
        .stdout_has("The tool's name")
        .run();
    Test::new()
        .args(["call", "--help"])
        .stdout_has("How long Producer Pal may take")
        .stdout_has("How the result is written")
        .run();
}
