//! quick-xml events → owned [`Document`], with namespace resolution and hard limits.
//!
//! DOCTYPE (and therefore every entity declaration: XXE, billion laughs) is refused
//! outright; only the five predefined entities and character references are expanded.

use super::{Attribute, Document, Element, Node, NsDecl, XML_NS};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;

const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Hard ceiling on [`Limits::max_depth`], whatever the configuration says.
pub const MAX_DEPTH_CAP: usize = 256;

/// Resource limits applied while parsing untrusted XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth (root = 1); capped at [`MAX_DEPTH_CAP`] because
    /// canonicalization and tree drop recurse once per level.
    pub max_depth: usize,
    /// Maximum attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Maximum number of elements in the document.
    pub max_elements: usize,
    /// Maximum distinct namespace prefixes in scope at any element (the default
    /// namespace counts as one). Inclusive C14N renders every one of them on the apex,
    /// so this bounds what one element can cost; real SAML has fewer than 15.
    pub max_namespaces_in_scope: usize,
    /// Maximum namespace declarations in the whole document (Okta writes two on every
    /// AttributeValue, so this is generous).
    pub max_namespace_decls: usize,
}

impl Default for Limits {
    /// Generous for real SAML responses (a few KB to a few hundred KB).
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_attributes: 64,
            max_elements: 20_000,
            max_namespaces_in_scope: 64,
            max_namespace_decls: 4_096,
        }
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Input larger than [`Limits::max_bytes`].
    #[error("document larger than {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("element nesting deeper than {limit}")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More attributes on one element than [`Limits::max_attributes`].
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More elements than [`Limits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More namespace prefixes in scope than [`Limits::max_namespaces_in_scope`], or more
    /// declarations in the document than [`Limits::max_namespace_decls`].
    #[error("more than {limit} namespace declarations")]
    TooManyNamespaces {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A `<!DOCTYPE …>` was present (entity declarations are never processed).
    #[error("DOCTYPE is not allowed")]
    DoctypeForbidden,
    /// A reference to an entity other than the five predefined ones.
    #[error("unknown entity reference")]
    UnknownEntity,
    /// An element or attribute prefix with no in-scope declaration.
    #[error("undeclared namespace prefix")]
    UndeclaredPrefix,
    /// A namespace declaration that Namespaces in XML 1.0 forbids.
    #[error("invalid namespace declaration")]
    InvalidNamespaceDecl,
    /// Two attributes with the same expanded name on one element.
    #[error("duplicate attribute")]
    DuplicateAttribute,
    /// No root element.
    #[error("no root element")]
    NoRoot,
    /// Content (element or non-whitespace text) after/before the root element.
    #[error("content outside the root element")]
    ContentOutsideRoot,
    /// The XML declaration names an encoding other than UTF-8.
    #[error("unsupported encoding")]
    UnsupportedEncoding,
    /// Any other well-formedness error reported by the tokenizer.
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// Parses untrusted UTF-8 `input` into a [`Document`], enforcing `limits`.
pub fn parse(input: &str, limits: &Limits) -> Result<Document, XmlError> {
    parse_in_context(input, limits, &[])
}

/// Parses a fragment that was cut out of a larger document (a decrypted
/// EncryptedAssertion, XML Encryption §4.2) with `context` as the namespaces in scope
/// around it, so prefixes declared on the original ancestors still resolve.
pub fn parse_in_context(
    input: &str,
    limits: &Limits,
    context: &[NsDecl],
) -> Result<Document, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    // XML 1.0 §2.11: CRLF and lone CR become LF before anything else sees the text.
    let normalized;
    let input = if input.contains('\r') {
        normalized = input.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        input
    };
    let mut reader = Reader::from_str(input);
    let cfg = reader.config_mut();
    cfg.trim_text(false);
    cfg.check_comments = true;
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;

    crate::saml::work::add(|w| w.parses += 1);
    let mut b = Builder {
        limits,
        stack: Vec::new(),
        bindings: HashMap::new(),
        undo: Vec::new(),
        frames: Vec::new(),
        root: None,
        elements: 0,
        decls: 0,
    };
    for d in context {
        b.bindings
            .insert(d.prefix.clone().unwrap_or_default(), d.uri.clone());
    }
    if b.bindings.len() > limits.max_namespaces_in_scope {
        return Err(XmlError::TooManyNamespaces {
            limit: limits.max_namespaces_in_scope,
        });
    }
    loop {
        let ev = reader.read_event().map_err(malformed)?;
        match ev {
            Event::Eof => break,
            Event::DocType(_) => return Err(XmlError::DoctypeForbidden),
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(malformed)?;
                    if !enc.eq_ignore_ascii_case(b"utf-8") {
                        return Err(XmlError::UnsupportedEncoding);
                    }
                }
            }
            Event::Start(s) => b.start(&s)?,
            Event::Empty(s) => {
                b.start(&s)?;
                b.end()?;
            }
            Event::End(_) => b.end()?,
            Event::Text(t) => b.text(&t.decode().map_err(malformed)?)?,
            Event::CData(c) => b.text(&c.decode().map_err(malformed)?)?,
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => predefined(&r.decode().map_err(malformed)?)?,
                };
                b.text(ch.encode_utf8(&mut [0u8; 4]))?;
            }
            Event::Comment(c) => {
                b.other(Node::Comment(c.decode().map_err(malformed)?.into_owned()))
            }
            Event::PI(p) => {
                let target = String::from_utf8(p.target().to_vec()).map_err(malformed)?;
                let data = String::from_utf8(p.content().to_vec()).map_err(malformed)?;
                // XML 1.0 §2.6: whitespace separating target and data is not data.
                let data = data.trim_start().to_owned();
                b.other(Node::Pi { target, data });
            }
        }
    }
    if !b.stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    let elements = b.elements as u64;
    crate::saml::work::add(|w| w.parsed_elements += elements);
    b.root
        .map(|r| Document::new(r, context.to_vec(), input.len()))
        .ok_or(XmlError::NoRoot)
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// The five predefined entities (XML 1.0 §4.6); anything else is refused.
fn predefined(name: &str) -> Result<char, XmlError> {
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(XmlError::UnknownEntity),
    }
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Element>,
    /// Prefix (`""` = default) → URI in scope at the current element. One map for the
    /// whole document, changed on entry and restored on exit from `undo`, so a lookup is
    /// O(1) whatever the depth or the number of declarations (a stack of scopes searched
    /// innermost-first is O(declarations in scope) per name).
    bindings: HashMap<String, String>,
    /// Previous binding of each prefix an open element (re)declared.
    undo: Vec<(String, Option<String>)>,
    /// `undo.len()` when each open element started.
    frames: Vec<usize>,
    root: Option<Element>,
    elements: usize,
    /// Namespace declarations seen so far in the document.
    decls: usize,
}

impl Builder<'_> {
    fn resolve(&self, prefix: Option<&str>) -> Result<Option<String>, XmlError> {
        if prefix == Some("xml") {
            return Ok(Some(XML_NS.to_owned()));
        }
        match self.bindings.get(prefix.unwrap_or_default()) {
            Some(uri) => Ok((!uri.is_empty()).then(|| uri.clone())),
            None if prefix.is_none() => Ok(None),
            None => Err(XmlError::UndeclaredPrefix),
        }
    }

    /// Puts this element's declarations in scope (undone by [`Builder::end`]).
    fn declare(&mut self, decls: &[NsDecl]) -> Result<(), XmlError> {
        self.frames.push(self.undo.len());
        self.decls += decls.len();
        if self.decls > self.limits.max_namespace_decls {
            return Err(XmlError::TooManyNamespaces {
                limit: self.limits.max_namespace_decls,
            });
        }
        for d in decls {
            let key = d.prefix.clone().unwrap_or_default();
            let old = self.bindings.insert(key.clone(), d.uri.clone());
            self.undo.push((key, old));
        }
        if self.bindings.len() > self.limits.max_namespaces_in_scope {
            return Err(XmlError::TooManyNamespaces {
                limit: self.limits.max_namespaces_in_scope,
            });
        }
        Ok(())
    }

    fn start(&mut self, s: &BytesStart<'_>) -> Result<(), XmlError> {
        if self.root.is_some() {
            return Err(XmlError::ContentOutsideRoot);
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        let max_depth = self.limits.max_depth.min(MAX_DEPTH_CAP);
        if self.stack.len() + 1 > max_depth {
            return Err(XmlError::TooDeep { limit: max_depth });
        }
        let mut decls = Vec::new();
        let mut raw_attrs: Vec<(Option<String>, String, String)> = Vec::new();
        for (n, attr) in s.attributes().with_checks(true).enumerate() {
            if n >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            let attr = attr.map_err(|e| match e {
                quick_xml::events::attributes::AttrError::Duplicated(..) => {
                    XmlError::DuplicateAttribute
                }
                other => malformed(other),
            })?;
            let qname = std::str::from_utf8(attr.key.as_ref()).map_err(malformed)?;
            let raw = std::str::from_utf8(&attr.value).map_err(malformed)?;
            let value = normalize_attr_value(raw)?;
            let (prefix, local) = split_qname(qname)?;
            match (prefix, local) {
                (None, "xmlns") => decls.push(NsDecl {
                    prefix: None,
                    uri: value,
                }),
                (Some("xmlns"), p) => {
                    // Namespaces in XML 1.0 §3: `xmlns` may not be bound, `xml` only to
                    // its own URI, and a prefix may not be undeclared in XML 1.0.
                    let bad = p == "xmlns"
                        || value.is_empty()
                        || (p == "xml") != (value == XML_NS)
                        || value == XMLNS_NS;
                    if bad {
                        return Err(XmlError::InvalidNamespaceDecl);
                    }
                    decls.push(NsDecl {
                        prefix: Some(p.to_owned()),
                        uri: value,
                    });
                }
                (p, l) => raw_attrs.push((p.map(str::to_owned), l.to_owned(), value)),
            }
        }
        if decls
            .iter()
            .any(|d| d.prefix.is_none() && (d.uri == XML_NS || d.uri == XMLNS_NS))
        {
            return Err(XmlError::InvalidNamespaceDecl);
        }
        self.declare(&decls)?;
        let name = s.name();
        let qname = std::str::from_utf8(name.as_ref()).map_err(malformed)?;
        let (prefix, local) = split_qname(qname)?;
        let ns = self.resolve(prefix)?;
        let mut attrs: Vec<Attribute> = Vec::with_capacity(raw_attrs.len());
        for (p, local, value) in raw_attrs {
            let ans = match &p {
                None => None,
                Some(p) => self.resolve(Some(p))?,
            };
            // Namespaces in XML 1.0 §6.3: no two attributes with the same expanded name.
            if attrs.iter().any(|a| a.ns == ans && a.local == local) {
                return Err(XmlError::DuplicateAttribute);
            }
            attrs.push(Attribute {
                prefix: p,
                local,
                ns: ans,
                value,
            });
        }
        self.stack.push(Element {
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            ns,
            ns_decls: decls,
            attrs,
            children: Vec::new(),
        });
        Ok(())
    }

    fn end(&mut self) -> Result<(), XmlError> {
        let mark = self.frames.pop().unwrap_or_default();
        while self.undo.len() > mark {
            if let Some((key, old)) = self.undo.pop() {
                match old {
                    Some(uri) => self.bindings.insert(key, uri),
                    None => self.bindings.remove(&key),
                };
            }
        }
        let el = self
            .stack
            .pop()
            .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(el)),
            None => self.root = Some(el),
        }
        Ok(())
    }

    fn text(&mut self, t: &str) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(parent) => {
                if let Some(Node::Text(prev)) = parent.children.last_mut() {
                    prev.push_str(t);
                } else {
                    parent.children.push(Node::Text(t.to_owned()));
                }
                Ok(())
            }
            None if t.chars().all(|c| matches!(c, ' ' | '\t' | '\n')) => Ok(()),
            None => Err(XmlError::ContentOutsideRoot),
        }
    }

    fn other(&mut self, node: Node) {
        // Prolog/epilog comments and PIs are not part of any signed subtree: drop them.
        if let Some(parent) = self.stack.last_mut() {
            parent.children.push(node);
        }
    }
}

fn split_qname(qname: &str) -> Result<(Option<&str>, &str), XmlError> {
    match qname.split_once(':') {
        None if !qname.is_empty() => Ok((None, qname)),
        Some((p, l)) if !p.is_empty() && !l.is_empty() && !l.contains(':') => Ok((Some(p), l)),
        _ => Err(XmlError::Malformed("invalid qualified name".into())),
    }
}

/// XML 1.0 §3.3.3: literal whitespace becomes a space, then references are expanded
/// (so `&#xA;` survives as a newline while a literal newline does not).
fn normalize_attr_value(raw: &str) -> Result<String, XmlError> {
    if raw.contains('<') {
        return Err(XmlError::Malformed("'<' in attribute value".into()));
    }
    let spaced: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    match quick_xml::escape::unescape(&spaced) {
        Ok(v) => Ok(v.into_owned()),
        Err(quick_xml::escape::EscapeError::UnrecognizedEntity(..)) => Err(XmlError::UnknownEntity),
        Err(e) => Err(malformed(e)),
    }
}
