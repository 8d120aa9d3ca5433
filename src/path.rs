//! Producer Pal 2.x's path grammar: how a call names one object of the Live
//! Set in a single string, counting from 0.
//!
//! `t2` a track, `rt0` a return track, `mt` the main track, `s1` a scene,
//! `t2/s1` a session clip slot, `t2/l0` a take lane, `t2/d0` a device (with
//! `/c1/d0` into a rack's chains), `t2[5|1]` an arrangement position (also on
//! a lane: `t2/l0[5|1]`), `[5|1]` or `[loc:Chorus]` a bare position,
//! `t+` / `rt+` / `l+` a new one appended. Several targets are
//! comma-separated (`t0/s0,t1/s0`).
//!
//! The simulator and anything that rewrites 1.4 arguments parse paths here,
//! and [`Path`]'s `Display` writes them back the same way.

use std::fmt;

/// A position in a collection, or a new one appended (`+`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    At(usize),
    New,
}

/// Which track a path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackRef {
    /// `t2`, `t+`
    Track(Index),
    /// `rt0`, `rt+`
    Return(Index),
    /// `mt`
    Main,
}

/// A time on the arrangement: `5|1` (bar|beat, from 1) or a locator by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Time {
    BarBeat { bar: u32, beat: f64 },
    Locator(String),
}

/// One step inside a device: into a chain, a device in it, or a drum pad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStep {
    Chain(usize),
    /// A rack's return chain, `rc0`.
    ReturnChain(usize),
    Device(usize),
    Pad(String),
}

/// One object named by a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Path {
    Track(TrackRef),
    /// `s2`, `s+` (a new scene at the end)
    Scene(Index),
    Slot {
        track: usize,
        scene: usize,
    },
    Lane {
        track: TrackRef,
        lane: Index,
    },
    /// A position on a track's arrangement, on its main lane or a take lane.
    Arrangement {
        track: TrackRef,
        lane: Option<Index>,
        at: Time,
    },
    /// A device on a track (`d0`), and where inside it (`/c1/d0`, `/pC1`).
    Device {
        track: TrackRef,
        device: usize,
        inner: Vec<DeviceStep>,
    },
    /// A bare position, for moving something along its own track.
    At(Time),
}

/// Why a path does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path '{text}': {reason}")]
pub struct PathError {
    pub text: String,
    pub reason: String,
}

fn fail<T>(text: &str, reason: impl Into<String>) -> Result<T, PathError> {
    Err(PathError {
        text: text.to_owned(),
        reason: reason.into(),
    })
}

/// Parses one path.
pub fn parse(text: &str) -> Result<Path, PathError> {
    let t = text.trim();
    if t.is_empty() {
        return fail(text, "it is blank");
    }
    let (body, at) = match t.find('[') {
        Some(open) => {
            let Some(inner) = t[open..]
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
            else {
                return fail(text, "a position is written [bar|beat] at the end");
            };
            (
                &t[..open],
                Some(parse_time(inner).map_err(|r| err(text, r))?),
            )
        }
        None => (t, None),
    };
    if body.is_empty() {
        return match at {
            Some(at) => Ok(Path::At(at)),
            None => fail(text, "it is blank"),
        };
    }
    let mut parts = body.split('/');
    let head = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let path = if let Some(n) = head.strip_prefix('s') {
        if !rest.is_empty() {
            return fail(text, "a scene path has nothing after it");
        }
        Path::Scene(index(n).ok_or_else(|| err(text, "a scene is s<n>, or s+ for a new one"))?)
    } else {
        let track = track_ref(head).ok_or_else(|| {
            err(
                text,
                "a path starts with t<n>, rt<n>, mt, s<n> or a [position]",
            )
        })?;
        after_track(text, track, &rest)?
    };
    match (path, at) {
        (p, None) => Ok(p),
        (Path::Track(track), Some(at)) => Ok(Path::Arrangement {
            track,
            lane: None,
            at,
        }),
        (Path::Lane { track, lane }, Some(at)) => Ok(Path::Arrangement {
            track,
            lane: Some(lane),
            at,
        }),
        _ => fail(text, "only a track or a take lane takes a [position]"),
    }
}

/// Parses comma-separated paths (`t0/s0,t1/s0`), in order.
pub fn parse_list(text: &str) -> Result<Vec<Path>, PathError> {
    split_list(text).into_iter().map(parse).collect()
}

/// The first target of an object-path argument (`tool`'s `path` or
/// `toPath`) that does not parse, trimmed, with why. The Live API tool's
/// `path` is Live's own object path, which this grammar does not read.
pub fn first_bad_target<'t>(tool: &str, key: &str, text: &'t str) -> Option<(&'t str, PathError)> {
    if tool == crate::protocol::LIVE_API_TOOL || !matches!(key, "path" | "toPath") {
        return None;
    }
    split_list(text)
        .into_iter()
        .find_map(|item| Some((item.trim(), parse(item).err()?)))
}

/// Splits on the commas that separate targets, not those inside `[...]`.
pub fn split_list(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn err(text: &str, reason: impl Into<String>) -> PathError {
    PathError {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

fn number(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn index(s: &str) -> Option<Index> {
    if s == "+" {
        Some(Index::New)
    } else {
        number(s).map(Index::At)
    }
}

fn track_ref(head: &str) -> Option<TrackRef> {
    if head == "mt" {
        Some(TrackRef::Main)
    } else if let Some(n) = head.strip_prefix("rt") {
        index(n).map(TrackRef::Return)
    } else {
        head.strip_prefix('t').and_then(index).map(TrackRef::Track)
    }
}

fn after_track(text: &str, track: TrackRef, rest: &[&str]) -> Result<Path, PathError> {
    let Some((first, more)) = rest.split_first() else {
        return Ok(Path::Track(track));
    };
    if let Some(n) = first.strip_prefix('s') {
        let scene = number(n).ok_or_else(|| err(text, "a slot is t<n>/s<n>"))?;
        return match (track, more.is_empty()) {
            (TrackRef::Track(Index::At(track)), true) => Ok(Path::Slot { track, scene }),
            _ => fail(text, "a session slot is t<n>/s<n> on a regular track"),
        };
    }
    if let Some(n) = first.strip_prefix('l') {
        let lane = index(n).ok_or_else(|| err(text, "a take lane is l<n> or l+"))?;
        if !more.is_empty() {
            return fail(text, "a take lane path has nothing after it");
        }
        return Ok(Path::Lane { track, lane });
    }
    if let Some(n) = first.strip_prefix('d') {
        let device = number(n).ok_or_else(|| err(text, "a device is d<n>"))?;
        let inner = more
            .iter()
            .map(|seg| {
                device_step(seg).ok_or_else(|| {
                    err(text, format!("'{seg}' is not c<n>, rc<n>, d<n> or p<note>"))
                })
            })
            .collect::<Result<_, _>>()?;
        return Ok(Path::Device {
            track,
            device,
            inner,
        });
    }
    fail(
        text,
        format!("'{first}' is not s<n>, l<n> or d<n> after a track"),
    )
}

fn device_step(seg: &str) -> Option<DeviceStep> {
    if let Some(n) = seg.strip_prefix("rc") {
        number(n).map(DeviceStep::ReturnChain)
    } else if let Some(n) = seg.strip_prefix('c') {
        number(n).map(DeviceStep::Chain)
    } else if let Some(n) = seg.strip_prefix('d') {
        number(n).map(DeviceStep::Device)
    } else {
        seg.strip_prefix('p')
            .filter(|p| !p.is_empty())
            .map(|p| DeviceStep::Pad(p.to_owned()))
    }
}

/// Parses a time: `bar|beat` (both from 1, the beat may be fractional) or
/// `loc:Name`.
pub fn parse_time(text: &str) -> Result<Time, String> {
    let t = text.trim();
    if let Some(name) = t.strip_prefix("loc:") {
        if name.trim().is_empty() {
            return Err("a locator is loc:<name>".into());
        }
        return Ok(Time::Locator(name.to_owned()));
    }
    let bad = || format!("'{t}' is not bar|beat (counting from 1) or loc:<name>");
    let (bar, beat) = t.split_once('|').ok_or_else(bad)?;
    let bar = number(bar)
        .and_then(|b| u32::try_from(b).ok())
        .filter(|b| *b >= 1)
        .ok_or_else(bad)?;
    let beat = Some(beat)
        .filter(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit() || c == b'.'))
        .and_then(|b| b.parse::<f64>().ok())
        .filter(|b| *b >= 1.0 && b.is_finite())
        .ok_or_else(bad)?;
    Ok(Time::BarBeat { bar, beat })
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::At(n) => write!(f, "{n}"),
            Index::New => f.write_str("+"),
        }
    }
}

impl fmt::Display for TrackRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackRef::Track(i) => write!(f, "t{i}"),
            TrackRef::Return(i) => write!(f, "rt{i}"),
            TrackRef::Main => f.write_str("mt"),
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Time::BarBeat { bar, beat } => write!(f, "{bar}|{beat}"),
            Time::Locator(name) => write!(f, "loc:{name}"),
        }
    }
}

impl fmt::Display for DeviceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceStep::Chain(n) => write!(f, "c{n}"),
            DeviceStep::ReturnChain(n) => write!(f, "rc{n}"),
            DeviceStep::Device(n) => write!(f, "d{n}"),
            DeviceStep::Pad(p) => write!(f, "p{p}"),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Track(t) => write!(f, "{t}"),
            Path::Scene(s) => write!(f, "s{s}"),
            Path::Slot { track, scene } => write!(f, "t{track}/s{scene}"),
            Path::Lane { track, lane } => write!(f, "{track}/l{lane}"),
            Path::Arrangement { track, lane, at } => match lane {
                Some(l) => write!(f, "{track}/l{l}[{at}]"),
                None => write!(f, "{track}[{at}]"),
            },
            Path::Device {
                track,
                device,
                inner,
            } => {
                write!(f, "{track}/d{device}")?;
                inner.iter().try_for_each(|s| write!(f, "/{s}"))
            }
            Path::At(at) => write!(f, "[{at}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_round_trips() {
        for text in [
            "t2",
            "rt0",
            "mt",
            "s1",
            "s+",
            "t2/s1",
            "t2[5|1]",
            "t2[5|2.5]",
            "t2/l0",
            "t2/l+",
            "t2/l0[9|1]",
            "t2/d0",
            "rt1/d0/c1/d2",
            "t0/d0/pC1",
            "t1/d0/rc0",
            "mt/d3",
            "t+",
            "rt+",
            "[49|1]",
            "[loc:Chorus]",
            "t2[loc:Verse]",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn reads_the_parts() {
        assert_eq!(parse("t2/s1").unwrap(), Path::Slot { track: 2, scene: 1 });
        assert_eq!(parse(" mt ").unwrap(), Path::Track(TrackRef::Main));
        assert_eq!(
            parse("t1[33|1]").unwrap(),
            Path::Arrangement {
                track: TrackRef::Track(Index::At(1)),
                lane: None,
                at: Time::BarBeat { bar: 33, beat: 1.0 }
            }
        );
        assert_eq!(
            parse("[loc:Big Drop]").unwrap(),
            Path::At(Time::Locator("Big Drop".into()))
        );
    }

    #[test]
    fn lists_split_outside_brackets() {
        let l = parse_list("t1[33|1],t1[37|1], t0/s0").unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[2].to_string(), "t0/s0");
    }

    #[test]
    fn refuses_what_is_not_a_path() {
        for bad in [
            "",
            " ",
            "0/1",
            "t",
            "t-1",
            "tx",
            "s",
            "s++",
            "t0/s",
            "rt0/s1",
            "t+/s0",
            "t0/x1",
            "t0[0|1]",
            "t0[5]",
            "t0[5|0]",
            "t0[loc:]",
            "t0/s1[5|1]",
            "t0[5|1",
            "s1/s2",
            "t0/l0/d0",
            "t0/d0/x",
            "1|1",
            "Bass",
            "#FF0000",
            "a,b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse_list("t0,").is_err(), "an empty target in a list");
    }
}
