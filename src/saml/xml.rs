//! Owned XML tree with resolved namespaces: the only shape in which SAML input is read.
//!
//! The parser (`xml::parse`) refuses DTDs and oversized input; this file holds the tree
//! types and the read-only queries (text, children, ID lookup) that later stages use.

mod parse;

pub use parse::{parse, parse_in_context, Limits, XmlError, MAX_DEPTH_CAP};

/// The namespace bound to the `xml` prefix (Namespaces in XML 1.0 §3).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A parsed document: exactly one root element (prolog comments/PIs are dropped, they
/// are never part of a signed SAML subtree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    root: Element,
    /// Namespaces in scope around the root (non-empty only for decrypted fragments).
    context_ns: Vec<NsDecl>,
    /// Length in bytes of the text it was parsed from (bounds derived work, e.g. the
    /// canonical form a signature check may produce).
    source_len: usize,
}

/// One namespace declaration (`xmlns="…"` or `xmlns:p="…"`) carried by an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsDecl {
    /// `None` for the default namespace.
    pub prefix: Option<String>,
    /// The URI; empty only for `xmlns=""` (default namespace undeclaration).
    pub uri: String,
}

/// An attribute with its namespace resolved (unprefixed attributes have no namespace).
/// `Debug` omits the value (it may be identity data).
#[derive(Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Prefix as written, if any.
    pub prefix: Option<String>,
    /// Local name.
    pub local: String,
    /// Namespace URI (`None` for unprefixed attributes, Namespaces in XML §6.2).
    pub ns: Option<String>,
    /// Value after attribute-value normalization and reference expansion (XML 1.0 §3.3.3).
    pub value: String,
}

/// A child node of an element. `Debug` omits text and comment content.
#[derive(Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (references decoded, CDATA merged in as text).
    Text(String),
    /// A comment's content (without `<!--`/`-->`).
    Comment(String),
    /// A processing instruction.
    Pi {
        /// PI target.
        target: String,
        /// PI data (may be empty).
        data: String,
    },
}

/// An element with its resolved namespace, declarations, attributes and children.
/// `Debug` shows names and structure only, never text or attribute values.
#[derive(Clone, PartialEq, Eq)]
pub struct Element {
    pub(crate) prefix: Option<String>,
    pub(crate) local: String,
    pub(crate) ns: Option<String>,
    pub(crate) ns_decls: Vec<NsDecl>,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) children: Vec<Node>,
}

// Assertions must never reach logs (conventions §11): Debug shows structure only.
impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attribute({:?}:{})", self.ns, self.local)
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Element(e) => e.fmt(f),
            Node::Text(t) => write!(f, "Text(len={})", t.len()),
            Node::Comment(c) => write!(f, "Comment(len={})", c.len()),
            Node::Pi { target, .. } => write!(f, "Pi({target})"),
        }
    }
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Element")
            .field("ns", &self.ns)
            .field("local", &self.local)
            .field("attrs", &self.attrs)
            .field("children", &self.children)
            .finish()
    }
}

/// Names of attributes treated as IDs: SAML uses `ID`, XML-DSig `Id`; `xml:id` also counts.
const ID_ATTR_NAMES: [&str; 3] = ["ID", "Id", "id"];

impl Document {
    pub(crate) fn new(root: Element, context_ns: Vec<NsDecl>, source_len: usize) -> Self {
        Self {
            root,
            context_ns,
            source_len,
        }
    }

    /// Length in bytes of the text this document was parsed from.
    pub fn source_len(&self) -> usize {
        self.source_len
    }

    /// Namespace declarations in scope around the root element: empty for a parsed
    /// document, the enclosing scope for a fragment from [`parse_in_context`].
    pub fn context_ns(&self) -> &[NsDecl] {
        &self.context_ns
    }

    /// All namespace declarations in scope at `el` (context, ancestors, then `el`;
    /// later entries override earlier ones), or `None` if `el` is not in this document.
    pub fn in_scope_ns(&self, el: &Element) -> Option<Vec<NsDecl>> {
        let mut scope: Vec<NsDecl> = self.context_ns.clone();
        let chain = self.ancestors_of(el)?;
        for e in chain.into_iter().chain(std::iter::once(el)) {
            for d in e.ns_decls() {
                scope.retain(|x| x.prefix != d.prefix);
                scope.push(d.clone());
            }
        }
        Some(scope)
    }

    /// The document element.
    pub fn root(&self) -> &Element {
        &self.root
    }

    /// Finds the unique element whose ID attribute equals `id`.
    ///
    /// Returns `Err` when two or more elements carry that ID (an XSW signal) and
    /// `Ok(None)` when none does.
    pub fn find_by_id(&self, id: &str) -> Result<Option<&Element>, DuplicateId> {
        let mut found = None;
        for el in self.root.descendants_and_self() {
            if el.id_values().any(|v| v == id) {
                if found.is_some() {
                    return Err(DuplicateId(id.to_owned()));
                }
                found = Some(el);
            }
        }
        Ok(found)
    }

    /// Checks that no ID value appears twice anywhere in the document.
    pub fn check_unique_ids(&self) -> Result<(), DuplicateId> {
        let mut seen = std::collections::HashSet::new();
        for el in self.root.descendants_and_self() {
            for v in el.id_values() {
                if !seen.insert(v) {
                    return Err(DuplicateId(v.to_owned()));
                }
            }
        }
        Ok(())
    }

    /// The chain of ancestors of `target` from the root down to its parent, or `None`
    /// when `target` is not a node of this document (compared by identity).
    pub fn ancestors_of<'a>(&'a self, target: &Element) -> Option<Vec<&'a Element>> {
        fn walk<'a>(el: &'a Element, target: &Element, path: &mut Vec<&'a Element>) -> bool {
            if std::ptr::eq(el, target) {
                return true;
            }
            path.push(el);
            for child in el.child_elements() {
                if walk(child, target, path) {
                    return true;
                }
            }
            path.pop();
            false
        }
        let mut path = Vec::new();
        walk(&self.root, target, &mut path).then_some(path)
    }
}

/// Two elements of one document carry the same ID value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate ID attribute value in document")]
pub struct DuplicateId(pub String);

impl Element {
    /// Local name.
    pub fn local_name(&self) -> &str {
        &self.local
    }

    /// Prefix as written in the document.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Namespace URI, `None` when the element is in no namespace.
    pub fn namespace(&self) -> Option<&str> {
        self.ns.as_deref()
    }

    /// True when the element has this namespace URI and local name.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// Namespace declarations written on this element.
    pub fn ns_decls(&self) -> &[NsDecl] {
        &self.ns_decls
    }

    /// Attributes (namespace declarations excluded).
    pub fn attributes(&self) -> &[Attribute] {
        &self.attrs
    }

    /// Child nodes in document order.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// Value of the unprefixed attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Value of the attribute `{ns}local`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// This element's ID (first of `ID`, `Id`, `id`, `xml:id`).
    pub fn id(&self) -> Option<&str> {
        self.id_values().next()
    }

    fn id_values(&self) -> impl Iterator<Item = &str> {
        self.attrs
            .iter()
            .filter(|a| match a.ns.as_deref() {
                None => ID_ATTR_NAMES.contains(&a.local.as_str()),
                Some(ns) => ns == XML_NS && a.local == "id",
            })
            .map(|a| a.value.as_str())
    }

    /// Child elements in document order.
    pub fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Child elements with this namespace and local name.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.child_elements().filter(move |e| e.is(ns, local))
    }

    /// The only child `{ns}local`; `Err(count)` when there are zero or several.
    pub fn only_child(&self, ns: &str, local: &str) -> Result<&Element, usize> {
        let mut it = self.child_elements().filter(|e| e.is(ns, local));
        match (it.next(), it.next()) {
            (Some(e), None) => Ok(e),
            (None, _) => Err(0),
            (Some(_), Some(_)) => Err(2 + it.count()),
        }
    }

    /// This element and all descendant elements, in document order.
    pub fn descendants_and_self(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(el) = stack.pop() {
            out.push(el);
            let before = stack.len();
            stack.extend(el.child_elements());
            stack[before..].reverse();
        }
        out
    }

    /// Concatenation of ALL descendant text nodes (comments and PIs skipped), so a
    /// comment inside a value never truncates it (the CVE-2017-11427 family).
    pub fn text(&self) -> String {
        let mut out = String::new();
        fn collect(el: &Element, out: &mut String) {
            for child in &el.children {
                match child {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(e) => collect(e, out),
                    Node::Comment(_) | Node::Pi { .. } => {}
                }
            }
        }
        collect(self, &mut out);
        out
    }

    /// A copy of this element without the child element `excluded` (compared by
    /// identity); used to hand out exactly the content an enveloped signature covers.
    pub fn clone_without(&self, excluded: &Element) -> Element {
        Element {
            prefix: self.prefix.clone(),
            local: self.local.clone(),
            ns: self.ns.clone(),
            ns_decls: self.ns_decls.clone(),
            attrs: self.attrs.clone(),
            children: self
                .children
                .iter()
                .filter(|n| !matches!(n, Node::Element(e) if std::ptr::eq(e, excluded)))
                .map(|n| match n {
                    Node::Element(e) => Node::Element(e.clone_without(excluded)),
                    other => other.clone(),
                })
                .collect(),
        }
    }
}

/// Escapes text (for writing SAML messages; never used on input) for use in XML content or a double-quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Document, XmlError> {
        parse(s, &Limits::default())
    }

    #[test]
    fn resolves_namespaces_and_decodes_text() {
        let d = p(r#"<a:r xmlns:a="urn:a" xmlns="urn:d"><c x="1" a:y="&lt;&#x41;"><![CDATA[<&>]]>t&amp;u&#65;</c></a:r>"#).unwrap();
        let r = d.root();
        assert!(r.is("urn:a", "r"));
        assert_eq!(r.ns_decls().len(), 2);
        let c = r.child_elements().next().unwrap();
        assert!(c.is("urn:d", "c"));
        assert_eq!(c.attr("x"), Some("1"));
        assert_eq!(c.attr_ns("urn:a", "y"), Some("<A"));
        assert_eq!(c.text(), "<&>t&uA");
    }

    #[test]
    fn comment_does_not_truncate_text() {
        let d = p("<n>admin@evil.com<!---->.example.org</n>").unwrap();
        assert_eq!(d.root().text(), "admin@evil.com.example.org");
        assert_eq!(d.root().children().len(), 3);
    }

    #[test]
    fn attribute_value_normalization() {
        let d = p("<a v=\"x\ty\nz&#10;w\r\n\"/>").unwrap();
        assert_eq!(d.root().attr("v"), Some("x y z\nw "));
    }

    #[test]
    fn crlf_normalized_in_text() {
        let d = p("<a>x\r\ny\rz&#13;</a>").unwrap();
        assert_eq!(d.root().text(), "x\ny\nz\r");
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>"#;
        assert_eq!(p(bomb), Err(XmlError::DoctypeForbidden));
        let xxe = r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert_eq!(p(xxe), Err(XmlError::DoctypeForbidden));
        assert_eq!(p("<r>&x;</r>"), Err(XmlError::UnknownEntity));
        assert_eq!(p("<r a='&x;'/>"), Err(XmlError::UnknownEntity));
    }

    #[test]
    fn enforces_limits() {
        let l = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse("<a>0123456789</a>", &l),
            Err(XmlError::TooLarge { limit: 10 })
        );
        let l = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse("<a><b><c/></b></a>", &l).is_ok());
        assert_eq!(
            parse("<a><b><c><d/></c></b></a>", &l),
            Err(XmlError::TooDeep { limit: 3 })
        );
        let l = Limits {
            max_attributes: 2,
            ..Limits::default()
        };
        assert_eq!(
            parse("<a x='1' y='2' z='3'/>", &l),
            Err(XmlError::TooManyAttributes { limit: 2 })
        );
        let l = Limits {
            max_elements: 2,
            ..Limits::default()
        };
        assert_eq!(
            parse("<a><b/><b/></a>", &l),
            Err(XmlError::TooManyElements { limit: 2 })
        );
    }

    #[test]
    fn refuses_namespace_errors() {
        assert_eq!(p("<p:a/>"), Err(XmlError::UndeclaredPrefix));
        assert_eq!(p("<a p:x='1'/>"), Err(XmlError::UndeclaredPrefix));
        assert_eq!(p("<a xmlns:p=''/>"), Err(XmlError::InvalidNamespaceDecl));
        assert_eq!(
            p("<a xmlns:xml='urn:x'/>"),
            Err(XmlError::InvalidNamespaceDecl)
        );
        assert_eq!(
            p("<a xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>"),
            Err(XmlError::DuplicateAttribute)
        );
        assert_eq!(p("<a x='1' x='2'/>"), Err(XmlError::DuplicateAttribute));
    }

    #[test]
    fn refuses_bad_structure() {
        assert_eq!(p(""), Err(XmlError::NoRoot));
        assert_eq!(p("<a/><b/>"), Err(XmlError::ContentOutsideRoot));
        assert_eq!(p("<a/>x"), Err(XmlError::ContentOutsideRoot));
        assert!(matches!(p("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(p("<a>"), Err(XmlError::Malformed(_))));
        assert_eq!(
            p("<?xml version='1.0' encoding='ISO-8859-1'?><a/>"),
            Err(XmlError::UnsupportedEncoding)
        );
        assert!(p("<?xml version='1.0' encoding='UTF-8'?>\n<!-- c --><a/>\n").is_ok());
    }

    #[test]
    fn escape_round_trips_through_the_parser() {
        let nasty = "a&b<c>d\"e'f\tg\nh\ri]]>";
        let d = p(&format!("<a v=\"{0}\">{0}</a>", escape(nasty))).unwrap();
        assert_eq!(d.root().attr("v"), Some(nasty));
        assert_eq!(d.root().text(), nasty);
    }

    #[test]
    fn byte_order_mark_and_prolog() {
        let d = p("\u{FEFF}<?xml version='1.0'?><a>x</a>").unwrap();
        assert_eq!(d.root().text(), "x");
    }

    #[test]
    fn default_namespace_undeclaration() {
        let d = p("<a xmlns='urn:d'><b xmlns=''><c/></b></a>").unwrap();
        let b = d.root().child_elements().next().unwrap();
        assert_eq!(b.namespace(), None);
        assert_eq!(b.child_elements().next().unwrap().namespace(), None);
    }

    #[test]
    fn debug_never_shows_content() {
        let d = p("<a secret='s3cr3t'>alice@example.com<!--c--></a>").unwrap();
        let shown = format!("{d:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("alice"),
            "{shown}"
        );
        assert!(shown.contains("secret"));
    }

    #[test]
    fn ids_unique_and_found() {
        let d = p("<a ID='x'><b Id='y'/><c id='z'/></a>").unwrap();
        assert!(d.check_unique_ids().is_ok());
        assert_eq!(d.find_by_id("y").unwrap().unwrap().local_name(), "b");
        assert_eq!(d.find_by_id("nope").unwrap(), None);
        let d = p("<a ID='x'><b><c ID='x'/></b></a>").unwrap();
        assert_eq!(d.check_unique_ids(), Err(DuplicateId("x".into())));
        assert!(d.find_by_id("x").is_err());
    }

    #[test]
    fn ancestors_by_identity() {
        let d = p("<a><b><c/></b><c/></a>").unwrap();
        let b = d.root().child_elements().next().unwrap();
        let c = b.child_elements().next().unwrap();
        let names: Vec<_> = d
            .ancestors_of(c)
            .unwrap()
            .iter()
            .map(|e| e.local_name())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let other = p("<c/>").unwrap();
        assert!(d.ancestors_of(other.root()).is_none());
    }
}
