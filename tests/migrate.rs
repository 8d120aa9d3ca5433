//! `pplay migrate`: every shipped 1.4 recipe and purpose-written tricky
//! playbooks, migrated text and notes as snapshots; the migrated files
//! checked against the Producer Pal 2.3 catalog; untouched bytes and spans
//! kept; a second migration changing nothing.

use std::path::{Path, PathBuf};

use pplay::catalog::Catalog;
use pplay::check::{self, CheckOptions};
use pplay::migrate::{self, Migrated};
use pplay::notation::{self, Meter};
use pplay::protocol::Generation as Gen;
use pplay::sim::live_set::Clip;
use pplay::sim::{self, Generation, LiveSet, SimOptions};
use pplay::yaml::{self, Node, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Paths relative to the crate root, as the loader names them in notes.
fn in_crate() {
    std::env::set_current_dir(root()).unwrap();
}

/// The 2.3 catalog: the pinned copy in `schemas/`, else the shared reference
/// copy; `None` (the test says it skipped) when neither is there.
fn catalog_2_3() -> Option<Catalog> {
    let candidates = [
        root().join("schemas/producer-pal-2.3.0.json"),
        root().join("../shared/producer-pal/tools-2.3.0.json"),
    ];
    let text = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    Some(Catalog::from_json(&text).unwrap())
}

/// The 1.4 recipes the project ships.
fn recipes_1_4() -> Vec<PathBuf> {
    let old = root().join("playbooks/producer-pal-1.4");
    let dir = if old.is_dir() {
        old
    } else {
        root().join("playbooks")
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    v.sort();
    v
}

fn run(files: &[&Path]) -> Vec<Migrated> {
    in_crate();
    let paths: Vec<PathBuf> = files.iter().map(|p| p.to_path_buf()).collect();
    migrate::migrate_paths(&paths).unwrap_or_else(|d| panic!("{d:?}"))
}

/// The migrated text of every file and the notes, as one snapshot.
fn report(ms: &[Migrated]) -> String {
    let mut out = String::new();
    for m in ms {
        out.push_str(&format!("==> {} <==\n{}", m.path.display(), m.text));
        for n in m.notes.iter().chain(&m.info) {
            out.push_str(&n.render(false, 100));
            out.push('\n');
        }
    }
    out
}

/// Writes the migrated files into a scratch copy and checks the first (the
/// root) against the 2.3 catalog; says it skipped when there is none.
fn assert_checks_against_2_3(ms: &[Migrated], cat: Option<&Catalog>) {
    let Some(cat) = cat else {
        return skip("the 2.3 check");
    };
    let dir = scratch(ms);
    let render = |d: Vec<pplay::diagnostic::Diagnostic>| {
        let text: Vec<String> = d.iter().map(|x| x.render(false, 100)).collect();
        panic!("{}:\n{}", ms[0].path.display(), text.join("\n"))
    };
    let pb = pplay::playbook::load(&dir.path().join(&ms[0].path)).unwrap_or_else(render);
    let env = pplay::template::environment();
    let loaded = check::Loaded::new(&env, &pb, Vec::new(), &CheckOptions::default());
    if let Err(d) = check::check(&env, loaded, cat) {
        render(d);
    }
}

/// Every comment of every migrated file is still there.
fn assert_comments_kept(ms: &[Migrated]) {
    for m in ms {
        assert_eq!(
            comments(&m.original),
            comments(&m.text),
            "{}",
            m.path.display()
        );
    }
}

fn skip(what: &str) {
    eprintln!("SKIPPED {what}: no Producer Pal 2.3 catalog (schemas/ or ../shared)");
}

#[test]
fn every_recipe_migrates_and_checks_against_2_3() {
    let cat = catalog_2_3();
    for recipe in recipes_1_4() {
        let ms = run(&[&recipe]);
        let name = recipe.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("recipe_{name}"), report(&ms));
        if ms.iter().all(|m| m.notes.is_empty()) {
            assert_checks_against_2_3(&ms, cat.as_ref());
        }
    }
}

/// A recipe that named pplay's 1.4 editor schema names the 2.x one after
/// migrating, in the same folder, and the rest of that comment is kept.
#[test]
fn the_editor_schema_comment_follows_to_2x() {
    let recipe = root().join("playbooks/producer-pal-1.4/session-setup.yaml");
    let ms = run(&[&recipe]);
    let first = |t: &str| t.lines().next().unwrap().to_owned();
    assert_eq!(
        first(&ms[0].original),
        "# yaml-language-server: $schema=../../schemas/playbook-producer-pal-1.4.schema.json"
    );
    assert_eq!(
        first(&ms[0].text),
        "# yaml-language-server: $schema=../../schemas/playbook.schema.json"
    );
    assert!(root().join("schemas/playbook.schema.json").exists());
}

#[test]
fn a_session_with_includes_templated_slots_and_captures() {
    let ms = run(&[Path::new("tests/migrate/session.yaml")]);
    assert_eq!(ms.len(), 2, "the root and its include, each once");
    assert!(ms.iter().all(|m| m.notes.is_empty()), "{}", report(&ms));
    insta::assert_snapshot!(report(&ms));
    assert_comments_kept(&ms);
    assert_checks_against_2_3(&ms, catalog_2_3().as_ref());
}

/// The purpose-written playbooks in `tests/migrate/built/`, each run on
/// both simulators.
fn built_fixtures() -> Vec<PathBuf> {
    let dir = Path::new("tests/migrate/built");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| dir.join(e.unwrap().file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The comments of a text, in order.
fn comments(t: &str) -> Vec<&str> {
    t.lines()
        .filter_map(|l| l.find('#').map(|i| &l[i..]))
        .collect()
}

/// Tricky 1.4 playbooks that build a set from an empty one: each migrates
/// with nothing left for a person and every comment kept, checks against
/// 2.3, and builds on the 2.3 simulator the set the original builds on
/// 1.4's, names included.
#[test]
fn tricky_playbooks_migrate_check_and_build_the_same_set() {
    let cat = catalog_2_3();
    for f in built_fixtures() {
        let ms = run(&[&f]);
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("built_{name}"), report(&ms));
        assert!(ms.iter().all(|m| m.notes.is_empty()), "{}", report(&ms));
        assert_comments_kept(&ms);
        assert_checks_against_2_3(&ms, cat.as_ref());
        assert_same_set(&f, Generation::V1_4, &ms);
    }
}

/// `takeLane` counts from 1 and a path's lane from 0: the migrated clips
/// land on the lanes the original's do. 1.4 has no take lanes, so the
/// original runs on 2.3, which still takes `takeLane` (deprecated).
#[test]
fn take_lanes_land_on_the_same_lanes() {
    let f = Path::new("tests/migrate/lanes.yaml");
    let ms = run(&[f]);
    insta::assert_snapshot!(report(&ms));
    assert!(ms[0].notes.is_empty(), "{}", report(&ms));
    assert_comments_kept(&ms);
    assert_checks_against_2_3(&ms, catalog_2_3().as_ref());
    assert_same_set(f, Generation::V2_3, &ms);
}

#[test]
fn arrangement_moves_and_renamed_arguments() {
    let ms = run(&[Path::new("tests/migrate/arrangement.yaml")]);
    assert!(ms[0].notes.is_empty(), "{}", report(&ms));
    insta::assert_snapshot!(report(&ms));
    assert_checks_against_2_3(&ms, catalog_2_3().as_ref());
}

#[test]
fn what_cannot_be_migrated_is_left_and_located() {
    let ms = run(&[Path::new("tests/migrate/left.yaml")]);
    let m = &ms[0];
    insta::assert_snapshot!(report(&ms));
    // Left exactly as written.
    for kept in [
        "split: \"2|1, 3|1\"   # offsets from the clip's start",
        "- { name: pC1/c0/d0/Volume, value: \"-6\" }",
        "args: { id: \"7\", type: clip, takeLane: 2 }",
        "args: { slot: \"{{ where }}\", notes: C1 1|1 }",
        "tool: ppal-raw-live-api",
        "pad: result.trackIndex",
        "noteUpdateMode: replace",
        "now: result.currentTime",
    ] {
        assert!(m.text.contains(kept), "{kept} was changed:\n{}", m.text);
    }
    // The pad slot is still migrated, with the number the capture keeps.
    assert!(m.text.contains("path: \"t{{ pad }}/s0\""), "{}", m.text);
    let codes: Vec<&str> = m.notes.iter().map(|n| n.code).collect();
    for code in [
        "split",
        "device-params",
        "take-lane",
        "template",
        "result-field",
        "capture",
        "unsupported",
    ] {
        assert!(
            codes.contains(&format!("pplay::migrate::{code}").as_str()),
            "{codes:?}"
        );
    }
}

#[test]
fn a_2x_playbook_is_left_alone() {
    let ms = run(&[Path::new("tests/migrate/already-2x.yaml")]);
    assert!(!ms[0].changed());
    assert!(ms[0].notes.is_empty());
}

/// Every scalar the migration did not touch is at its old place shifted by
/// the edits before it, with the same bytes and value.
#[test]
fn untouched_nodes_keep_their_bytes_and_spans() {
    let mut files: Vec<PathBuf> = recipes_1_4();
    for f in [
        "session.yaml",
        "arrangement.yaml",
        "left.yaml",
        "left-mixed.yaml",
        "lanes.yaml",
    ] {
        files.push(PathBuf::from("tests/migrate").join(f));
    }
    files.extend(built_fixtures());
    for f in files {
        for m in run(&[&f]) {
            let old = yaml::parse(&m.original).unwrap();
            let new = yaml::parse(&m.text).unwrap();
            let mut new_leaves = Vec::new();
            leaves(&new, &mut new_leaves);
            let mut old_leaves = Vec::new();
            leaves(&old, &mut old_leaves);
            let mut kept = 0;
            for n in old_leaves {
                let r = n.span.range();
                if m.edits.touches(&r) {
                    continue;
                }
                let at = m.edits.map_offset(n.span.offset());
                let same = new_leaves
                    .iter()
                    .find(|x| x.span.offset() == at)
                    .unwrap_or_else(|| {
                        panic!("{}: nothing at {at} for {:?}", m.path.display(), n.value)
                    });
                assert_eq!((&same.value, same.span.len()), (&n.value, n.span.len()));
                assert_eq!(&m.text[at..at + n.span.len()], &m.original[r]);
                kept += 1;
            }
            assert!(kept > 0);
        }
    }
}

fn leaves<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| leaves(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| leaves(v, out)),
        _ => out.push(n),
    }
}

#[test]
fn migrating_twice_changes_nothing() {
    let mut files: Vec<PathBuf> = recipes_1_4();
    files.push(PathBuf::from("tests/migrate/session.yaml"));
    files.push(PathBuf::from("tests/migrate/arrangement.yaml"));
    files.push(PathBuf::from("tests/migrate/lanes.yaml"));
    files.extend(built_fixtures());
    for f in files {
        let first = run(&[&f]);
        let dir = scratch(&first);
        let again = migrate::migrate_paths(&[dir.path().join(&first[0].path)]).unwrap();
        for m in again {
            assert!(
                !m.changed(),
                "{} changed again:\n{}",
                f.display(),
                migrate::unified_diff(&m)
            );
        }
    }
}

fn pplay(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_pplay"));
    c.current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch copy of the session fixture and its include.
fn session_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("parts")).unwrap();
    for f in ["session.yaml", "parts/lead.yaml"] {
        std::fs::copy(root().join("tests/migrate").join(f), dir.path().join(f)).unwrap();
    }
    dir
}

#[test]
fn the_command_prints_checks_diffs_and_writes() {
    let dir = session_copy();
    let d = dir.path();
    let before = std::fs::read_to_string(d.join("session.yaml")).unwrap();

    let out = pplay(d)
        .args(["migrate", "session.yaml"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("==> session.yaml <==\n# A 1.4 session setup"),
        "{stdout}"
    );
    assert!(stdout.contains("==> parts/lead.yaml <==\n"), "{stdout}");
    assert!(
        stdout.contains("capture: { kick: result.path }"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("2 files: 2 changed"),
        "{}",
        text(&out.stderr)
    );

    let out = pplay(d)
        .args(["migrate", "--check", "session.yaml"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("2 would change"));

    let out = pplay(d)
        .args(["migrate", "--diff", "session.yaml"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let diff = text(&out.stdout);
    assert!(
        diff.contains("--- a/session.yaml\n+++ b/session.yaml\n"),
        "{diff}"
    );
    for line in [
        "-    args: { name: Kick, trackIndex: -1 }   # append\n",
        "+    args: { name: Kick, path: t+ }   # append\n",
    ] {
        assert!(diff.contains(line), "{diff}");
    }
    assert_eq!(
        std::fs::read_to_string(d.join("session.yaml")).unwrap(),
        before
    );

    pplay(d)
        .args(["migrate", "--write", "session.yaml"])
        .assert()
        .code(0);
    let after = std::fs::read_to_string(d.join("session.yaml")).unwrap();
    assert_eq!(
        after,
        stdout
            .split("==> parts/lead.yaml <==\n")
            .next()
            .unwrap()
            .trim_start_matches("==> session.yaml <==\n")
    );
    pplay(d)
        .args(["migrate", "--check", "session.yaml"])
        .assert()
        .code(0);
    let tools = root().join("schemas/producer-pal-2.3.0.json");
    if tools.is_file() {
        pplay(d)
            .args(["check", "--tools"])
            .arg(&tools)
            .arg("session.yaml")
            .assert()
            .code(0);
    } else {
        skip("check --tools on the written file");
    }
}

#[test]
fn exit_1_when_left_for_a_person_and_2_when_invalid() {
    let out = pplay(root())
        .args(["migrate", "tests/migrate/left.yaml"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = text(&out.stderr);
    assert!(err.contains("pplay::migrate::split"), "{err}");
    assert!(err.contains("tests/migrate/left.yaml:8:7"), "{err}");
    assert!(err.contains("left for a person"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: x\nsteps: [ {tool: a, bogus: 1} ]\n",
    )
    .unwrap();
    let out = pplay(dir.path())
        .args(["migrate", "--write", "bad.yaml"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("nothing was migrated"));
}

/// What cannot be migrated offline (`split`, per-pad device paths in
/// `params`, a take lane on a duplicate named by id) is reported at its
/// line as the terminal shows it, left whole while the rest of the file is
/// migrated, and the command exits 1.
#[test]
fn left_for_a_person_is_located_and_exits_1() {
    for f in ["left.yaml", "left-mixed.yaml"] {
        let out = pplay(root())
            .args(["migrate", &format!("tests/migrate/{f}")])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stem = f.trim_end_matches(".yaml").replace('-', "_");
        insta::assert_snapshot!(
            format!("left_cli_{stem}"),
            format!(
                "{}\n---- stderr ----\n{}",
                text(&out.stdout),
                text(&out.stderr)
            )
        );
    }
}

#[test]
fn schema_diff_between_the_pinned_catalogs_points_to_migrate() {
    let new = root().join("schemas/producer-pal-2.3.0.json");
    if !new.is_file() {
        return skip("schema diff");
    }
    let out = pplay(root())
        .args(["schema", "diff", "schemas/producer-pal-1.4.6.json"])
        .arg(&new)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("hint: `pplay migrate FILE...` rewrites playbooks for"),
        "{stdout}"
    );
    // The page the hint names is the one that has the section.
    let page = std::fs::read_to_string(root().join("docs/generations.md")).unwrap();
    assert!(
        stdout.contains(r#"see docs/generations.md, "Migrating to Producer Pal 2.x""#)
            && page.contains("\n## Migrating to Producer Pal 2.x\n"),
        "{stdout}"
    );
}

/// What running `file` (from `dir`) over HTTP builds on a simulator of
/// `generation`, read from the simulator's own state: the summary
/// `pplay run --sim` ends with (tracks with names, kinds, clip and note
/// counts and devices; scene and clip counts; tempo), then every scene's
/// name (and tempo), every clip's place, name and note count, and the
/// locators. Ids are
/// left out: each generation numbers objects its own way.
fn built_set(dir: &Path, file: &Path, generation: Generation) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(sim::start(SimOptions::for_generation(generation)))
        .unwrap();
    let out = pplay(dir)
        .args(["run", "--url", &sim.url()])
        .arg(file)
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} on {generation:?}:\n{all}",
        file.display()
    );
    describe(&sim.live_set())
}

fn describe(set: &LiveSet) -> String {
    let mut out = set.summary();
    for (i, s) in set.scenes.iter().enumerate() {
        out.push_str(&format!("\n  s{i} {:?}", s.name));
        if let Some(bpm) = s.tempo {
            out.push_str(&format!(" at {bpm} BPM"));
        }
    }
    let tracks = (set.tracks.iter().enumerate()).map(|(i, t)| (format!("t{i}"), t));
    let returns = (set.returns.iter().enumerate()).map(|(i, t)| (format!("rt{i}"), t));
    for (label, t) in tracks.chain(returns) {
        for (s, c) in t.slots.iter().enumerate() {
            if let Some(c) = c {
                out.push_str(&format!("\n  {label}/s{s} {}", clip(c)));
            }
        }
        for c in &t.arrangement {
            let lane = c.lane.map_or(String::new(), |l| format!("/l{l}"));
            let at = c.arrangement_start.as_deref().unwrap_or("?");
            out.push_str(&format!("\n  {label}{lane}[{at}] {}", clip(c)));
        }
    }
    for l in &set.locators {
        out.push_str(&format!("\n  locator {:?} at {}", l.name, l.time));
    }
    out
}

fn clip(c: &Clip) -> String {
    format!("{:?}, {} notes", c.name, c.note_count)
}

/// Writes the migrated files into a scratch directory, keeping their paths.
fn scratch(ms: &[Migrated]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for m in ms {
        let to = dir.path().join(&m.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, &m.text).unwrap();
        // The tables it reads beside it (`csv()`), which migrate leaves.
        let from = root().join(m.path.parent().unwrap());
        for table in std::fs::read_dir(from).unwrap().map(|e| e.unwrap().path()) {
            if table.extension().is_some_and(|e| e == "csv") {
                let name = table.file_name().unwrap();
                std::fs::copy(&table, to.parent().unwrap().join(name)).unwrap();
            }
        }
    }
    dir
}

/// The one comparison: the original on the simulator of its generation
/// (1.4, or 2.3 for arguments 2.3 still takes with a deprecation warning)
/// and the migrated files on the 2.3 one build the same set, names
/// included.
fn assert_same_set(original: &Path, from: Generation, ms: &[Migrated]) {
    let dir = scratch(ms);
    let before = built_set(root(), original, from);
    let after = built_set(dir.path(), original, Generation::V2_3);
    assert_eq!(before, after, "{}", original.display());
}

/// Each 1.4 recipe, migrated, builds on the 2.3 simulator the same set the
/// original builds on 1.4's.
#[test]
fn a_migrated_recipe_builds_the_same_set_on_2_3_as_the_original_on_1_4() {
    for recipe in recipes_1_4() {
        let ms = run(&[&recipe]);
        if ms.iter().any(|m| !m.notes.is_empty()) {
            continue;
        }
        assert_same_set(&recipe, Generation::V1_4, &ms);
    }
}

/// The 1.4 recipes that converge still converge once migrated: their
/// `ensure: { slot }` becomes the same `path` as the call's, so a second run
/// on the 2.3 simulator changes nothing and leaves the same set.
#[test]
fn a_migrated_recipe_with_ensure_converges_on_2_3() {
    for name in ["quickstart.yaml", "composed-set.yaml"] {
        let recipe = Path::new("playbooks/producer-pal-1.4").join(name);
        let ms = run(&[&recipe]);
        assert!(ms.iter().all(|m| m.notes.is_empty()), "{}", report(&ms));
        let dir = scratch(&ms);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sim = rt
            .block_on(sim::start(SimOptions::for_generation(Generation::V2_3)))
            .unwrap();
        let mut sets = Vec::new();
        let mut summaries = Vec::new();
        for _ in 0..2 {
            let out = pplay(dir.path())
                .args(["run", "--url", &sim.url()])
                .arg(&recipe)
                .output()
                .unwrap();
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(0), "{name}:\n{all}");
            summaries.push(all);
            sets.push(describe(&sim.live_set()));
        }
        let summary = summaries[1].lines().find(|l| l.contains(" changed, "));
        assert!(
            summary.is_some_and(|l| l.starts_with("0 changed,")),
            "{name}:\n{}",
            summaries[1]
        );
        assert_eq!(sets[0], sets[1], "{name}");
    }
}

/// A half-migrated playbook: a name that already holds a 2.x path (a
/// `vars` value, a capture of a track's `path`, a var set to it) is used as
/// it is where a 1.4 argument read it, not given a second `t`; a number
/// still gets its prefix. The result runs on the 2.3 simulator.
#[test]
fn a_name_that_already_holds_a_path_is_not_prefixed_again() {
    let f = Path::new("tests/migrate/half.yaml");
    let ms = run(&[f]);
    let m = &ms[0];
    assert!(m.notes.is_empty(), "{}", report(&ms));
    for written in [
        "args: { path: \"{{ pads }}\" }",
        "path: \"{{ pads }}/{{ verse }}\"",
        "path: \"t{{ bass }}/s0\"",
        "path: \"{{ keys }}/s0\"",
        "path: \"{{ steps.keys.result.path }}/s1\"",
        "args: { path: \"{{ lead }}\" }",
    ] {
        assert!(m.text.contains(written), "{written}:\n{}", m.text);
    }
    assert!(!m.text.contains("t{{ pads }}"), "{}", m.text);
    let dir = scratch(&ms);
    let set = built_set(dir.path(), f, Generation::V2_3);
    for clip in ["t0/s1", "t1/s0", "t2/s0", "t2/s1"] {
        assert!(set.contains(&format!("  {clip} ")), "{clip}:\n{set}");
    }
}

/// A name whose value is a path of another kind, or not known to be a
/// number, is left where an index was read, with a located note.
#[test]
fn a_name_of_unknown_sort_at_an_index_is_left_with_a_note() {
    let ms = run(&[Path::new("tests/migrate/half-left.yaml")]);
    let m = &ms[0];
    insta::assert_snapshot!(report(&ms));
    assert!(m.text.contains("sceneIndex: \"{{ pads }}\""), "{}", m.text);
    assert!(m.text.contains("trackIndex: \"{{ next }}\""), "{}", m.text);
    assert_eq!(m.notes.len(), 2, "{}", report(&ms));
}

/// Migrates one playbook given as text.
fn migrate_text(text: &str) -> Migrated {
    let pb = pplay::playbook::parse_str("notes.yaml", text).unwrap_or_else(|d| panic!("{d:?}"));
    migrate::migrate(&[pb]).remove(0)
}

/// The `notes` and `timeSignature` of each clip step of a playbook text,
/// in order.
fn clip_notes(text: &str) -> Vec<(String, Option<String>)> {
    let pb = pplay::playbook::parse_str("notes.yaml", text).unwrap_or_else(|d| panic!("{d:?}"));
    let get = |args: &Node, k: &str| {
        let m = args.as_map()?;
        let v = m.iter().find(|(key, _)| key.name == k)?;
        v.1.as_str().map(str::to_owned)
    };
    (pb.steps.iter())
        .filter_map(|s| match &s.action {
            pplay::playbook::Action::Call { args, .. } => {
                Some((get(args, "notes")?, get(args, "timeSignature")))
            }
            _ => None,
        })
        .collect()
}

/// The notes `before` gives on 1.4 and `after` on 2.x in `meter` are the
/// same (times within a billionth of a beat), or how they differ.
fn same_music(before: &str, after: &str, meter: Meter) -> Result<(), String> {
    let old = notation::interpret(before, Gen::V1, meter).map_err(|e| e.message)?;
    let new =
        notation::interpret(after, Gen::V2, meter).map_err(|e| format!("2.x: {}", e.message))?;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let same = old.notes.len() == new.notes.len()
        && old.notes.iter().zip(&new.notes).all(|(a, b)| {
            (a.pitch, a.velocity, a.velocity_deviation)
                == (b.pitch, b.velocity, b.velocity_deviation)
                && close(a.start, b.start)
                && close(a.duration, b.duration)
                && close(a.probability, b.probability)
        });
    if same {
        Ok(())
    } else {
        Err(format!(
            "{before:?} -> {after:?}:\n{:?}\n{:?}",
            old.notes, new.notes
        ))
    }
}

fn meter(ts: &str) -> Meter {
    Meter::parse(ts).unwrap()
}

/// A one-step 1.4 playbook creating a clip in `ts` with `notes`.
fn one_clip(notes: &str, ts: &str) -> String {
    format!(
        "name: One clip\nsteps:\n  - tool: ppal-create-clip\n    args: {{ slot: \"0/0\", timeSignature: \"{ts}\", notes: {} }}\n",
        serde_json::to_string(notes).unwrap()
    )
}

/// The same clip with its notes in a literal block scalar, a group a line.
fn one_block_clip(groups: &[String], ts: &str) -> String {
    let lines: String = groups.iter().map(|g| format!("        {g}\n")).collect();
    format!(
        "name: One clip\nsteps:\n  - tool: ppal-create-clip\n    args:\n      slot: \"0/0\"\n      timeSignature: \"{ts}\"\n      notes: |\n{lines}"
    )
}

/// 1.4 durations, repeat steps, fraction beats and lengths become 2.x's
/// in each clip's meter (the step's, else the set's), and the 2.x strings
/// give the notes the 1.4 ones give; what has no exact form (a zero
/// duration, a template, a meter known only at run time) stays, noted at
/// its place. A block scalar keeps its layout.
#[test]
fn notes_strings_become_the_same_music_in_2x_notation() {
    let ms = run(&[Path::new("tests/migrate/notes.yaml")]);
    let m = &ms[0];
    insta::assert_snapshot!(report(&ms));
    let before = clip_notes(&m.original);
    let after = clip_notes(&m.text);
    assert_eq!(before.len(), after.len());
    let (mut converted, mut left) = (0, 0);
    for ((old, ts), (new, _)) in before.iter().zip(&after) {
        if old == new {
            left += 1;
            continue;
        }
        same_music(old, new, meter(ts.as_deref().unwrap_or("3/4"))).unwrap();
        converted += 1;
    }
    assert_eq!((converted, left), (5, 4), "{}", report(&ms));
    for block in [
        "notes: |\n        // a block scalar with a comment\n        n/2 C3 E3 G3 1|1\n",
        "notes: >-\n        n/16 C1 1|1x4@n/4\n        D1 1|3\n",
    ] {
        assert!(m.text.contains(block), "{}", m.text);
    }
    let codes: Vec<&str> = m.notes.iter().map(|n| n.code).collect();
    assert_eq!(
        codes,
        ["pplay::migrate::notes"; 4],
        "the update of a clip in an unknown meter, the zero duration, the template, the run-time meter:\n{}",
        report(&ms)
    );
    assert!(m.text.contains("length: \"1bar+n/4\""), "{}", m.text);
    assert!(m.text.contains("length: \"2bar+n3/8\""), "{}", m.text);
}

/// Valid 1.4 strings of the notation corpus (in meters of quarter and of
/// eighth beats), migrated in their own meter: each is the same music on 2.x.
#[test]
fn corpus_strings_migrate_to_the_same_music() {
    let cases = [
        ("6/8", "t6 B1 B2 D3 F#3 1|1 F#2 A2 C#3 2|1"),
        ("6/8", "t/4 Gb3 1|1 Bb3 1|1+1/4 C#4 1|1.5 Gb4 1|1.75 @2=1"),
        ("3/4", "C3 1|1x100@0.25"),
        (
            "5/4",
            "C1 1|1,3,5 D1 1|4 v68 p0.25 t1/4 Gb1 1|1x10@1/2 @2= @3=",
        ),
        (
            "12/8",
            "t/2 G#1 1|1 1|7 Ab1 2|1x24@/2 F#1 3|1x24@1/2 Gb1 4|1 4|7 /* fill */",
        ),
        ("7/8", "C1 1|1,3 D1 1|2 @3-6=1-2 v0 D1 2|2"),
        ("7/8", "t1/3 F3 1|1 A3 1|4/3 C4 1|1+2/3 F4 1|2 @2=1"),
        ("2/4", "t1:0\nv79-120\nF3\nA3\nC4\n1|1"),
        (
            "12/8",
            "t1/2 Bb4 1|2.5 t1 G5 1|3 v59-108 G4 1|8+2/4 t1/2 G4 1|9.5",
        ),
        ("4/4", "v0-60 C1 1|1 v100 C1 1|1 t3/2 E1 1|2x3@3/2"),
    ];
    for (ts, notes) in cases {
        let m = migrate_text(&one_clip(notes, ts));
        assert!(
            m.notes.is_empty(),
            "{notes}: {}",
            report(std::slice::from_ref(&m))
        );
        let (new, _) = clip_notes(&m.text).remove(0);
        same_music(notes, &new, meter(ts)).unwrap();
    }
}

/// Every valid 1.4 string of the shared notation corpus, migrated in its
/// own meter, gives on 2.x the notes Producer Pal 1.4.6 gives (its own
/// oracle), or is left with a note; skipped where the corpus is absent.
#[test]
fn the_shared_corpus_migrates_to_producer_pals_own_notes() {
    let path = root().join("../shared/producer-pal/notation-corpus.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return eprintln!(
            "SKIPPED the corpus migration: no ../shared/producer-pal/notation-corpus.jsonl"
        );
    };
    let (mut same, mut left) = (0, Vec::new());
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let oracle = &row["oracle"]["1.4.6"];
        if oracle["ok"] != true {
            continue;
        }
        let (notes, ts) = (
            row["notes"].as_str().unwrap(),
            row["timeSignature"].as_str().unwrap(),
        );
        let m = migrate_text(&one_clip(notes, ts));
        let (new, _) = clip_notes(&m.text).remove(0);
        if !m.notes.is_empty() {
            assert_eq!(new, notes, "a noted string stays as it was");
            left.push(notes.to_owned());
            continue;
        }
        let got = notation::interpret(&new, Gen::V2, meter(ts))
            .unwrap_or_else(|e| panic!("{new:?}: {}", e.message));
        let want = oracle["notes"].as_array().unwrap();
        assert_eq!(got.notes.len(), want.len(), "{notes:?} -> {new:?}");
        for (g, w) in got.notes.iter().zip(want) {
            let close = |a: f64, k: &str| (a - w[k].as_f64().unwrap()).abs() < 1e-6;
            assert!(
                g.pitch as u64 == w["pitch"].as_u64().unwrap()
                    && close(g.start, "start_beats")
                    && close(g.duration, "duration")
                    && g.velocity as u64 == w["velocity"].as_u64().unwrap()
                    && close(g.probability, "probability"),
                "{notes:?} -> {new:?}: {g:?} vs {w}"
            );
        }
        same += 1;
    }
    eprintln!(
        "corpus: {same} migrated to the same notes, {} left with a note",
        left.len()
    );
    assert!(left.iter().all(|n| n.contains("t0")), "{left:#?}");
    assert!(same > 200, "{same}");
}

/// Generated 1.4 strings of durations (beats, fractions, mixed numbers,
/// bar:beat), fraction and mixed beats, repeats with and without steps,
/// velocity ranges and bar copies, in six meters: migrated, each gives on
/// 2.x the notes it gives on 1.4, with nothing left.
mod generated {
    use super::*;
    use proptest::prelude::*;

    fn duration() -> impl Strategy<Value = String> {
        prop_oneof![
            (1u32..5).prop_map(|n| format!("t{n}")),
            Just("t0.5".to_owned()),
            Just("t1.5".to_owned()),
            (1u32..8, prop::sample::select(vec![2u32, 3, 4, 8]))
                .prop_map(|(a, b)| format!("t{a}/{b}")),
            Just("t/4".to_owned()),
            Just("t1+1/2".to_owned()),
            (0u32..3, 0u32..4).prop_map(|(a, b)| format!("t{}:{b}", a + u32::from(b == 0))),
        ]
    }

    fn beat() -> impl Strategy<Value = String> {
        prop_oneof![
            (1u32..7).prop_map(|n| n.to_string()),
            Just("1.5".to_owned()),
            Just("4/3".to_owned()),
            Just("5/2".to_owned()),
            Just("1+1/3".to_owned()),
            Just("2+3/4".to_owned()),
        ]
    }

    fn step() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("@1".to_owned()),
            Just("@0.5".to_owned()),
            Just("@1/3".to_owned()),
            Just("@/4".to_owned()),
            Just("@1+1/2".to_owned()),
        ]
    }

    fn time() -> impl Strategy<Value = String> {
        let spec = (beat(), prop::option::of((2u32..6, step()))).prop_map(|(b, r)| match r {
            Some((n, s)) => format!("{b}x{n}{s}"),
            None => b,
        });
        (1u32..4, prop::collection::vec(spec, 1..3))
            .prop_map(|(bar, specs)| format!("{bar}|{}", specs.join(",")))
    }

    fn group() -> impl Strategy<Value = String> {
        let velocity = prop_oneof![
            Just(String::new()),
            (1u32..128).prop_map(|v| format!("v{v} ")),
            (0u32..60, 60u32..128).prop_map(|(a, b)| format!("v{a}-{b} ")),
        ];
        let pitches =
            prop::collection::vec(prop::sample::select(vec!["C1", "D#2", "Gb3", "A4"]), 1..3);
        (
            velocity,
            prop::option::of(duration()),
            pitches,
            prop::collection::vec(time(), 1..3),
            prop::option::of(Just("@2=1")),
        )
            .prop_map(|(v, d, p, t, copy)| {
                let d = d.map_or(String::new(), |d| format!("{d} "));
                let copy = copy.map_or(String::new(), |c| format!(" {c}"));
                format!("{v}{d}{} {}{copy}", p.join(" "), t.join(" "))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn generated_1_4_strings_migrate_to_the_same_music(
            groups in prop::collection::vec(group(), 1..4),
            ts in prop::sample::select(vec!["4/4", "3/4", "6/8", "5/4", "7/8", "12/8"]),
        ) {
            let notes = groups.join(" ");
            prop_assume!(notation::interpret(&notes, Gen::V1, meter(ts)).is_ok());
            let m = migrate_text(&one_clip(&notes, ts));
            prop_assert!(m.notes.is_empty(), "{}", report(std::slice::from_ref(&m)));
            let (new, _) = clip_notes(&m.text).remove(0);
            prop_assert!(same_music(&notes, &new, meter(ts)).is_ok(), "{}", same_music(&notes, &new, meter(ts)).unwrap_err());
            // A group a line, in a block scalar: the same tokens change and
            // the lines stay.
            let m = migrate_text(&one_block_clip(&groups, ts));
            prop_assert!(m.notes.is_empty(), "{}", report(std::slice::from_ref(&m)));
            prop_assert!(m.text.contains("      notes: |\n        "), "{}", m.text);
            let (block, _) = clip_notes(&m.text).remove(0);
            prop_assert_eq!(block.trim_end().replace('\n', " "), new);
        }
    }
}

/// A notes string kept as written rests on the meter when it has a note
/// with no duration (one beat on 1.4, a quarter on 2.x). When nothing
/// states the meter the run says so once, at the first such string, and
/// counts the others; a stated meter, or strings 2.x already writes, need
/// no word.
#[test]
fn a_meter_nothing_states_is_said_once_for_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = |name: &str, song: &str, notes: [&str; 2]| {
        let text = format!(
            "name: Two clips\nsteps:\n{song}  - tool: ppal-create-clip\n    args: {{ slot: \"0/0\", notes: \"{}\" }}\n  - tool: ppal-create-clip\n    args: {{ slot: \"0/1\", notes: \"{}\" }}\n",
            notes[0], notes[1]
        );
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let ms = migrate::migrate_paths(&[path]).unwrap();
        assert!(ms[0].notes.is_empty(), "{}", report(&ms));
        let meter: Vec<String> = (ms[0].info.iter())
            .filter(|d| d.code == "pplay::migrate::meter")
            .map(|d| d.message.clone())
            .collect();
        (ms[0].text.clone(), meter)
    };
    let four = "  - tool: ppal-update-live-set\n    args: { timeSignature: 4/4 }\n";
    let six = "  - tool: ppal-update-live-set\n    args: { timeSignature: 6/8 }\n";
    let (text, said) = migrated("assumed.yaml", "", ["C1 1|1", "v90 D1 1|2"]);
    assert!(text.contains("notes: \"C1 1|1\""), "{text}");
    assert_eq!(
        said,
        [
            "notes kept as written, as in 4/4: nothing in the playbook sets the clip's meter (and 1 more notes string)"
        ]
    );
    let (_, said) = migrated("stated.yaml", four, ["C1 1|1", "v90 D1 1|2"]);
    assert!(said.is_empty(), "{said:?}");
    let (text, said) = migrated("six-eight.yaml", six, ["C1 1|1", "v90 D1 1|2"]);
    assert!(text.contains("notes: \"n/8 C1 1|1\""), "{text}");
    assert!(said.is_empty(), "{said:?}");
    let (_, said) = migrated("already-2x.yaml", "", ["n/16 C1 1|1", "v90 p0.5"]);
    assert!(said.is_empty(), "{said:?}");
}
