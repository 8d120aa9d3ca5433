//! The tree of one YAML document, folded from the parser's events.
//!
//! granit-parser (the parser serde-saphyr is built on and re-exports) turns
//! the text into events that carry byte spans; this module stacks them into
//! [`Node`]s. Going through serde's data model instead cost twice what the
//! parse itself does, and `check` reads the whole playbook every time. What
//! serde-saphyr did besides parsing is done here as well:
//! - anchors and aliases, with a cap on what aliases may copy so that an
//!   alias bomb fails fast instead of eating memory;
//! - merge keys (`<<: *base`);
//! - one document per file.
//!
//! The parser itself caps nesting (255 levels of flow and of block
//! collections), so the tree never gets deep enough to overflow a stack.

use foldhash::{HashMap, HashSet};
use std::borrow::Cow;

use compact_str::CompactString;
use serde_saphyr::granit_parser::{self as granit, Event, Parser, ScalarStyle, ScanError, Tag};

use super::{Error, Key, Node, Span, Value, scalar};

/// Nodes that aliases may copy in one document, in all.
const MAX_REPLAYED: usize = 200_000;
/// Nodes in one document, keys and copies included. A playbook of 20,000
/// templated steps has about 400,000; a file of the largest size pplay
/// reads (4 MiB) written as `[a,a,...]` would have two million, some
/// 90 MiB as a tree.
const MAX_NODES: usize = 1_000_000;

/// Parses the one document in `src`; an empty text is a null.
pub(super) fn build(src: &str) -> Result<Node, Error> {
    let mut parser = Parser::new_from_str(src);
    let mut tree = Tree::default();
    while let Some(next) = parser.next_event() {
        let (event, mark) = next.map_err(scan_error)?;
        if tree.take(event, span_of(&mark))? {
            break;
        }
    }
    Ok(tree.root.unwrap_or(Node {
        value: Value::Null,
        span: Span::default(),
    }))
}

fn span_of(mark: &granit::Span) -> Span {
    let start = mark.start.byte_offset().unwrap_or(0);
    let end = mark.end.byte_offset().unwrap_or(start);
    Span::new(start, end.saturating_sub(start))
}

fn scan_error(e: ScanError) -> Error {
    Error {
        message: e.info(),
        offset: e.marker().byte_offset(),
    }
}

/// A collection whose end has not been read yet.
enum Open {
    Seq {
        head: Head,
        items: Vec<Node>,
    },
    Map {
        head: Head,
        entries: Vec<(Key, Node)>,
        /// The key read, waiting for its value.
        key: Option<Key>,
        /// Which entries are merge keys (`<<`, plain).
        merges: Vec<usize>,
    },
}

/// What a collection's start says about it.
struct Head {
    span: Span,
    flow: bool,
    anchor: usize,
}

#[derive(Default)]
struct Tree {
    open: Vec<Open>,
    /// Anchored nodes by the parser's anchor id, with their node counts.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    replayed: usize,
    root: Option<Node>,
}

impl Tree {
    /// Takes one event; `true` once the stream has ended.
    fn take(&mut self, event: Event<'_>, span: Span) -> Result<bool, Error> {
        match event {
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(..) if self.root.is_some() => {
                return Err(Error::at(
                    span,
                    "a playbook is one YAML document, and a second one starts here",
                ));
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag.as_deref(), span)?
            }
            Event::SequenceStart(style, anchor, _) => {
                let head = self.head(style, anchor, span)?;
                self.open.push(Open::Seq {
                    head,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(style, anchor, _) => {
                let head = self.head(style, anchor, span)?;
                self.open.push(Open::Map {
                    head,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::Alias(id) => self.alias(id, span)?,
            _ => {}
        }
        Ok(false)
    }

    /// A collection starts: one more node.
    fn head(
        &mut self,
        style: granit::StructureStyle,
        anchor: usize,
        span: Span,
    ) -> Result<Head, Error> {
        self.count(1, span)?;
        Ok(Head {
            span,
            flow: style == granit::StructureStyle::Flow,
            anchor,
        })
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), Error> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(Error::at(
                span,
                format!("the document has more than {MAX_NODES} nodes"),
            ));
        }
        Ok(())
    }

    /// A scalar in a key's place is the key, as written; anywhere else it
    /// is typed.
    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Error> {
        self.count(1, span)?;
        if let Some(Open::Map {
            entries,
            key: key @ None,
            merges,
            ..
        }) = self.open.last_mut()
        {
            if text == "<<" && style == ScalarStyle::Plain && tag.is_none() {
                merges.push(entries.len());
            }
            let name = CompactString::from(text);
            if anchor != 0 {
                let node = Node {
                    value: Value::Str(name.clone()),
                    span,
                };
                self.anchors.insert(anchor, (node, 1));
            }
            *key = Some(Key { name, span });
            return Ok(());
        }
        let value = scalar::typed(text, style, tag).map_err(|why| Error::at(span, why))?;
        self.place(Node { value, span }, anchor)
    }

    /// A finished node goes where the open collection wants it: the next
    /// item, a key, or the value of the key read last.
    fn place(&mut self, node: Node, anchor: usize) -> Result<(), Error> {
        if anchor != 0 {
            let n = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        match self.open.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(key_of(node)?),
            },
        }
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), Error> {
        let Some(open) = self.open.pop() else {
            return Ok(());
        };
        match open {
            Open::Seq { head, mut items } => {
                items.shrink_to_fit();
                let reach = items.first().map(|n| (n.span, items[items.len() - 1].span));
                let span = collection_span(&head, end, reach);
                self.place(
                    Node {
                        value: Value::Seq(items),
                        span,
                    },
                    head.anchor,
                )
            }
            Open::Map {
                head,
                mut entries,
                key,
                merges,
            } => {
                if let Some(k) = key {
                    let span = Span::new(k.span.end(), 0);
                    entries.push((
                        k,
                        Node {
                            value: Value::Null,
                            span,
                        },
                    ));
                }
                let reach = entries
                    .first()
                    .map(|(k, _)| (k.span, entries[entries.len() - 1].1.span));
                let span = collection_span(&head, end, reach);
                let mut entries = if merges.is_empty() {
                    entries
                } else {
                    merge(entries, &merges)?
                };
                entries.shrink_to_fit();
                self.place(
                    Node {
                        value: Value::Map(entries),
                        span,
                    },
                    head.anchor,
                )
            }
        }
    }

    /// An alias is a copy of its anchored node, spanning the alias.
    fn alias(&mut self, id: usize, span: Span) -> Result<(), Error> {
        let Some((node, n)) = self.anchors.get(&id) else {
            return Err(Error::at(span, "this alias names no anchor before it"));
        };
        let n = *n;
        self.replayed += n;
        if self.replayed > MAX_REPLAYED {
            return Err(Error::at(
                span,
                format!(
                    "alias replay limit exceeded: aliases may copy at most {MAX_REPLAYED} nodes in all"
                ),
            ));
        }
        let mut copy = node.clone();
        copy.span = span;
        self.count(n, span)?;
        self.place(copy, 0)
    }
}

/// Where a collection is in the text. A flow collection runs from its
/// opening to its closing bracket; a block one has no marks of its own and
/// covers its first key or item to its last value.
fn collection_span(head: &Head, end: Span, reach: Option<(Span, Span)>) -> Span {
    if head.flow {
        return Span::new(
            head.span.offset(),
            end.end().saturating_sub(head.span.offset()),
        );
    }
    match reach {
        Some((first, last)) => Span::new(first.offset(), last.end().saturating_sub(first.offset())),
        None => head.span,
    }
}

/// A node in a key's place that is no scalar written there: an alias, or a
/// collection (which a playbook never takes as a key).
fn key_of(node: Node) -> Result<Key, Error> {
    let name = match node.value {
        Value::Str(s) => s,
        Value::Null => CompactString::default(),
        Value::Bool(b) => CompactString::from(if b { "true" } else { "false" }),
        Value::Int(i) => CompactString::from(i.to_string()),
        Value::Float(f) => CompactString::from(f.to_string()),
        Value::Seq(_) | Value::Map(_) => {
            return Err(Error::at(node.span, "a mapping key must be a plain value"));
        }
    };
    Ok(Key {
        name,
        span: node.span,
    })
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| 1 + count_nodes(v)).sum(),
        _ => 0,
    }
}

/// The entries with each merge key replaced by the entries it merges: a
/// key written in the mapping wins over a merged one, and of two merged
/// mappings the first wins.
fn merge(entries: Vec<(Key, Node)>, merges: &[usize]) -> Result<Vec<(Key, Node)>, Error> {
    let mut seen: HashSet<CompactString> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !merges.contains(i))
        .map(|(_, (k, _))| k.name.clone())
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if !merges.contains(&i) {
            out.push((k, v));
            continue;
        }
        for (mk, mv) in merged(v)? {
            if seen.insert(mk.name.clone()) {
                out.push((mk, mv));
            }
        }
    }
    Ok(out)
}

/// What one merge key brings: a mapping's entries, or those of a list of
/// mappings in turn.
fn merged(value: Node) -> Result<Vec<(Key, Node)>, Error> {
    const WHAT: &str = "`<<` merges a mapping, or a list of mappings, into this one";
    match value.value {
        Value::Map(entries) => Ok(entries),
        Value::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                match item.value {
                    Value::Map(entries) => out.extend(entries),
                    _ => return Err(Error::at(item.span, WHAT)),
                }
            }
            Ok(out)
        }
        _ => Err(Error::at(value.span, WHAT)),
    }
}
