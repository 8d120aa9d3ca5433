//! The shape of the code in src/, held by tests so it cannot drift back:
//! no function longer than 120 lines, and no two top-level modules that
//! import each other (directly or round a longer circle), so data flows one
//! way through the crate.
//!
//! Both read the source text with comments, strings and character literals
//! blanked out, so a brace or a `crate::` in them counts for nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a function in src/ may span, signature to closing brace.
const MAX_FN_LINES: usize = 120;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `src` with every comment, string and character literal replaced by
/// spaces (newlines kept, so line numbers hold).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let end = literal_or_comment_end(b, i);
        if end > i {
            out.extend(
                b[i..end]
                    .iter()
                    .map(|&c| if c == b'\n' { b'\n' } else { b' ' }),
            );
            i = end;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Where the comment or literal starting at `i` ends, or `i` when none does.
fn literal_or_comment_end(b: &[u8], i: usize) -> usize {
    let rest = &b[i..];
    let after_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    if rest.starts_with(b"//") {
        return rest
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |n| i + n);
    }
    if rest.starts_with(b"/*") {
        return block_comment_end(b, i);
    }
    if !after_ident && let Some(end) = raw_string_end(b, i) {
        return end;
    }
    let quote = if !after_ident && rest.starts_with(b"b\"") {
        i + 1
    } else {
        i
    };
    if b[quote] == b'"' {
        let mut j = quote + 1;
        while b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        return j + 1;
    }
    if b[i] == b'\'' {
        return char_literal_end(b, i).unwrap_or(i);
    }
    i
}

fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// `r"..."`, `r#"..."#`, `br"..."` and the like.
fn raw_string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + usize::from(b[i] == b'b');
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    j += hashes;
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let body = j + 1;
    let n = b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some(body + n + close.len())
}

/// A character literal (`'{'`, `'\n'`, `'\u{7b}'`); a lifetime is none.
fn char_literal_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i + 1) == Some(&b'\\') {
        // The escaped character itself may be a quote (`'\''`).
        let close = b[i + 3..].iter().take(10).position(|&c| c == b'\'')?;
        return Some(i + 3 + close + 1);
    }
    let text = std::str::from_utf8(&b[i + 1..(i + 6).min(b.len())])
        .ok()
        .or_else(|| {
            // A cut in the middle of a character: take what decodes.
            (2..6)
                .rev()
                .find_map(|n| std::str::from_utf8(b.get(i + 1..i + n)?).ok())
        })?;
    let c = text.chars().next()?;
    let after = i + 1 + c.len_utf8();
    (b.get(after) == Some(&b'\'')).then_some(after + 1)
}

/// Each `fn` with a body in `code`: its name, first line and line count.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(n) = code[at..].find("fn ") {
        let start = at + n;
        at = start + 3;
        if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
            continue;
        }
        let name: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // a `fn(..)` type
        }
        let Some(open) = body_start(b, at) else {
            continue; // a declaration without a body
        };
        let close = matching_brace(b, open);
        let line = |p: usize| code[..p].matches('\n').count() + 1;
        out.push((name, line(start), line(close) - line(start) + 1));
    }
    out
}

/// The `{` that opens the body of the function whose signature starts at
/// `i`, or None when a `;` ends it first (outside brackets: `[u8; 4]`).
fn body_start(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0i32;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b';' if depth == 0 => return None,
            b'{' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn matching_brace(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (i, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    b.len()
}

#[test]
fn no_function_in_src_is_longer_than_120_lines() {
    let mut long = Vec::new();
    for path in rust_files(&src()) {
        let code = code_only(&std::fs::read_to_string(&path).unwrap());
        for (name, line, lines) in functions(&code) {
            if lines > MAX_FN_LINES {
                let file = path.strip_prefix(src()).unwrap().display().to_string();
                long.push(format!("src/{file}:{line} fn {name}: {lines} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines; split each into named steps:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_function_counter_sees_through_literals_and_comments() {
    let code = code_only(concat!(
        "fn a() {\n let s = \"}\"; let c = '}'; let q = '\\''; let r = r#\"}\"#;\n",
        " // }\n /* } */ let l: &'static str = \"\";\n}\n",
        "fn b(x: [u8; 4]) -> u8 {\n x[0]\n}\n",
        "fn c();\n",
    ));
    assert_eq!(
        functions(&code),
        [("a".to_owned(), 1, 5), ("b".to_owned(), 6, 3)]
    );
}

/// The top-level module a file of src/ belongs to (`runner` for
/// src/runner/call.rs); None for the crate root and the binary.
fn top_module(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// `code` without its `#[cfg(test)]` items: a test may use any module.
fn without_tests(code: &str) -> String {
    let mut out = code.to_owned();
    while let Some(at) = out.find("#[cfg(test)]") {
        let b = out.as_bytes();
        let end = match body_start(b, at + "#[cfg(test)]".len()) {
            Some(open) => matching_brace(b, open) + 1,
            None => at + out[at..].find(';').map_or(out.len() - at, |n| n + 1),
        };
        out.replace_range(at..end, "");
    }
    out
}

/// The top-level modules `code` names through `crate::` paths, in a
/// `use crate::{a, b::c}` group too.
fn crate_imports(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut first = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => first = true,
                    c if first && (c.is_alphanumeric() || c == '_') => {
                        out.insert(ident(&group[i..]));
                        first = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

/// Which top-level modules each one imports.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files(&src()) {
        let Some(module) = top_module(&path) else {
            continue;
        };
        let code = without_tests(&code_only(&std::fs::read_to_string(&path).unwrap()));
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(crate_imports(&code).into_iter().filter(|m| *m != module));
    }
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| known.contains(d));
    }
    graph
}

/// A circle of imports through `from`, as the modules on it, if any.
fn circle_from(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    // Depth-first from `from`, keeping the road taken, until it comes back.
    let mut road = vec![from.to_owned()];
    let mut next = vec![graph[from].iter().collect::<Vec<_>>()];
    let mut seen = BTreeSet::new();
    while let Some(options) = next.last_mut() {
        let Some(m) = options.pop() else {
            next.pop();
            road.pop();
            continue;
        };
        if m == from {
            road.push(m.clone());
            return Some(road);
        }
        if seen.insert(m.clone()) {
            road.push(m.clone());
            next.push(graph[m].iter().collect());
        }
    }
    None
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let graph = module_imports();
    // Each circle once, however many of its modules it was found from.
    let mut seen = BTreeSet::new();
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle_from(&graph, m))
        .filter(|road| seen.insert(road.iter().cloned().collect::<BTreeSet<String>>()))
        .map(|road| road.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles between modules of src/; move what both need to the \
         module it belongs to:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_import_reader_finds_a_circle() {
    let code = without_tests(&code_only(concat!(
        "use crate::{a::X, b::{Y, Z}};\n/// [`crate::c`]\nfn f() { crate::d::g(); }\n",
        "#[cfg(test)]\nmod tests { use crate::e; }\n",
    )));
    let found = crate_imports(&code);
    assert_eq!(found, ["a", "b", "d"].map(String::from).into());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, deps)| (m.to_owned(), deps.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circle_from(&graph, "a").unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(circle_from(&graph, "d"), None);
}
