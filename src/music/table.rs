//! `csv(path)`: a pattern table kept as a CSV file beside the playbook, as
//! a list of mappings keyed by its header row. Read with the rules of an
//! include: inside the project's roots, a regular file of bounded size.

use std::path::{Path, PathBuf};

use minijinja::value::Value as MjValue;

/// The rows of the table at `path`, each a mapping in header order. A cell
/// that is a whole or decimal number is that number; any other is text.
/// `path` is relative to `dir`, and must be inside one of `roots`.
pub fn read(dir: &Path, roots: &[PathBuf], path: &str) -> Result<MjValue, String> {
    let full = dir.join(path);
    let key = crate::playbook::confined(&full, roots).map_err(|why| match why {
        crate::playbook::Refused::Missing => format!("cannot read {path}: no such file (a table's path is relative to the file that reads it)"),
        crate::playbook::Refused::Outside => format!(
            "`{path}` is outside the playbook's root: tables stay inside the project, as includes do (widen it with --include-root DIR)"
        ),
    })?;
    let text =
        crate::playbook::read_regular_file(&key).map_err(|e| format!("cannot read {path}: {e}"))?;
    parse(&text).map_err(|e| format!("{path}: {e}"))
}

/// The rows of a CSV text.
fn parse(text: &str) -> Result<MjValue, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_owned)
        .collect();
    if let Some(empty) = header.iter().position(String::is_empty) {
        return Err(format!(
            "column {} of the header row has no name",
            empty + 1
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let row = header
            .iter()
            .zip(record.iter())
            .map(|(k, cell)| (MjValue::from(k.as_str()), cell_value(cell)));
        rows.push(MjValue::from_iter(row));
    }
    Ok(MjValue::from(rows))
}

fn cell_value(cell: &str) -> MjValue {
    if let Ok(n) = cell.parse::<i64>() {
        return MjValue::from(n);
    }
    match cell.parse::<f64>() {
        Ok(x) if x.is_finite() && cell.contains('.') => MjValue::from(x),
        _ => MjValue::from(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_keyed_by_the_header_and_numbers_are_numbers() {
        let rows = parse("name, pitch, velocity\nKick, C1, 110\nHat,F#1,0.5\n").unwrap();
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"name": "Kick", "pitch": "C1", "velocity": 110},
                {"name": "Hat", "pitch": "F#1", "velocity": 0.5},
            ])
        );
        assert!(parse("a,b\n1,2,3\n").is_err());
        assert!(parse("a,,c\n").unwrap_err().contains("column 2"));
    }
}
