//! Which Producer Pal a command talks to, and the client that talks to it.

use minijinja::Environment;

use super::Source;
use super::failure::Failure;
use crate::check::Loaded;
use crate::client::{Client, check_base_url};
use crate::diagnostic::Diagnostic;
use crate::protocol::{DEFAULT_URL, Profile};

/// `--url` (or `PPAL_URL`), else the default address; a `--url` that is not
/// an http(s) URL with a host is invalid input.
pub fn of_source(source: &Source) -> Result<String, Failure> {
    given(source).map_err(Failure::Invalid)
}

fn given(source: &Source) -> Result<String, String> {
    match &source.url {
        Some(u) => check_base_url(u)
            .map(|()| u.clone())
            .map_err(|e| format!("--url (or PPAL_URL): {e}")),
        None => Ok(DEFAULT_URL.to_owned()),
    }
}

/// The request profile: the playbook's `producerPal:` (when there is a
/// playbook), each setting overridden by its flag.
pub fn profile(source: &Source, playbook: Option<&Profile>) -> Profile {
    let flags = source.profile.profile();
    playbook.map_or_else(|| flags.clone(), |p| p.overridden_by(&flags))
}

/// The client for `url`, with the command line's reply cap and the request
/// [`profile`].
pub fn client(source: &Source, url: &str, playbook: Option<&Profile>) -> Client {
    Client::new(url)
        .with_max_reply(source.max_reply_bytes)
        .with_profile(&profile(source, playbook))
}

/// The client for [`of_source`], with the flags' profile.
pub fn client_of_source(source: &Source) -> Result<Client, Failure> {
    Ok(client(source, &of_source(source)?, None))
}

/// `--url` (or `PPAL_URL`), then the playbook's `url` (rendered with its
/// vars, and checked where it is written), then the default address.
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
    given(source).map_err(|e| {
        vec![
            Diagnostic::error("pplay::url", e)
                .help("write an address such as http://localhost:3350"),
        ]
    })
}
