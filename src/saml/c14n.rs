//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0 over one element subtree,
//! with the enveloped-signature transform (XML-DSig §6.6.4) as an excluded element.
//!
//! The subtree is always a whole element minus (at most) one excluded descendant, so
//! the "nearest output ancestor" of every element is its parent in the subtree.

use super::xml::{Document, Element, Node, XML_NS};
use std::collections::BTreeMap;

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

/// Prefix → URI; the default namespace is the empty prefix, `""` URI = undeclared.
type NsMap = BTreeMap<String, String>;

/// Canonicalizes the subtree rooted at `apex` (a node of `doc`), leaving out the
/// element `exclude` and its subtree (enveloped-signature transform) if given.
pub fn canonicalize(
    doc: &Document,
    apex: &Element,
    method: &Method,
    exclude: Option<&Element>,
) -> Result<Vec<u8>, NotInDocument> {
    let ancestors = doc.ancestors_of(apex).ok_or(NotInDocument)?;
    let mut in_scope = NsMap::new();
    for d in doc.context_ns() {
        in_scope.insert(d.prefix.clone().unwrap_or_default(), d.uri.clone());
    }
    // C14N 1.0 §2.4: xml:* attributes of omitted ancestors are inherited by the apex.
    let mut inherited_xml: BTreeMap<String, String> = BTreeMap::new();
    for a in &ancestors {
        apply_decls(&mut in_scope, a);
        for attr in a.attributes() {
            if attr.ns.as_deref() == Some(XML_NS) {
                inherited_xml.insert(attr.local.clone(), attr.value.clone());
            }
        }
    }
    let mut c = Canon {
        method,
        exclude,
        out: Vec::with_capacity(4096),
    };
    let inherited = match method {
        Method::Inclusive { .. } => inherited_xml,
        Method::Exclusive { .. } => BTreeMap::new(),
    };
    c.element(apex, &in_scope, &NsMap::new(), &inherited);
    Ok(c.out)
}

fn apply_decls(scope: &mut NsMap, el: &Element) {
    for d in el.ns_decls() {
        scope.insert(d.prefix.clone().unwrap_or_default(), d.uri.clone());
    }
}

struct Canon<'m, 'x> {
    method: &'m Method,
    exclude: Option<&'x Element>,
    out: Vec<u8>,
}

impl Canon<'_, '_> {
    fn element(
        &mut self,
        el: &Element,
        parent_scope: &NsMap,
        parent_rendered: &NsMap,
        inherited_xml: &BTreeMap<String, String>,
    ) {
        let mut scope = parent_scope.clone();
        apply_decls(&mut scope, el);

        // Which namespace declarations to emit (C14N 1.0 §2.3 / Exc-C14N §3).
        let candidates: Vec<String> = match self.method {
            // The xml prefix is bound by definition and never rendered.
            Method::Inclusive { .. } => scope.keys().filter(|p| *p != "xml").cloned().collect(),
            Method::Exclusive {
                inclusive_prefixes, ..
            } => {
                let mut c = vec![el.prefix().unwrap_or_default().to_owned()];
                for a in el.attributes() {
                    if let Some(p) = a.prefix.as_deref() {
                        if p != "xml" {
                            c.push(p.to_owned());
                        }
                    }
                }
                for p in inclusive_prefixes {
                    let p = if p == "#default" { "" } else { p.as_str() };
                    if scope.contains_key(p) {
                        c.push(p.to_owned());
                    }
                }
                c
            }
        };
        let mut rendered = parent_rendered.clone();
        let mut emit: BTreeMap<String, String> = BTreeMap::new();
        for p in candidates {
            let uri = scope.get(&p).cloned().unwrap_or_default();
            let parent = parent_rendered.get(&p);
            let needed = if p.is_empty() && uri.is_empty() {
                // xmlns="" only undoes a non-empty default an output ancestor rendered.
                parent.is_some_and(|u| !u.is_empty())
            } else {
                parent != Some(&uri)
            };
            if needed {
                rendered.insert(p.clone(), uri.clone());
                emit.insert(p, uri);
            }
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
        for (local, value) in inherited_xml {
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
                    self.element(e, &scope, &rendered, &no_inherit);
                }
                Node::Text(t) => escape_text(t, &mut self.out),
                Node::Comment(c) => {
                    let keep = match self.method {
                        Method::Inclusive { with_comments } => *with_comments,
                        Method::Exclusive { with_comments, .. } => *with_comments,
                    };
                    if keep {
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
    }

    fn qname(&mut self, prefix: Option<&str>, local: &str) {
        if let Some(p) = prefix {
            self.out.extend_from_slice(p.as_bytes());
            self.out.push(b':');
        }
        self.out.extend_from_slice(local.as_bytes());
    }
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
