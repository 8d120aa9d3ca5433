//! Appending to a journal, one synced line at a time.
//!
//! Each line goes out in a single write and is synced to disk before
//! [`Writer::write`] returns, so when a `sent` line is on disk the request
//! has not left yet, and when a kill comes the journal ends at a line
//! boundary or inside the one line being written.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::format::Line;
use super::read::Journal;
use crate::diagnostic::Diagnostic;

/// An open journal.
#[derive(Debug)]
pub struct Writer {
    file: File,
    path: PathBuf,
}

/// A line as written: compact JSON and a newline.
pub fn line_text(line: &Line) -> String {
    let mut s = serde_json::to_string(line).expect("journal lines serialise");
    s.push('\n');
    s
}

impl Writer {
    /// Starts a journal at `path`. A file already there is refused unless it
    /// is empty: it may be the only record of a run that was not finished.
    pub fn create(path: &Path) -> Result<Self, Diagnostic> {
        let opened = OpenOptions::new().write(true).create_new(true).open(path);
        let file = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
                    return Err(Diagnostic::error(
                        "pplay::journal-exists",
                        format!("the journal {} already exists", path.display()),
                    )
                    .help(format!(
                        "continue that run with --resume {0}, or remove {0} to start over",
                        path.display()
                    )));
                }
                OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| cannot(path, &e))?
            }
            Err(e) => return Err(cannot(path, &e)),
        };
        sync_parent(path);
        Ok(Writer {
            file,
            path: path.to_owned(),
        })
    }

    /// Continues `journal` after its last complete line (a line cut short by
    /// a kill is cut off first, so the next line starts on a line of its own).
    pub fn append(journal: &Journal) -> Result<Self, Diagnostic> {
        let path = journal.file.path();
        let mut file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| cannot(path, &e))?;
        file.set_len(journal.valid_len)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
            .map_err(|e| cannot(path, &e))?;
        Ok(Writer {
            file,
            path: path.to_owned(),
        })
    }

    /// Appends `line` and waits until it is on disk.
    pub fn write(&mut self, line: &Line) -> Result<(), Diagnostic> {
        self.file
            .write_all(line_text(line).as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| cannot(&self.path, &e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn cannot(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "pplay::journal-io",
        format!("cannot write the journal {}: {e}", path.display()),
    )
}

/// Makes a new file's directory entry durable too (best effort: not every
/// platform can open a directory).
fn sync_parent(path: &Path) {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::{CallKey, Identity, Sent};
    use crate::journal::read;

    fn sent(step: &str) -> Line {
        Line::Sent(Sent {
            key: CallKey {
                step: step.into(),
                iteration: Some(0),
            },
            tool: "t".into(),
            step_sha256: "s".into(),
            args_sha256: "a".into(),
            args: None,
            name: None,
        })
    }

    /// A new journal at `path` whose run line is written.
    fn started(path: &Path) -> Writer {
        let mut w = Writer::create(path).unwrap();
        w.write(&Line::Run(Identity::new(
            "pb.yaml".into(),
            "http://x".into(),
        )))
        .unwrap();
        w
    }

    #[test]
    fn written_lines_read_back_and_an_existing_journal_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let mut w = started(&path);
        w.write(&sent("0")).unwrap();
        drop(w);
        let j = read::read(&path).unwrap().unwrap();
        assert_eq!(j.identity.playbook, "pb.yaml");
        assert_eq!(j.in_flight().count(), 1);
        let e = Writer::create(&path).unwrap_err();
        assert_eq!(e.code, "pplay::journal-exists");
        assert!(e.help.unwrap().contains("--resume"));
    }

    #[test]
    fn appending_after_a_cut_line_starts_a_fresh_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        drop(started(&path));
        // A kill in the middle of a write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"kind":"sent","st"#).unwrap();
        drop(f);
        let j = read::read(&path).unwrap().unwrap();
        let mut w = Writer::append(&j).unwrap();
        w.write(&sent("1")).unwrap();
        let j = read::read(&path).unwrap().unwrap();
        assert_eq!(j.records().count(), 1);
        assert_eq!(j.records().next().unwrap().sent.key.step, "1");
    }
}
