//! Mutated playbooks, fed to load and check: whatever the text, pplay
//! answers with a check result or located problems, never a panic, and the
//! `check` command exits 0 or 2. Bounded for CI: `PROPTEST_CASES` sets how
//! many playbooks (default below), each small.

use std::path::Path;

use pplay::catalog::Catalog;
use pplay::check::{self, CheckOptions, Loaded};
use pplay::playbook;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Valid playbooks that between them use every part of the format.
const SEEDS: &[&str] = &[
    "name: a\nvars:\n  n: 3\n  names: [a, b]\nsteps:\n  - tool: ppal-connect\n    id: c\n    capture:\n      v: result.version\n  - tool: ppal-create-track\n    loop: \"{{ names }}\"\n    args:\n      type: midi\n      count: 1\n      name: \"{{ item }} {{ loop.index }}\"\n    when: \"n > 1\"\n    expect: [\"result is defined\"]\n",
    "name: b\ndefaults:\n  timeoutMs: 5000\n  retries: 1\n  onError: continue\nsteps:\n  - include: part.yaml\n    vars: { t: 2 }\n  - tool: ppal-delete\n    loop: \"{{ product(range(2), [1, 2]) }}\"\n    args: { type: track, ids: \"{{ item[0] }}\" }\n",
    "name: c\nurl: \"http://localhost:{{ port }}\"\nvars: { port: 3350, s: \"{% for i in range(3) %}{{ i }}{% endfor %}\" }\nsteps:\n  - tool: ppal-playback\n    args: { action: play-scene, sceneIndex: \"{{ s | length }}\" }\n    timeoutMs: \"{{ 1000 * 2 }}\"\n",
];

const PART: &str =
    "name: part\nvars: { t: 1 }\nsteps:\n  - tool: ppal-connect\n    name: \"part {{ t }}\"\n";

/// Pieces a mutation inserts: template and YAML syntax, at its edges.
const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "x }}y",
    "|",
    ":",
    "- ",
    "\n",
    "  ",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!str ",
    "range(",
    "product(",
    ")",
    "loop: ",
    "include: ",
    "when: ",
    "../",
    "/dev/zero",
    "é",
    "\t",
    "#",
    "~",
    "* 99999999",
    "namespace(",
    "| shout",
    "is loud",
    "lipsum(",
    "\u{feff}",
    "---\n",
    "...\n",
    "? ",
    "<<: ",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..PIECES.len()).prop_map(|(at, p)| Edit::Insert(at, p)),
        (any::<usize>(), 1usize..12).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

/// The nearest char boundary at or before `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut s = seed.to_owned();
    for e in edits {
        match *e {
            Edit::Insert(at, p) => {
                let i = boundary(&s, at);
                s.insert_str(i, PIECES[p]);
            }
            Edit::Delete(at, n) => {
                let i = boundary(&s, at);
                let j = boundary(&s, i + n.min(s.len() - i));
                s.replace_range(i..j.max(i), "");
            }
            Edit::Duplicate(at, n) => {
                let i = boundary(&s, at);
                let j = boundary(&s, i + n.min(s.len() - i));
                let piece = s[i..j.max(i)].to_owned();
                s.insert_str(j.max(i), &piece);
            }
        }
    }
    s
}

/// Loads and checks `text` as `main.yaml` in `dir`; every problem must be
/// located in a file and render.
fn load_and_check(dir: &Path, text: &str, catalog: &Catalog) {
    let main = dir.join("main.yaml");
    std::fs::write(&main, text).unwrap();
    let (pb, problems) = playbook::load_partial(&main);
    let mut diags = problems.clone();
    if let Some(pb) = &pb {
        let env = pplay::template::environment();
        let loaded = Loaded::new(&env, pb, problems, &CheckOptions::default());
        // What `run` does first: the URL.
        if let Err(d) = loaded.url(&env) {
            diags.extend(d);
        }
        if let Err(d) = check::check(&env, loaded, catalog) {
            diags.extend(d);
        }
    }
    for d in &diags {
        let drawn = d.render(false, 80);
        assert!(!drawn.is_empty());
        if d.file.is_some() {
            assert!(d.location().is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_playbooks_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("part.yaml"), PART).unwrap();
        let text = apply(SEEDS[seed], &edits);
        load_and_check(dir.path(), &text, &Catalog::pinned());
    }

    /// pplay stacks its YAML tree from the parser's events itself; reading
    /// the same text into plain JSON with serde-saphyr is the oracle. Where
    /// both read it, they read the same values; where pplay refuses a text,
    /// serde-saphyr refuses it too.
    #[test]
    fn mutated_yaml_reads_as_serde_saphyr_reads_it(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let text = apply(SEEDS[seed], &edits);
        let ours = pplay::yaml::parse(&text);
        let theirs: Result<serde_json::Value, _> = serde_saphyr::from_str_with_options(
            &text,
            serde_saphyr::options! { strict_booleans: true },
        );
        match (ours, theirs) {
            (Ok(o), Ok(t)) => prop_assert_eq!(o.to_json(), t, "{}", text),
            (Err(e), Ok(t)) => prop_assert!(false, "refused ({e}) what serde-saphyr reads as {t}:\n{text}"),
            _ => {}
        }
    }
}

/// The `check` command on a few mutated playbooks: exit 0 or 2, never a
/// panic (101) or a signal.
#[test]
fn the_check_command_exits_0_or_2_on_mutated_playbooks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("part.yaml"), PART).unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/producer-pal-1.4.6.json");
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (0..SEEDS.len(), proptest::collection::vec(edit(), 1..6));
    for _ in 0..12 {
        let (seed, edits) = strategy.new_tree(&mut runner).unwrap().current();
        let text = apply(SEEDS[seed], &edits);
        std::fs::write(dir.path().join("main.yaml"), &text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
            .current_dir(dir.path())
            .args(["check", "main.yaml", "--tools"])
            .arg(&catalog)
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "exit {code:?} for:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
