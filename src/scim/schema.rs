//! The SCIM attribute catalogue (RFC 7643 §4, §7, §8.7.1): the core User, Enterprise
//! User extension and Group schemas with every attribute's characteristics, the common
//! attributes (`id`, `externalId`, `meta`, RFC 7643 §3.1), and resolution of attribute
//! paths to their definitions (case-insensitive, with or without a schema URN prefix).
//!
//! Over 400 lines on purpose: most of it is the RFC 7643 catalogue as data, one line per
//! attribute.

/// Core User schema URN (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Enterprise User extension URN (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `decimal`
    Decimal,
    /// `integer`
    Integer,
    /// `dateTime` (xsd:dateTime, RFC 7643 §2.3.5)
    DateTime,
    /// `binary` (base64)
    Binary,
    /// `reference` (a URI)
    Reference,
    /// `complex`
    Complex,
}

impl AttrType {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and how an attribute may be changed (RFC 7643 §7 `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the service provider only.
    ReadOnly,
    /// Freely modifiable.
    ReadWrite,
    /// Settable once (on creation or when first added), never changed after.
    Immutable,
    /// Settable but never returned (e.g. `password`).
    WriteOnly,
}

impl Mutability {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute is returned (RFC 7643 §7 `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never.
    Never,
    /// Unless excluded.
    Default,
    /// Only when named in `attributes`.
    Request,
}

impl Returned {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// How values must be unique (RFC 7643 §7 `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No uniqueness.
    None,
    /// Unique within the service provider (here: within one organization).
    Server,
    /// Globally unique.
    Global,
}

impl Uniqueness {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with its RFC 7643 §7 characteristics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The canonical (schema-cased) name.
    pub name: &'static str,
    /// The data type.
    pub kind: AttrType,
    /// Whether the attribute holds a JSON array of values.
    pub multi_valued: bool,
    /// Whether a value is required.
    pub required: bool,
    /// Whether string comparisons are case-sensitive (RFC 7643 §2.3.1).
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// Returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Suggested canonical values (`type` sub-attributes).
    pub canonical_values: &'static [&'static str],
    /// For references, what they may point to.
    pub reference_types: &'static [&'static str],
    /// Human-readable description.
    pub description: &'static str,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttributeDef],
}

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, readWrite string returned by default.
    const fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind: AttrType::String,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            description,
            sub_attributes: &[],
        }
    }
    const fn kind(mut self, kind: AttrType) -> Self {
        self.kind = kind;
        self
    }
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    const fn canon(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.kind = AttrType::Reference;
        self.reference_types = types;
        self
    }
    const fn complex(mut self, subs: &'static [AttributeDef]) -> Self {
        self.kind = AttrType::Complex;
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute `name`, matched case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.sub_attributes, name)
    }
}

/// One schema: its URN, name, description and top-level attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Top-level attributes.
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    /// The top-level attribute `name`, matched case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.attributes, name)
    }
}

fn find_attr(defs: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

use AttrType::{Binary, Boolean, DateTime};
use Mutability::{Immutable, ReadOnly, WriteOnly};

const fn s(name: &'static str, description: &'static str) -> AttributeDef {
    AttributeDef::string(name, description)
}

const PRIMARY: AttributeDef = s(
    "primary",
    "Whether this is the preferred value; at most one may be true.",
)
.kind(Boolean);
const DISPLAY: AttributeDef = s("display", "A human-readable name, primarily for display.");

const EMAIL_SUBS: &[AttributeDef] = &[
    s("value", "The email address, canonicalized per RFC 5321."),
    DISPLAY,
    s("type", "A label for the address' function.").canon(&["work", "home", "other"]),
    PRIMARY,
];
const PHONE_SUBS: &[AttributeDef] = &[
    s("value", "The phone number, preferably in RFC 3966 form."),
    DISPLAY,
    s("type", "A label for the number's function.")
        .canon(&["work", "home", "mobile", "fax", "pager", "other"]),
    PRIMARY,
];
const IM_SUBS: &[AttributeDef] = &[
    s("value", "The instant messaging address."),
    DISPLAY,
    s("type", "A label for the IM service.")
        .canon(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    PRIMARY,
];
const PHOTO_SUBS: &[AttributeDef] = &[
    s("value", "The URL of the image.").refs(&["external"]),
    DISPLAY,
    s("type", "A label for the image's kind.").canon(&["photo", "thumbnail"]),
    PRIMARY,
];
const ADDRESS_SUBS: &[AttributeDef] = &[
    s(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    s("streetAddress", "The full street address component."),
    s("locality", "The city or locality component."),
    s("region", "The state or region component."),
    s("postalCode", "The zip code or postal code component."),
    s(
        "country",
        "The country name component (ISO 3166-1 alpha-2).",
    ),
    s("type", "A label for the address' function.").canon(&["work", "home", "other"]),
    PRIMARY,
];
const GROUP_REF_SUBS: &[AttributeDef] = &[
    s("value", "The identifier of the User's group.")
        .exact()
        .mutability(ReadOnly),
    s("$ref", "The URI of the corresponding Group resource.")
        .refs(&["User", "Group"])
        .mutability(ReadOnly),
    s("display", "A human-readable name of the group.").mutability(ReadOnly),
    s("type", "Direct or indirect membership.")
        .canon(&["direct", "indirect"])
        .mutability(ReadOnly),
];
const GENERIC_MULTI_SUBS: &[AttributeDef] = &[
    s("value", "The value."),
    DISPLAY,
    s("type", "A label for the value's function."),
    PRIMARY,
];
const CERT_SUBS: &[AttributeDef] = &[
    s("value", "The DER-encoded X.509 certificate, base64.").kind(Binary),
    DISPLAY,
    s("type", "A label for the certificate's function."),
    PRIMARY,
];
const NAME_SUBS: &[AttributeDef] = &[
    s("formatted", "The full name, formatted for display."),
    s("familyName", "The family name, or last name."),
    s("givenName", "The given name, or first name."),
    s("middleName", "The middle name(s)."),
    s("honorificPrefix", "The honorific prefix(es), or title."),
    s("honorificSuffix", "The honorific suffix(es)."),
];

/// The core User schema's attributes (RFC 7643 §4.1, §8.7.1).
const USER_ATTRS: &[AttributeDef] = &[
    s(
        "userName",
        "Unique identifier for the User, used to authenticate.",
    )
    .required()
    .unique(),
    s("name", "The components of the user's real name.").complex(NAME_SUBS),
    s("displayName", "The name of the User, suitable for display."),
    s("nickName", "The casual way to address the user."),
    s("profileUrl", "A URI pointing to the user's online profile.").refs(&["external"]),
    s("title", "The user's title, such as \"Vice President\"."),
    s(
        "userType",
        "The relationship between the organization and the user.",
    ),
    s(
        "preferredLanguage",
        "The preferred written or spoken language (RFC 7231 §5.3.5).",
    ),
    s("locale", "The default location for localization (BCP 47)."),
    s("timezone", "The User's time zone in IANA database format."),
    s("active", "The User's administrative status.").kind(Boolean),
    s("password", "The User's cleartext password; never returned.")
        .mutability(WriteOnly)
        .returned(Returned::Never),
    s("emails", "Email addresses for the user.")
        .multi()
        .complex(EMAIL_SUBS),
    s("phoneNumbers", "Phone numbers for the User.")
        .multi()
        .complex(PHONE_SUBS),
    s("ims", "Instant messaging addresses for the User.")
        .multi()
        .complex(IM_SUBS),
    s("photos", "URLs of photos of the User.")
        .multi()
        .complex(PHOTO_SUBS),
    s("addresses", "Physical mailing addresses for this User.")
        .multi()
        .complex(ADDRESS_SUBS),
    s(
        "groups",
        "Groups to which the user belongs; managed through the Group resource.",
    )
    .multi()
    .complex(GROUP_REF_SUBS)
    .mutability(ReadOnly),
    s("entitlements", "Entitlements the User has.")
        .multi()
        .complex(GENERIC_MULTI_SUBS),
    s("roles", "Roles for the User.")
        .multi()
        .complex(GENERIC_MULTI_SUBS),
    s("x509Certificates", "X.509 certificates issued to the User.")
        .multi()
        .complex(CERT_SUBS),
];

const MANAGER_SUBS: &[AttributeDef] = &[
    s(
        "value",
        "The id of the SCIM resource representing the User's manager.",
    ),
    s("$ref", "The URI of the manager's User resource.").refs(&["User"]),
    s("displayName", "The manager's displayName.").mutability(ReadOnly),
];

/// The Enterprise User extension's attributes (RFC 7643 §4.3).
const ENTERPRISE_ATTRS: &[AttributeDef] = &[
    s(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned by the organization.",
    ),
    s("costCenter", "Identifies the name of a cost center."),
    s("organization", "Identifies the name of an organization."),
    s("division", "Identifies the name of a division."),
    s("department", "Identifies the name of a department."),
    s("manager", "The User's manager.").complex(MANAGER_SUBS),
];

// Resource ids are caseExact (RFC 7643 §3.1), so the sub-attributes holding one
// (`members.value`, `groups.value`, `manager.value`) are caseExact here, although
// RFC 7643 §8.7.1 lists `members.value` as caseExact false.
const MEMBER_SUBS: &[AttributeDef] = &[
    s("value", "Identifier of the member of this Group.")
        .exact()
        .mutability(Immutable),
    s("$ref", "The URI of the member resource.")
        .refs(&["User", "Group"])
        .mutability(Immutable),
    s("display", "A human-readable name of the member.").mutability(ReadOnly),
    s("type", "The type of the member resource.")
        .canon(&["User", "Group"])
        .mutability(Immutable),
];

/// The core Group schema's attributes (RFC 7643 §4.2, §8.7.1).
const GROUP_ATTRS: &[AttributeDef] = &[
    s("displayName", "A human-readable name for the Group.").required(),
    s("members", "A list of members of the Group.")
        .multi()
        .complex(MEMBER_SUBS),
];

const META_SUBS: &[AttributeDef] = &[
    s(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .exact()
    .mutability(ReadOnly),
    s(
        "created",
        "When the resource was added to the service provider.",
    )
    .kind(DateTime)
    .mutability(ReadOnly),
    s("lastModified", "When the resource was last modified.")
        .kind(DateTime)
        .mutability(ReadOnly),
    s("location", "The URI of the resource being returned.")
        .refs(&["uri"])
        .exact()
        .mutability(ReadOnly),
    s("version", "The version (ETag) of the resource.")
        .exact()
        .mutability(ReadOnly),
];

/// The common attributes of every resource (RFC 7643 §3.1). They belong to no schema.
const COMMON_ATTRS: &[AttributeDef] = &[
    s("id", "Unique identifier assigned by the service provider.")
        .exact()
        .mutability(ReadOnly)
        .returned(Returned::Always)
        .unique(),
    s(
        "externalId",
        "Identifier assigned by the provisioning client.",
    )
    .exact(),
    s("meta", "Resource metadata.")
        .complex(META_SUBS)
        .mutability(ReadOnly),
];

/// The core User schema.
pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRS,
};

/// The Enterprise User extension schema.
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRS,
};

/// The core Group schema.
pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRS,
};

/// The pseudo-schema of common attributes (`id`, `externalId`, `meta`); not published.
pub static COMMON: SchemaDef = SchemaDef {
    id: "",
    name: "Common",
    description: "Common attributes (RFC 7643 §3.1)",
    attributes: COMMON_ATTRS,
};

static USER_EXTENSIONS: &[&SchemaDef] = &[&ENTERPRISE_USER];

/// The resource types this server serves (RFC 7643 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `/Users`
    User,
    /// `/Groups`
    Group,
}

impl ResourceType {
    /// The resource type name (`meta.resourceType`).
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::User => "User",
            ResourceType::Group => "Group",
        }
    }

    /// The endpoint relative to the SCIM base URL.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceType::User => "/Users",
            ResourceType::Group => "/Groups",
        }
    }

    /// The core schema.
    pub fn core_schema(self) -> &'static SchemaDef {
        match self {
            ResourceType::User => &USER,
            ResourceType::Group => &GROUP,
        }
    }

    /// The schema extensions this server accepts for the resource type.
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        match self {
            ResourceType::User => USER_EXTENSIONS,
            ResourceType::Group => &[],
        }
    }

    /// The extension schema with this URN (case-insensitive), if this type has it.
    pub fn extension(self, urn: &str) -> Option<&'static SchemaDef> {
        self.extensions()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

/// An attribute path resolved against the catalogue.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAttr {
    /// The schema defining the attribute ([`COMMON`] for `id`, `externalId`, `meta`).
    pub schema: &'static SchemaDef,
    /// The top-level attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'static AttributeDef>,
}

impl ResolvedAttr {
    /// Whether the attribute lives in an extension (under its URN key in the resource JSON,
    /// RFC 7643 §3.3).
    pub fn is_extension(&self) -> bool {
        self.schema.id != USER_SCHEMA
            && self.schema.id != GROUP_SCHEMA
            && !self.schema.id.is_empty()
    }

    /// The JSON key of the extension container, if any.
    pub fn extension_key(&self) -> Option<&'static str> {
        self.is_extension().then_some(self.schema.id)
    }

    /// The definition the path ends at: the sub-attribute if named, else the attribute.
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The canonical path string: `name`, `name.sub`, or `urn:...:name.sub` for
    /// extension attributes. Suitable as a key for an SQL column map.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        if let Some(urn) = self.extension_key() {
            out.push_str(urn);
            out.push(':');
        }
        out.push_str(self.attr.name);
        if let Some(sub) = self.sub {
            out.push('.');
            out.push_str(sub.name);
        }
        out
    }
}

impl std::fmt::Debug for ResolvedAttr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResolvedAttr({})", self.canonical())
    }
}

/// Resolve `[urn:]name[.sub]` for a resource type (RFC 7644 §3.10: names are
/// case-insensitive; an unqualified name belongs to the core schema).
///
/// Unqualified names not in the core schema are looked up in the common attributes and
/// then in the extensions: IdPs sometimes send `employeeNumber` unqualified, and the
/// names do not collide. Returns `None` for an unknown schema, attribute or
/// sub-attribute, or a sub-attribute of a non-complex attribute.
pub fn resolve(
    rt: ResourceType,
    urn: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<ResolvedAttr> {
    let (schema, attr) = match urn {
        Some(urn) => {
            let schema = if rt.core_schema().id.eq_ignore_ascii_case(urn) {
                rt.core_schema()
            } else {
                rt.extension(urn)?
            };
            match schema.attribute(name) {
                Some(attr) => (schema, attr),
                // `urn:...:core:2.0:User:id` is legal: common attributes are
                // addressable under the core URN.
                None if schema.id == rt.core_schema().id => (&COMMON, COMMON.attribute(name)?),
                None => return None,
            }
        }
        None => std::iter::once(rt.core_schema())
            .chain(std::iter::once(&COMMON))
            .chain(rt.extensions().iter().copied())
            .find_map(|schema| schema.attribute(name).map(|a| (schema, a)))?,
    };
    let sub = match sub {
        Some(sub_name) => Some(attr.sub_attribute(sub_name)?),
        None => None,
    };
    Some(ResolvedAttr { schema, attr, sub })
}

/// Split a textual attribute path `[urn:]name[.sub]` into its parts.
///
/// The URN is everything up to the last `:`; a URN may contain dots (`2.0`), so the
/// sub-attribute split happens only after it. Returns `None` when a part is empty.
pub fn split_path(path: &str) -> Option<(Option<&str>, &str, Option<&str>)> {
    let path = path.trim();
    let (urn, rest) = if path.len() >= 4
        && path
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        let (urn, rest) = path.rsplit_once(':')?;
        (Some(urn), rest)
    } else {
        (None, path)
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if name.is_empty() || sub.is_some_and(|s| s.is_empty() || s.contains('.')) {
        return None;
    }
    Some((urn, name, sub))
}

/// Resolve a textual attribute path (`name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`).
pub fn resolve_str(rt: ResourceType, path: &str) -> Option<ResolvedAttr> {
    let (urn, name, sub) = split_path(path)?;
    resolve(rt, urn, name, sub)
}

/// The schema (core or extension) of `rt` whose URN equals `urn`, case-insensitively.
pub fn schema_for_urn(rt: ResourceType, urn: &str) -> Option<&'static SchemaDef> {
    if rt.core_schema().id.eq_ignore_ascii_case(urn.trim()) {
        Some(rt.core_schema())
    } else {
        rt.extension(urn.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_case_insensitively() {
        let r = resolve_str(ResourceType::User, "USERNAME").map(|r| r.attr.name);
        assert_eq!(r, Some("userName"));
        let r = resolve_str(ResourceType::User, "name.GIVENname");
        assert_eq!(r.map(|r| r.leaf().name), Some("givenName"));
        assert_eq!(r.map(|r| r.canonical()).as_deref(), Some("name.givenName"));
    }

    #[test]
    fn resolves_urn_qualified_core_and_extension() {
        let r = resolve_str(
            ResourceType::User,
            "urn:ietf:params:scim:schemas:core:2.0:User:emails.value",
        );
        assert_eq!(r.map(|r| r.canonical()).as_deref(), Some("emails.value"));
        let r = resolve_str(
            ResourceType::User,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        );
        assert!(r.is_some_and(|r| r.is_extension()));
        assert_eq!(
            r.map(|r| r.canonical()).as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")
        );
        // Lower-cased URN still resolves (RFC 7643 §2.1: case-insensitive).
        let r = resolve_str(
            ResourceType::User,
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department",
        );
        assert_eq!(r.map(|r| r.attr.name), Some("department"));
    }

    #[test]
    fn unqualified_extension_and_common_names_resolve() {
        let r = resolve_str(ResourceType::User, "employeeNumber");
        assert!(r.is_some_and(|r| r.is_extension()));
        let r = resolve_str(ResourceType::Group, "meta.lastModified");
        assert_eq!(r.map(|r| r.leaf().kind), Some(AttrType::DateTime));
        let r = resolve_str(
            ResourceType::User,
            "urn:ietf:params:scim:schemas:core:2.0:User:id",
        );
        assert_eq!(r.map(|r| r.attr.case_exact), Some(true));
    }

    #[test]
    fn unknown_paths_do_not_resolve() {
        assert!(resolve_str(ResourceType::User, "nosuch").is_none());
        assert!(resolve_str(ResourceType::User, "name.nosuch").is_none());
        assert!(resolve_str(ResourceType::User, "userName.value").is_none());
        assert!(resolve_str(ResourceType::Group, "employeeNumber").is_none());
        assert!(resolve_str(ResourceType::Group, "members.value.x").is_none());
        assert!(resolve_str(ResourceType::User, "urn:example:custom:foo").is_none());
        assert!(resolve_str(ResourceType::User, "").is_none());
        assert!(resolve_str(ResourceType::User, "name.").is_none());
    }

    #[test]
    fn characteristics_match_rfc() {
        let user_name = USER.attribute("userName");
        assert!(user_name
            .is_some_and(|a| a.required && !a.case_exact && a.uniqueness == Uniqueness::Server));
        let pw = USER.attribute("password");
        assert!(pw.is_some_and(
            |a| a.mutability == Mutability::WriteOnly && a.returned == Returned::Never
        ));
        let groups = USER.attribute("groups");
        assert!(groups.is_some_and(|a| a.multi_valued && a.mutability == Mutability::ReadOnly));
        let members = GROUP
            .attribute("members")
            .and_then(|m| m.sub_attribute("VALUE"));
        assert_eq!(members.map(|m| m.mutability), Some(Mutability::Immutable));
        let id = COMMON.attribute("id");
        assert_eq!(id.map(|a| a.returned), Some(Returned::Always));
    }

    #[test]
    fn split_path_keeps_dots_in_urn() {
        assert_eq!(
            split_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            Some((
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                "manager",
                Some("value")
            ))
        );
        assert_eq!(split_path("a.b.c"), None);
    }
}
