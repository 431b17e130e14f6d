//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0 over one element subtree,
//! with the enveloped-signature transform (XML-DSig §6.6.4) as an excluded element.
//!
//! The subtree is always a whole element minus (at most) one excluded descendant, so
//! the "nearest output ancestor" of every element is its parent in the subtree.

use super::xml::{Document, Element, Node, XML_NS};
use std::collections::{BTreeMap, HashMap, HashSet};

/// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`
pub const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// `…#WithComments` variant of [`C14N10`].
pub const C14N10_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// `http://www.w3.org/2001/10/xml-exc-c14n#`
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// `…#WithComments` variant of [`EXC_C14N`].
pub const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// A canonicalization method with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Canonical XML 1.0 (inclusive).
    Inclusive {
        /// Keep comments.
        with_comments: bool,
    },
    /// Exclusive XML Canonicalization 1.0.
    Exclusive {
        /// Keep comments.
        with_comments: bool,
        /// InclusiveNamespaces PrefixList; `#default` names the default namespace.
        inclusive_prefixes: Vec<String>,
    },
}

impl Method {
    /// The method named by an algorithm URI, or `None` if unsupported.
    pub fn from_uri(uri: &str, inclusive_prefixes: Vec<String>) -> Option<Self> {
        match uri {
            C14N10 => Some(Self::Inclusive {
                with_comments: false,
            }),
            C14N10_COMMENTS => Some(Self::Inclusive {
                with_comments: true,
            }),
            EXC_C14N => Some(Self::Exclusive {
                with_comments: false,
                inclusive_prefixes,
            }),
            EXC_C14N_COMMENTS => Some(Self::Exclusive {
                with_comments: true,
                inclusive_prefixes,
            }),
            _ => None,
        }
    }

    /// The same method with comments removed (XML-DSig §4.4.3.3: a bare `#id`
    /// reference yields a node-set without comments).
    pub fn without_comments(&self) -> Self {
        match self {
            Self::Inclusive { .. } => Self::Inclusive {
                with_comments: false,
            },
            Self::Exclusive {
                inclusive_prefixes, ..
            } => Self::Exclusive {
                with_comments: false,
                inclusive_prefixes: inclusive_prefixes.clone(),
            },
        }
    }
}

/// The apex element does not belong to the document it was passed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("element is not part of the document")]
pub struct NotInDocument;

/// Why [`canonicalize_within`] produced nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum C14nError {
    /// The apex element does not belong to the document.
    #[error("element is not part of the document")]
    NotInDocument,
    /// The canonical form would exceed the byte budget.
    #[error("canonical form larger than {limit} bytes")]
    TooLarge {
        /// The budget that was exceeded.
        limit: usize,
    },
}

/// The output budget for canonicalizing (part of) a document parsed from `source_len`
/// bytes. Honest input grows by at most ~6× (`"` in a single-quoted attribute value
/// becomes `&quot;`, `>` in text `&gt;`, `<a/>` becomes `<a></a>`). Exclusive C14N can
/// grow without that bound: every element re-renders the declarations of the prefixes
/// it uses that its parent did not use, so one long namespace URI used by thousands of
/// siblings is written thousands of times. This budget keeps that linear in the input.
pub fn budget_for(source_len: usize) -> usize {
    source_len.saturating_mul(6).saturating_add(64 * 1024)
}

/// [`canonicalize`], refusing to write more than `max_bytes`.
pub fn canonicalize_within(
    doc: &Document,
    apex: &Element,
    method: &Method,
    exclude: Option<&Element>,
    max_bytes: usize,
) -> Result<Vec<u8>, C14nError> {
    run(doc, apex, method, exclude, max_bytes)
}

/// Canonicalizes the subtree rooted at `apex` (a node of `doc`), leaving out the
/// element `exclude` and its subtree (enveloped-signature transform) if given.
pub fn canonicalize(
    doc: &Document,
    apex: &Element,
    method: &Method,
    exclude: Option<&Element>,
) -> Result<Vec<u8>, NotInDocument> {
    run(doc, apex, method, exclude, usize::MAX).map_err(|_| NotInDocument)
}

/// Cost: linear in the subtree. The namespaces in scope and the ones already rendered
/// live in one map each, changed on entry to an element and restored from an undo log
/// on exit (never copied per element: a copy per element makes c14n quadratic in the
/// declarations in scope, a classic XML-DSig denial of service). Below the apex only the
/// element's own declarations, its own prefixes and its attributes' prefixes can change
/// what must be rendered, so only those are looked at; the apex looks at every binding
/// in scope once (bounded by `xml::Limits::max_namespaces_in_scope`), and the output
/// stops at `max_bytes`.
fn run(
    doc: &Document,
    apex: &Element,
    method: &Method,
    exclude: Option<&Element>,
    max_bytes: usize,
) -> Result<Vec<u8>, C14nError> {
    let ancestors = doc.ancestors_of(apex).ok_or(C14nError::NotInDocument)?;
    let mut scope: HashMap<&str, &str> = HashMap::new();
    for d in doc.context_ns() {
        scope.insert(d.prefix.as_deref().unwrap_or_default(), d.uri.as_str());
    }
    // C14N 1.0 §2.4: xml:* attributes of omitted ancestors are inherited by the apex.
    let mut inherited_xml: BTreeMap<&str, &str> = BTreeMap::new();
    let mut checks = scope.len() as u64;
    for a in &ancestors {
        for d in a.ns_decls() {
            scope.insert(d.prefix.as_deref().unwrap_or_default(), d.uri.as_str());
        }
        checks += a.ns_decls().len() as u64;
        for attr in a.attributes() {
            if attr.ns.as_deref() == Some(XML_NS) {
                inherited_xml.insert(attr.local.as_str(), attr.value.as_str());
            }
        }
    }
    let (inclusive_prefixes, with_comments) = match method {
        Method::Inclusive { with_comments } => (None, *with_comments),
        Method::Exclusive {
            with_comments,
            inclusive_prefixes,
        } => (
            Some(
                inclusive_prefixes
                    .iter()
                    .map(|p| if p == "#default" { "" } else { p.as_str() })
                    .collect::<HashSet<&str>>(),
            ),
            *with_comments,
        ),
    };
    if matches!(method, Method::Exclusive { .. }) {
        inherited_xml.clear();
    }
    let mut c = Canon {
        inclusive_prefixes,
        with_comments,
        exclude,
        out: Vec::with_capacity(4096),
        scope,
        rendered: HashMap::new(),
        undo: Vec::new(),
        checks,
        max_bytes,
    };
    c.element(apex, true, &inherited_xml);
    let (bytes, checks) = (c.out.len() as u64, c.checks);
    crate::saml::work::add(|w| {
        w.canonical_bytes += bytes;
        w.ns_checks += checks;
    });
    if c.out.len() > max_bytes {
        return Err(C14nError::TooLarge { limit: max_bytes });
    }
    Ok(c.out)
}

/// One change to `Canon::scope` or `Canon::rendered`, with the value to restore.
enum Undo<'a> {
    Scope(&'a str, Option<&'a str>),
    Rendered(&'a str, Option<&'a str>),
}

struct Canon<'a> {
    /// `None` for inclusive C14N; the InclusiveNamespaces PrefixList for exclusive
    /// (`#default` stored as `""`).
    inclusive_prefixes: Option<HashSet<&'a str>>,
    with_comments: bool,
    exclude: Option<&'a Element>,
    out: Vec<u8>,
    /// Prefix (`""` = default) → URI in scope at the current element (`""` URI =
    /// undeclared default).
    scope: HashMap<&'a str, &'a str>,
    /// Prefix → URI as rendered by the output ancestors of the current element.
    rendered: HashMap<&'a str, &'a str>,
    undo: Vec<Undo<'a>>,
    /// Namespace bindings looked at (see `work::Work::ns_checks`).
    checks: u64,
    /// Output budget: past it, nothing more is written (the caller refuses).
    max_bytes: usize,
}

impl<'a> Canon<'a> {
    fn element(&mut self, el: &'a Element, apex: bool, inherited_xml: &BTreeMap<&'a str, &'a str>) {
        if self.out.len() > self.max_bytes {
            return;
        }
        let mark = self.undo.len();
        for d in el.ns_decls() {
            let p = d.prefix.as_deref().unwrap_or_default();
            let old = self.scope.insert(p, d.uri.as_str());
            self.undo.push(Undo::Scope(p, old));
        }

        // Which namespace declarations to emit (C14N 1.0 §2.3 / Exc-C14N §3): the
        // candidates whose in-scope value differs from what the output parent rendered.
        let mut candidates: Vec<&'a str> = Vec::new();
        let own = el
            .ns_decls()
            .iter()
            .map(|d| d.prefix.as_deref().unwrap_or_default());
        match &self.inclusive_prefixes {
            // The xml prefix is bound by definition and never rendered.
            None if apex => candidates.extend(self.scope.keys().copied()),
            None => candidates.extend(own),
            Some(inclusive) => {
                candidates.push(el.prefix().unwrap_or_default());
                candidates.extend(el.attributes().iter().filter_map(|a| a.prefix.as_deref()));
                if apex {
                    candidates.extend(
                        inclusive
                            .iter()
                            .copied()
                            .filter(|p| self.scope.contains_key(p)),
                    );
                } else {
                    candidates.extend(own.filter(|p| inclusive.contains(p)));
                }
            }
        }
        self.checks += (candidates.len() + el.ns_decls().len()) as u64;
        let mut emit: BTreeMap<&'a str, &'a str> = BTreeMap::new();
        for p in candidates {
            if p == "xml" {
                continue;
            }
            let uri = self.scope.get(p).copied().unwrap_or_default();
            let parent = self.rendered.get(p).copied();
            let needed = if p.is_empty() && uri.is_empty() {
                // xmlns="" only undoes a non-empty default an output ancestor rendered.
                parent.is_some_and(|u| !u.is_empty())
            } else {
                parent != Some(uri)
            };
            if needed {
                emit.insert(p, uri);
            }
        }
        for (&p, &uri) in &emit {
            let old = self.rendered.insert(p, uri);
            self.undo.push(Undo::Rendered(p, old));
        }

        self.out.push(b'<');
        self.qname(el.prefix(), el.local_name());
        for (p, uri) in &emit {
            if p.is_empty() {
                self.out.extend_from_slice(b" xmlns=\"");
            } else {
                self.out.extend_from_slice(b" xmlns:");
                self.out.extend_from_slice(p.as_bytes());
                self.out.extend_from_slice(b"=\"");
            }
            escape_attr(uri, &mut self.out);
            self.out.push(b'"');
        }
        // Attributes sorted by namespace URI (none first), then local name (C14N §2.2).
        let mut attrs: Vec<(&str, &str, Option<&str>, &str)> = el
            .attributes()
            .iter()
            .map(|a| {
                (
                    a.ns.as_deref().unwrap_or_default(),
                    a.local.as_str(),
                    a.prefix.as_deref(),
                    a.value.as_str(),
                )
            })
            .collect();
        for (&local, &value) in inherited_xml {
            if !attrs.iter().any(|a| a.0 == XML_NS && a.1 == local) {
                attrs.push((XML_NS, local, Some("xml"), value));
            }
        }
        attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, local, prefix, value) in attrs {
            self.out.push(b' ');
            self.qname(prefix, local);
            self.out.extend_from_slice(b"=\"");
            escape_attr(value, &mut self.out);
            self.out.push(b'"');
        }
        self.out.push(b'>');

        let no_inherit = BTreeMap::new();
        for child in el.children() {
            match child {
                Node::Element(e) => {
                    if self.exclude.is_some_and(|x| std::ptr::eq(x, e)) {
                        continue;
                    }
                    self.element(e, false, &no_inherit);
                }
                Node::Text(t) => escape_text(t, &mut self.out),
                Node::Comment(c) => {
                    if self.with_comments {
                        self.out.extend_from_slice(b"<!--");
                        self.out.extend_from_slice(c.as_bytes());
                        self.out.extend_from_slice(b"-->");
                    }
                }
                Node::Pi { target, data } => {
                    self.out.extend_from_slice(b"<?");
                    self.out.extend_from_slice(target.as_bytes());
                    if !data.is_empty() {
                        self.out.push(b' ');
                        self.out.extend_from_slice(data.as_bytes());
                    }
                    self.out.extend_from_slice(b"?>");
                }
            }
        }
        self.out.extend_from_slice(b"</");
        self.qname(el.prefix(), el.local_name());
        self.out.push(b'>');

        while self.undo.len() > mark {
            match self.undo.pop() {
                Some(Undo::Scope(p, old)) => restore(&mut self.scope, p, old),
                Some(Undo::Rendered(p, old)) => restore(&mut self.rendered, p, old),
                None => break,
            }
        }
    }

    fn qname(&mut self, prefix: Option<&str>, local: &str) {
        if let Some(p) = prefix {
            self.out.extend_from_slice(p.as_bytes());
            self.out.push(b':');
        }
        self.out.extend_from_slice(local.as_bytes());
    }
}

fn restore<'a>(map: &mut HashMap<&'a str, &'a str>, p: &'a str, old: Option<&'a str>) {
    match old {
        Some(v) => map.insert(p, v),
        None => map.remove(p),
    };
}

/// Text node escaping (C14N 1.0 §2.3, "Text Nodes").
fn escape_text(s: &str, out: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}

/// Attribute value escaping (C14N 1.0 §2.3, "Attribute Nodes").
fn escape_attr(s: &str, out: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}
