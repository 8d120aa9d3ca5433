//! The manual holds to what pplay does: every playbook shown in README.md
//! and docs/*.md passes `pplay check` against the pinned catalog of its
//! generation and runs on that generation's simulator, every shell example
//! of a shipped playbook that needs no Live runs, every relative link and
//! anchor resolves, and the README stays an entrance.
//!
//! A fence's info string says what its example is (`yaml` alone: a whole
//! 2.x playbook):
//! - `producer-pal-1.4`: a whole 1.4 playbook, checked and run as 1.4;
//! - `fragment`: part of a playbook, only read as YAML;
//! - `refused`: a playbook `check` refuses; the `text` block after it starts
//!   with the `$ pplay check ...` line and holds exactly what it prints;
//! - `migrated`: what `pplay migrate` prints for the YAML block before it;
//! - `file=PATH`: the block is that file of the repository, byte for byte.

mod common;

use std::path::{Path, PathBuf};

use common::cmd::Test;

/// The README's most lines: it is the entrance, the manual is in docs/.
const README_MAX_LINES: usize = 400;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, as (path from the root, text).
fn pages() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root().join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// One fenced block of a page.
#[derive(Debug, Clone)]
struct Block {
    page: String,
    /// The line of its opening fence, from 1.
    line: usize,
    lang: String,
    words: Vec<String>,
    text: String,
}

impl Block {
    fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.words
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }

    fn place(&self) -> String {
        format!("{}:{}", self.page, self.line)
    }

    /// A scratch file name that says where the block is, so a failing
    /// command line points at it.
    fn file_name(&self) -> String {
        format!("{}-line-{}.yaml", self.page.replace('/', "-"), self.line)
    }

    fn is_1_4(&self) -> bool {
        self.has("producer-pal-1.4")
    }

    fn is_playbook(&self) -> bool {
        self.lang == "yaml" && !self.has("fragment") && !self.has("refused")
    }
}

/// The fenced blocks of a page, indented ones (in a list) included, with
/// the fence's indentation taken off their lines.
fn blocks(page: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize, Vec<String>, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match &mut open {
            None if trimmed.starts_with("```") => {
                let words = trimmed[3..].split_whitespace().map(str::to_owned).collect();
                open = Some((i + 1, indent, words, String::new()));
            }
            None => {}
            Some((start, fence_indent, words, body)) => {
                if trimmed == "```" && indent == *fence_indent {
                    let mut words = std::mem::take(words);
                    let lang = if words.is_empty() {
                        String::new()
                    } else {
                        words.remove(0)
                    };
                    out.push(Block {
                        page: page.to_owned(),
                        line: *start,
                        lang,
                        words,
                        text: std::mem::take(body),
                    });
                    open = None;
                } else {
                    body.push_str(line.get(*fence_indent..).unwrap_or(line.trim_start()));
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{page}: a fence is never closed");
    out
}

fn all_blocks() -> Vec<Block> {
    pages().iter().flat_map(|(p, t)| blocks(p, t)).collect()
}

/// The pinned catalog a block is checked against.
fn catalog(b: &Block) -> &'static str {
    if b.is_1_4() {
        "schemas/producer-pal-1.4.6.json"
    } else {
        "schemas/producer-pal-2.3.0.json"
    }
}

fn check(b: &Block) {
    Test::new()
        .args(["check", "--tools", catalog(b)])
        .playbook(&b.file_name(), &b.text)
        .run();
}

fn run_on_sim(b: &Block) {
    let generation = if b.is_1_4() { "1.4" } else { "2.3" };
    Test::new()
        .arg("run")
        .playbook(&b.file_name(), &b.text)
        .args(["--sim", "--producer-pal", generation])
        .stdout_has(" 0 failed")
        .run();
}

#[test]
fn every_playbook_in_the_manual_passes_check_and_runs_on_its_simulator() {
    let playbooks: Vec<Block> = all_blocks()
        .into_iter()
        .filter(Block::is_playbook)
        .collect();
    assert!(
        playbooks.len() >= 5,
        "the manual's playbooks were not found: {playbooks:?}"
    );
    for b in &playbooks {
        check(b);
        run_on_sim(b);
    }
}

#[test]
fn every_fragment_is_yaml() {
    for b in all_blocks().iter().filter(|b| b.lang == "yaml") {
        if let Err(e) = pplay::yaml::parse(&b.text) {
            panic!("{}: the YAML does not parse: {e:?}", b.place());
        }
    }
}

#[test]
fn a_block_that_names_a_file_is_that_file() {
    let mut seen = 0;
    for b in all_blocks() {
        let Some(path) = b.attr("file") else { continue };
        let file = std::fs::read_to_string(root().join(path))
            .unwrap_or_else(|e| panic!("{}: {path}: {e}", b.place()));
        assert_eq!(b.text, file, "{}: differs from {path}", b.place());
        seen += 1;
    }
    assert!(seen > 0, "no block names a file");
}

#[test]
fn a_refused_playbook_is_reported_as_the_manual_shows() {
    let all = all_blocks();
    let mut seen = 0;
    for (i, b) in all.iter().enumerate().filter(|(_, b)| b.has("refused")) {
        let shown = all
            .get(i + 1)
            .filter(|t| t.page == b.page && t.lang == "text")
            .unwrap_or_else(|| panic!("{}: no text block follows", b.place()));
        let (command, report) = shown.text.split_once('\n').unwrap();
        let words: Vec<&str> = command
            .strip_prefix("$ pplay ")
            .unwrap_or_else(|| panic!("{}: starts with `$ pplay`", shown.place()))
            .split_whitespace()
            .collect();
        let file = words.iter().position(|w| w.ends_with(".yaml")).unwrap();
        let out = Test::new()
            .args(&words[..file])
            .playbook(words[file], &b.text)
            .args(&words[file + 1..])
            .status(2)
            .run();
        let dir = format!("{}/", out.path("").display());
        let dir = dir.replace("//", "/");
        if out.stderr.replace(&dir, "") != report {
            out.fail(&format!("stderr as {} shows it:\n{report}", shown.place()));
        }
        seen += 1;
    }
    assert!(seen > 0, "no refused playbook");
}

#[test]
fn a_migrated_playbook_is_what_migrate_writes() {
    let all = all_blocks();
    let mut seen = 0;
    for (i, b) in all.iter().enumerate().filter(|(_, b)| b.has("migrated")) {
        let before = &all[i.checked_sub(1).expect("a block before it")];
        assert!(before.is_1_4(), "{}: not a 1.4 playbook", before.place());
        Test::new()
            .arg("migrate")
            .playbook(&before.file_name(), &before.text)
            .stdout(b.text.clone())
            .run();
        seen += 1;
    }
    assert!(seen > 0, "no migrated playbook");
}

/// A shell line of the manual as pplay's arguments, when running it needs
/// no Live and touches nothing: a run on the simulator, a check against a
/// pinned catalog, a migration printed, of files the repository ships.
fn offline_command(line: &str) -> Option<Vec<String>> {
    let line = line.split(" #").next().unwrap().trim();
    let rest = line
        .strip_prefix("pplay ")
        .or_else(|| line.strip_prefix("cargo run --release -- "))?;
    let words: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let offline = match words.first()?.as_str() {
        "run" => has("--sim") && !has("--journal") && !has("--resume"),
        "check" => has("--tools"),
        "migrate" => !has("--write"),
        _ => false,
    };
    let shipped = words
        .iter()
        .filter(|w| !w.starts_with('-') && (w.contains('/') || w.ends_with(".yaml")))
        .all(|w| root().join(w).is_file());
    (offline && shipped).then_some(words)
}

#[test]
fn every_offline_shell_example_of_a_shipped_playbook_runs() {
    let mut ran = 0;
    for b in all_blocks().iter().filter(|b| b.lang == "sh") {
        for line in b.text.lines() {
            let Some(words) = offline_command(line) else {
                continue;
            };
            let out = Test::new().args(&words).run();
            if words[0] == "run" && !out.stdout.contains(" 0 failed") {
                out.fail(&format!("{}: a run with no failure", b.place()));
            }
            ran += 1;
        }
    }
    assert!(ran >= 2, "the README's first command was not found");
}

#[test]
fn the_readme_is_an_entrance() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, at most {README_MAX_LINES}: move the rest into docs/"
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped (hyphens
/// and underscores kept), each space a hyphen.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The text of a page outside its fenced blocks, line by line.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced: Option<usize> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let fence = line.trim_start().starts_with("```");
        match fenced {
            None if fence => fenced = Some(indent),
            Some(at) if fence && indent == at => fenced = None,
            None => out.push((i + 1, line)),
            Some(_) => {}
        }
    }
    out
}

/// The anchors of a page's headings, a repeated one numbered as GitHub
/// does (`-1`, `-2`).
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, line) in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let base = slug(heading.trim_start_matches('#'));
        let mut anchor = base.clone();
        let mut n = 0;
        while out.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        out.push(anchor);
    }
    out
}

/// The targets of a line's Markdown links, inline code left out.
fn link_targets(line: &str) -> Vec<String> {
    let mut plain = String::new();
    for (i, part) in line.split('`').enumerate() {
        plain.push_str(if i % 2 == 0 { part } else { "code" });
    }
    let mut out = Vec::new();
    let mut rest = plain.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        out.push(rest[..end].trim().to_owned());
        rest = &rest[end..];
    }
    out
}

/// `docs/../README.md` as `README.md`.
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            c => parts.push(c.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// What is wrong with one link of `page`, if anything.
fn broken(page: &str, page_text: &str, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        page.to_owned()
    } else {
        normalise(&Path::new(page).parent().unwrap().join(path))
    };
    let text = if file == page {
        page_text.to_owned()
    } else {
        match std::fs::read_to_string(root().join(&file)) {
            Ok(t) => t,
            Err(_) if root().join(&file).is_dir() && anchor.is_empty() => return None,
            Err(e) => return Some(format!("{file}: {e}")),
        }
    };
    let known =
        !file.ends_with(".md") || anchor.is_empty() || anchors(&text).iter().any(|a| a == anchor);
    (!known).then(|| format!("{file} has no heading for #{anchor}"))
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut problems = Vec::new();
    let mut links = 0;
    for (page, text) in pages() {
        for (line, prose_line) in prose(&text) {
            for target in link_targets(prose_line) {
                links += 1;
                if let Some(p) = broken(&page, &text, &target) {
                    problems.push(format!("{page}:{line}: ({target}): {p}"));
                }
            }
        }
    }
    assert!(links > 20, "only {links} links found");
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Migrating to Producer Pal 2.x"),
        "migrating-to-producer-pal-2x"
    );
    assert_eq!(slug("`--json` events"), "--json-events");
    assert_eq!(slug("1.4 (`--producer-pal 1.4`)"), "14---producer-pal-14");
    assert_eq!(
        anchors("# A\n## A\n```\n# not\n```\n## A"),
        ["a", "a-1", "a-2"]
    );
}
