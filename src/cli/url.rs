//! Which Producer Pal a command talks to.

use minijinja::Environment;

use super::Source;
use crate::check::Loaded;
use crate::diagnostic::Diagnostic;
use crate::protocol::DEFAULT_URL;

/// `--url` (or `PPAL_URL`), else the default address.
pub fn of_source(source: &Source) -> String {
    source.url.clone().unwrap_or_else(|| DEFAULT_URL.to_owned())
}

/// `--url` (or `PPAL_URL`), then the playbook's `url` (rendered with its
/// vars), then the default address.
pub fn for_playbook<'s>(
    source: &Source,
    loaded: &Loaded<'s>,
    env: &Environment<'s>,
) -> Result<String, Vec<Diagnostic>> {
    if source.url.is_none()
        && let Some(u) = loaded.url(env)?
    {
        return Ok(u);
    }
    Ok(of_source(source))
}
