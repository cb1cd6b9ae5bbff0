//! IAM emulator: customer-managed policies, their versions and tags, over awsQuery (XML).
//!
//! IAM is global: requests signed for any region reach the same state. Behaviour follows
//! AWS's documentation where moto differs: `GetPolicyVersion` returns the document
//! URL-encoded per RFC 3986 (the SDKs do not decode it), `DeletePolicy` refuses while
//! non-default versions remain, and the 6,144-character managed-policy size quota is
//! enforced. Model constraints (lengths, patterns, ranges) fail with `ValidationError`,
//! AWS's code for them in awsQuery services.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiError, Context, Protocol, Request, Response, Route, Service};
use crate::state::LocalState;
use crate::wire::query::{self, QueryParams, VALIDATION_ERROR, Violations, XmlWriter};

/// The XML namespace of IAM responses.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const API_VERSION: &str = "2010-05-08";

/// Versions a managed policy may keep (AWS quota, not adjustable).
pub const MAX_VERSIONS: usize = 5;
/// Managed policy size quota in characters, whitespace not counted.
pub const MAX_POLICY_SIZE: usize = 6144;
/// Tags per IAM resource.
pub const MAX_TAGS: usize = 50;
/// Customer managed policies per account (default quota), enforced with `--quotas aws`.
pub const MAX_POLICIES: usize = 1500;

const OPERATIONS: &[&str] = &[
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "CreatePolicyVersion",
    "ListPolicyVersions",
    "GetPolicyVersion",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "DeletePolicy",
    "TagPolicy",
    "UntagPolicy",
    "ListPolicyTags",
];

/// All IAM state: customer-managed policies keyed by ARN.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IamState {
    #[serde(default)]
    pub policies: BTreeMap<String, ManagedPolicy>,
}

/// One customer-managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    pub create_date: i64,
    pub update_date: i64,
    /// Number of the default version (`v<N>`).
    pub default_version: u32,
    /// Number the next created version gets; version ids never repeat.
    pub next_version: u32,
    pub versions: BTreeMap<u32, StoredVersion>,
    /// Tags in insertion-independent key order.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One version of a managed policy, the document exactly as submitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVersion {
    pub document: String,
    pub create_date: i64,
}

/// The IAM service.
#[derive(Debug, Default, Clone)]
pub struct IamService;

impl Service for IamService {
    fn signing_name(&self) -> &'static str {
        "iam"
    }

    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)> {
        route_query(req, OPERATIONS, API_VERSION)
    }

    fn handle(
        &self,
        route: &Route,
        req: &Request,
        state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        let p = QueryParams::parse(req);
        let st = &mut state.iam;
        let result = match route.operation.as_str() {
            "CreatePolicy" => create_policy(st, &p, ctx)?,
            "GetPolicy" => get_policy(st, &p)?,
            "ListPolicies" => list_policies(st, &p)?,
            "CreatePolicyVersion" => create_policy_version(st, &p, ctx)?,
            "ListPolicyVersions" => list_policy_versions(st, &p)?,
            "GetPolicyVersion" => get_policy_version(st, &p)?,
            "SetDefaultPolicyVersion" => set_default_policy_version(st, &p, ctx)?,
            "DeletePolicyVersion" => delete_policy_version(st, &p)?,
            "DeletePolicy" => delete_policy(st, &p)?,
            "TagPolicy" => tag_policy(st, &p)?,
            "UntagPolicy" => untag_policy(st, &p)?,
            "ListPolicyTags" => list_policy_tags(st, &p)?,
            other => return Err(query::invalid_action(Some(other), API_VERSION)),
        };
        Ok(query::response(
            &route.operation,
            XMLNS,
            result.as_deref(),
            &ctx.request_id,
        ))
    }

    fn render_error(&self, _protocol: Protocol, err: &ApiError, ctx: &Context) -> Response {
        query::error_response(err, XMLNS, &ctx.request_id)
    }

    fn throttling_error(&self, _operation: &str) -> ApiError {
        // `Throttling` is in aws-runtime's THROTTLING_ERRORS and botocore's retry config.
        ApiError::new(400, "Throttling", "Rate exceeded")
    }

    fn is_mutating(&self, operation: &str) -> bool {
        !(operation.starts_with("Get") || operation.starts_with("List"))
    }

    fn rate_quota(&self, operation: &str) -> f64 {
        // IAM publishes no per-operation TPS; these conservative values sit below what
        // the control plane is observed to sustain.
        if self.is_mutating(operation) {
            10.0
        } else {
            20.0
        }
    }
}

/// Route an awsQuery request by its `Action` among `operations` (shared with STS).
pub(crate) fn route_query(
    req: &Request,
    operations: &[&str],
    version: &str,
) -> Result<Route, (Protocol, ApiError)> {
    let p = QueryParams::parse(req);
    match p.action() {
        Some(a) if operations.contains(&a) => Ok(Route {
            operation: a.to_string(),
            protocol: Protocol::AwsQuery,
        }),
        other => Err((Protocol::AwsQuery, query::invalid_action(other, version))),
    }
}

/// `[\w+=,.@-]+` (Java `\w` is ASCII letters, digits and `_`).
fn is_policy_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`: starts and ends with `/`, no empty segments.
fn is_policy_path(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    let Some(inner) = s.strip_prefix('/').and_then(|r| r.strip_suffix('/')) else {
        return false;
    };
    inner.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
    })
}

/// `[\u0009\u000A\u000D\u0020-\u00FF]+`.
fn is_policy_charset(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}'))
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`.
fn is_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || c == ' '
            || c.is_whitespace() && !c.is_control()
            || "_.:/=+-@".contains(c)
    })
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
fn is_version_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let (num, suffix) = match rest.split_once('.') {
        Some((n, sfx)) => (n, Some(sfx)),
        None => (rest, None),
    };
    !num.is_empty()
        && !num.starts_with('0')
        && num.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|sfx| sfx.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

const PATH_PATTERN: &str = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/";
const DOCUMENT_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
const MARKER_PATTERN: &str = r"[\u0020-\u00FF]+";

fn check_arn(v: &mut Violations, p: &QueryParams) -> Option<String> {
    let arn = v.required(p, "PolicyArn")?;
    v.length("policyArn", arn, 20, 2048);
    Some(arn.to_string())
}

fn check_document(v: &mut Violations, p: &QueryParams) -> Option<String> {
    let doc = v.required(p, "PolicyDocument")?;
    v.length("policyDocument", doc, 1, 131_072);
    v.pattern(
        "policyDocument",
        doc,
        is_policy_charset(doc),
        DOCUMENT_PATTERN,
    );
    Some(doc.to_string())
}

fn check_version_id(v: &mut Violations, p: &QueryParams) -> Option<String> {
    let id = v.required(p, "VersionId")?;
    v.pattern(
        "versionId",
        id,
        is_version_id(id),
        r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
    );
    Some(id.to_string())
}

fn check_paging(v: &mut Violations, p: &QueryParams) -> Result<(Option<String>, usize), ApiError> {
    let marker = p.get("Marker").map(str::to_string);
    if let Some(m) = &marker {
        v.length("marker", m, 1, 320);
        v.pattern(
            "marker",
            m,
            m.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)),
            MARKER_PATTERN,
        );
    }
    let max = p.int("MaxItems")?.unwrap_or(100);
    v.range("maxItems", max, 1, 1000);
    Ok((marker, max.clamp(1, 1000) as usize))
}

/// Tags from `Tags.member.N.Key/Value`, validated per the model; duplicate keys (IAM tag
/// keys are case-insensitive) are `InvalidInput`.
fn check_tags(v: &mut Violations, p: &QueryParams) -> Result<Vec<(String, String)>, ApiError> {
    let list = p.struct_list("Tags").unwrap_or_default();
    if list.len() > MAX_TAGS {
        v.add(
            Some(&format!("{} tags", list.len())),
            "tags",
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        );
    }
    let mut tags = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let n = i + 1;
        let key = t.get("Key");
        let value = t.get("Value");
        match key {
            None => v.add(
                None,
                &format!("tags.{n}.member.key"),
                "Member must not be null",
            ),
            Some(k) => {
                v.length(&format!("tags.{n}.member.key"), k, 1, 128);
                v.pattern(
                    &format!("tags.{n}.member.key"),
                    k,
                    !k.is_empty() && is_tag_text(k),
                    TAG_KEY_PATTERN,
                );
            }
        }
        match value {
            None => v.add(
                None,
                &format!("tags.{n}.member.value"),
                "Member must not be null",
            ),
            Some(val) => {
                v.length(&format!("tags.{n}.member.value"), val, 0, 256);
                v.pattern(
                    &format!("tags.{n}.member.value"),
                    val,
                    is_tag_text(val),
                    TAG_VALUE_PATTERN,
                );
            }
        }
        if let (Some(k), Some(val)) = (key, value) {
            tags.push((k.to_string(), val.to_string()));
        }
    }
    Ok(tags)
}

fn reject_duplicate_tag_keys(tags: &[(String, String)]) -> Result<(), ApiError> {
    for (i, (k, _)) in tags.iter().enumerate() {
        if tags[..i].iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(())
}

fn invalid_input(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidInput", msg)
}

fn malformed(msg: &str) -> ApiError {
    ApiError::new(400, "MalformedPolicyDocument", msg)
}

fn no_such_policy(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("Policy {arn} does not exist or is not attachable."),
    )
}

fn no_such_version(arn: &str, id: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("Policy {arn} version {id} does not exist or is not attachable."),
    )
}

/// `InvalidInput` for strings that are not ARNs at all (AWS checks this before lookup).
fn parse_arn(arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty() {
        Ok(())
    } else {
        Err(invalid_input(format!("ARN {arn} is not valid.")))
    }
}

fn find<'a>(st: &'a mut IamState, arn: &str) -> Result<&'a mut ManagedPolicy, ApiError> {
    parse_arn(arn)?;
    st.policies.get_mut(arn).ok_or_else(|| no_such_policy(arn))
}

/// The number of a version id we issue (`v7` -> 7). Ids with a `.suffix` are valid input
/// but never ours, so they name no version.
fn version_number(id: &str) -> Option<u32> {
    let digits = id.strip_prefix('v')?;
    if digits.starts_with('0') || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------
// Policy documents.

const TOP_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Validate an identity-based policy document the way IAM does, with IAM's messages.
pub fn validate_policy_document(doc: &str) -> Result<(), ApiError> {
    let syntax = || malformed("Syntax errors in policy.");
    let json: Value = serde_json::from_str(doc).map_err(|_| syntax())?;
    let obj = json.as_object().ok_or_else(syntax)?;
    if obj.keys().any(|k| !TOP_ELEMENTS.contains(&k.as_str())) {
        return Err(syntax());
    }
    match obj.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2008-10-17" || v == "2012-10-17" => {}
        Some(_) => return Err(syntax()),
    }
    if obj.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(syntax());
    }
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Err(syntax()),
    };
    let string_or_list = |v: &Value| match v {
        Value::String(_) => true,
        Value::Array(a) => a.iter().all(|x| x.is_string() || x.is_null()),
        _ => false,
    };
    for s in &statements {
        let s = s.as_object().ok_or_else(syntax)?;
        if s.keys().any(|k| !STATEMENT_ELEMENTS.contains(&k.as_str()))
            || (s.contains_key("Action") && s.contains_key("NotAction"))
            || (s.contains_key("Resource") && s.contains_key("NotResource"))
        {
            return Err(syntax());
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some(e) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {}
            _ => return Err(syntax()),
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if s.get(key).is_some_and(|v| !string_or_list(v)) {
                return Err(syntax());
            }
        }
        if let Some(c) = s.get("Condition") {
            let ok = c.as_object().is_some_and(|ops| {
                ops.values().all(|kv| {
                    kv.as_object().is_some_and(|m| {
                        m.values()
                            .all(|x| x.is_string() || x.is_boolean() || x.is_array())
                    })
                })
            });
            if !ok {
                return Err(syntax());
            }
        }
        if s.get("Sid").is_some_and(|v| !v.is_string()) {
            return Err(syntax());
        }
    }
    if obj.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return Err(malformed(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }
    let mut sids: Vec<&str> = Vec::new();
    for s in statements
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
    {
        if !s.is_empty() {
            if sids.contains(&s) {
                return Err(malformed(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
            sids.push(s);
        }
    }
    let present = |s: &Value, a: &str, b: &str| {
        [a, b].iter().any(|k| match s.get(*k) {
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        })
    };
    if statements
        .iter()
        .any(|s| !present(s, "Action", "NotAction"))
    {
        return Err(malformed("Policy statement must contain actions."));
    }
    for s in &statements {
        for key in ["Action", "NotAction"] {
            let actions: Vec<&str> = match s.get(key) {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            for a in actions {
                let parts: Vec<&str> = a.split(':').collect();
                if parts.len() == 1 && a != "*" {
                    return Err(malformed(
                        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                    ));
                }
                if parts.len() > 2 {
                    return Err(malformed("Actions/Condition can contain only one colon."));
                }
                let vendor = parts[0];
                if vendor != "*"
                    && !vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return Err(malformed(&format!("Vendor {vendor} is not valid")));
                }
            }
        }
    }
    if statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
    {
        return Err(malformed("Policy document should not specify a principal."));
    }
    if statements
        .iter()
        .any(|s| !present(s, "Resource", "NotResource"))
    {
        return Err(malformed("Policy statement must contain resources."));
    }
    Ok(())
}

/// Checks shared by CreatePolicy and CreatePolicyVersion once the model constraints hold.
fn check_document_semantics(doc: &str) -> Result<(), ApiError> {
    validate_policy_document(doc)?;
    let size = doc.chars().filter(|c| !c.is_whitespace()).count();
    if size > MAX_POLICY_SIZE {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            format!("Cannot exceed quota for PolicySize: {MAX_POLICY_SIZE}"),
        ));
    }
    Ok(())
}

/// RFC 3986 percent-encoding of everything but unreserved characters, as IAM returns
/// documents (`{` -> `%7B`, space -> `%20`, `*` -> `%2A`).
pub fn rfc3986_encode(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

fn new_policy_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..17)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("ANPA{tail}")
}

// ---------------------------------------------------------------------------------------
// Rendering.

fn write_tags(w: &mut XmlWriter, tags: &BTreeMap<String, String>) {
    w.start("Tags");
    for (k, v) in tags {
        w.start("member")
            .elem("Key", k)
            .elem("Value", v)
            .end("member");
    }
    w.end("Tags");
}

/// The `Policy` structure. `full` adds Description and Tags (GetPolicy, CreatePolicy);
/// ListPolicies returns neither.
fn write_policy(w: &mut XmlWriter, tag: &str, p: &ManagedPolicy, full: bool) {
    w.start(tag)
        .elem("PolicyName", &p.name)
        .elem("PolicyId", &p.id)
        .elem("Arn", &p.arn)
        .elem("Path", &p.path)
        .elem("DefaultVersionId", &format!("v{}", p.default_version))
        .int_elem("AttachmentCount", 0)
        .int_elem("PermissionsBoundaryUsageCount", 0)
        .bool_elem("IsAttachable", true);
    if full {
        w.opt_elem("Description", p.description.as_deref());
    }
    w.time_elem("CreateDate", p.create_date)
        .time_elem("UpdateDate", p.update_date);
    if full && !p.tags.is_empty() {
        write_tags(w, &p.tags);
    }
    w.end(tag);
}

fn write_version(
    w: &mut XmlWriter,
    tag: &str,
    p: &ManagedPolicy,
    n: u32,
    v: &StoredVersion,
    with_document: bool,
) {
    w.start(tag);
    if with_document {
        w.elem("Document", &rfc3986_encode(&v.document));
    }
    w.elem("VersionId", &format!("v{n}"))
        .bool_elem("IsDefaultVersion", n == p.default_version)
        .time_elem("CreateDate", v.create_date)
        .end(tag);
}

fn write_page_end(w: &mut XmlWriter, next: Option<String>) {
    match next {
        Some(m) => {
            w.bool_elem("IsTruncated", true).elem("Marker", &m);
        }
        None => {
            w.bool_elem("IsTruncated", false);
        }
    }
}

/// Markers are opaque to clients; ours carry the sort key of the last item returned, so a
/// page stays correct when items are added or deleted between calls.
fn encode_marker(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("m1:{key}"))
}

fn decode_marker(marker: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("m1:").map(str::to_string))
        .ok_or_else(|| invalid_input("Invalid Marker."))
}

/// One page of `items` (already sorted by key) after `marker`, at most `max` long, and the
/// marker of the next page.
fn page<T>(
    items: Vec<(String, T)>,
    marker: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let after = marker.map(decode_marker).transpose()?;
    let mut rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .collect();
    let next = if rest.len() > max {
        rest.truncate(max);
        rest.last().map(|(k, _)| encode_marker(k))
    } else {
        None
    };
    Ok((rest.into_iter().map(|(_, t)| t).collect(), next))
}

// ---------------------------------------------------------------------------------------
// Operations. Each returns the inner XML of `<OpResult>`, or `None` for no output.

fn create_policy(
    st: &mut IamState,
    p: &QueryParams,
    ctx: &Context,
) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let name = v.required(p, "PolicyName").map(str::to_string);
    if let Some(n) = &name {
        v.length("policyName", n, 1, 128);
        v.pattern("policyName", n, is_policy_name(n), r"[\w+=,.@-]+");
    }
    let path = p.get("Path").unwrap_or("/").to_string();
    v.length("path", &path, 1, 512);
    v.pattern("path", &path, is_policy_path(&path), PATH_PATTERN);
    let doc = check_document(&mut v, p);
    let description = p.get("Description").map(str::to_string);
    if let Some(d) = &description {
        v.length("description", d, 0, 1000);
    }
    let tags = check_tags(&mut v, p)?;
    v.finish(VALIDATION_ERROR)?;
    let (Some(name), Some(doc)) = (name, doc) else {
        return Err(invalid_input("PolicyName and PolicyDocument are required."));
    };
    reject_duplicate_tag_keys(&tags)?;
    check_document_semantics(&doc)?;
    if st
        .policies
        .values()
        .any(|x| x.name.eq_ignore_ascii_case(&name))
    {
        return Err(ApiError::new(
            409,
            "EntityAlreadyExists",
            format!("A policy called {name} already exists. Duplicate names are not allowed."),
        ));
    }
    if ctx.enforce_resource_quotas && st.policies.len() >= MAX_POLICIES {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            format!("Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES}"),
        ));
    }
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", ctx.account_id);
    let mut versions = BTreeMap::new();
    versions.insert(
        1,
        StoredVersion {
            document: doc,
            create_date: ctx.now,
        },
    );
    let policy = ManagedPolicy {
        name,
        id: new_policy_id(),
        path,
        arn: arn.clone(),
        description,
        create_date: ctx.now,
        update_date: ctx.now,
        default_version: 1,
        next_version: 2,
        versions,
        tags: tags.into_iter().collect(),
    };
    let mut w = XmlWriter::new();
    write_policy(&mut w, "Policy", &policy, true);
    st.policies.insert(arn, policy);
    Ok(Some(w.finish()))
}

fn get_policy(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    v.finish(VALIDATION_ERROR)?;
    let policy = find(st, &arn.unwrap_or_default())?;
    let mut w = XmlWriter::new();
    write_policy(&mut w, "Policy", policy, true);
    Ok(Some(w.finish()))
}

fn list_policies(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let scope = p.get("Scope").unwrap_or("All");
    v.enumeration("scope", scope, &["All", "AWS", "Local"]);
    let prefix = p.get("PathPrefix").unwrap_or("/");
    v.length("pathPrefix", prefix, 1, 512);
    v.pattern("pathPrefix", prefix, is_policy_path(prefix), PATH_PATTERN);
    if let Some(u) = p.get("PolicyUsageFilter") {
        v.enumeration(
            "policyUsageFilter",
            u,
            &["PermissionsPolicy", "PermissionsBoundary"],
        );
    }
    let only_attached = p.bool("OnlyAttached")?.unwrap_or(false);
    let (marker, max) = check_paging(&mut v, p)?;
    v.finish(VALIDATION_ERROR)?;
    // Only customer-managed policies exist here: AWS-managed ones are not emulated, and
    // nothing can be attached, so OnlyAttached and PermissionsBoundary usage match none.
    let include = scope != "AWS"
        && !only_attached
        && p.get("PolicyUsageFilter") != Some("PermissionsBoundary");
    let items: Vec<(String, &ManagedPolicy)> = if include {
        let mut items: Vec<(String, &ManagedPolicy)> = st
            .policies
            .values()
            .filter(|x| x.path.starts_with(prefix))
            .map(|x| (x.name.to_lowercase(), x))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items
    } else {
        Vec::new()
    };
    let (items, next) = page(items, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.start("Policies");
    for x in items {
        write_policy(&mut w, "member", x, false);
    }
    w.end("Policies");
    write_page_end(&mut w, next);
    Ok(Some(w.finish()))
}

fn create_policy_version(
    st: &mut IamState,
    p: &QueryParams,
    ctx: &Context,
) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let doc = check_document(&mut v, p);
    let set_default = p.bool("SetAsDefault")?.unwrap_or(false);
    v.finish(VALIDATION_ERROR)?;
    let (Some(arn), Some(doc)) = (arn, doc) else {
        return Err(invalid_input("PolicyArn and PolicyDocument are required."));
    };
    let policy = find(st, &arn)?;
    check_document_semantics(&doc)?;
    if policy.versions.len() >= MAX_VERSIONS {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ));
    }
    let n = policy.next_version;
    policy.next_version += 1;
    policy.versions.insert(
        n,
        StoredVersion {
            document: doc,
            create_date: ctx.now,
        },
    );
    if set_default {
        policy.default_version = n;
        policy.update_date = ctx.now;
    }
    let mut w = XmlWriter::new();
    if let Some(stored) = policy.versions.get(&n) {
        write_version(&mut w, "PolicyVersion", policy, n, stored, false);
    }
    Ok(Some(w.finish()))
}

fn list_policy_versions(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let (marker, max) = check_paging(&mut v, p)?;
    v.finish(VALIDATION_ERROR)?;
    let policy = find(st, &arn.unwrap_or_default())?;
    // Newest first, as AWS lists them; the sort key inverts the version number.
    let items: Vec<(String, u32)> = policy
        .versions
        .keys()
        .rev()
        .map(|n| (format!("{:010}", u32::MAX - n), *n))
        .collect();
    let (items, next) = page(items, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.start("Versions");
    for n in items {
        if let Some(stored) = policy.versions.get(&n) {
            write_version(&mut w, "member", policy, n, stored, false);
        }
    }
    w.end("Versions");
    write_page_end(&mut w, next);
    Ok(Some(w.finish()))
}

fn get_policy_version(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let id = check_version_id(&mut v, p);
    v.finish(VALIDATION_ERROR)?;
    let (arn, id) = (arn.unwrap_or_default(), id.unwrap_or_default());
    let policy = find(st, &arn)?;
    let n = version_number(&id).filter(|n| policy.versions.contains_key(n));
    let Some((n, stored)) = n.and_then(|n| policy.versions.get(&n).map(|s| (n, s))) else {
        return Err(no_such_version(&arn, &id));
    };
    let mut w = XmlWriter::new();
    write_version(&mut w, "PolicyVersion", policy, n, stored, true);
    Ok(Some(w.finish()))
}

fn set_default_policy_version(
    st: &mut IamState,
    p: &QueryParams,
    ctx: &Context,
) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let id = check_version_id(&mut v, p);
    v.finish(VALIDATION_ERROR)?;
    let (arn, id) = (arn.unwrap_or_default(), id.unwrap_or_default());
    let policy = find(st, &arn)?;
    match version_number(&id).filter(|n| policy.versions.contains_key(n)) {
        Some(n) => {
            if policy.default_version != n {
                policy.default_version = n;
                policy.update_date = ctx.now;
            }
            Ok(None)
        }
        None => Err(no_such_version(&arn, &id)),
    }
}

fn delete_policy_version(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let id = check_version_id(&mut v, p);
    v.finish(VALIDATION_ERROR)?;
    let (arn, id) = (arn.unwrap_or_default(), id.unwrap_or_default());
    let policy = find(st, &arn)?;
    let Some(n) = version_number(&id).filter(|n| policy.versions.contains_key(n)) else {
        return Err(no_such_version(&arn, &id));
    };
    if n == policy.default_version {
        return Err(ApiError::new(
            409,
            "DeleteConflict",
            "Cannot delete the default version of a policy.",
        ));
    }
    policy.versions.remove(&n);
    Ok(None)
}

fn delete_policy(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    v.finish(VALIDATION_ERROR)?;
    let arn = arn.unwrap_or_default();
    let policy = find(st, &arn)?;
    if policy.versions.len() > 1 {
        return Err(ApiError::new(
            409,
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    st.policies.remove(&arn);
    Ok(None)
}

fn tag_policy(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    if !p.has("Tags") {
        v.add(None, "tags", "Member must not be null");
    }
    let tags = check_tags(&mut v, p)?;
    v.finish(VALIDATION_ERROR)?;
    reject_duplicate_tag_keys(&tags)?;
    let policy = find(st, &arn.unwrap_or_default())?;
    let mut merged = policy.tags.clone();
    for (k, val) in tags {
        // Keys are case-insensitive: a new spelling replaces the old tag.
        merged.retain(|old, _| !old.eq_ignore_ascii_case(&k));
        merged.insert(k, val);
    }
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            format!("The number of tags has reached the maximum limit of {MAX_TAGS}."),
        ));
    }
    policy.tags = merged;
    Ok(None)
}

fn untag_policy(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let keys = p.string_list("TagKeys");
    match &keys {
        None => v.add(None, "tagKeys", "Member must not be null"),
        Some(ks) => {
            if ks.len() > MAX_TAGS {
                v.add(
                    Some(&format!("{} keys", ks.len())),
                    "tagKeys",
                    &format!("Member must have length less than or equal to {MAX_TAGS}"),
                );
            }
            for (i, k) in ks.iter().enumerate() {
                let member = format!("tagKeys.{}.member", i + 1);
                v.length(&member, k, 1, 128);
                v.pattern(&member, k, !k.is_empty() && is_tag_text(k), TAG_KEY_PATTERN);
            }
        }
    }
    v.finish(VALIDATION_ERROR)?;
    let policy = find(st, &arn.unwrap_or_default())?;
    let keys = keys.unwrap_or_default();
    policy
        .tags
        .retain(|k, _| !keys.iter().any(|r| r.eq_ignore_ascii_case(k)));
    Ok(None)
}

fn list_policy_tags(st: &mut IamState, p: &QueryParams) -> Result<Option<String>, ApiError> {
    let mut v = Violations::default();
    let arn = check_arn(&mut v, p);
    let (marker, max) = check_paging(&mut v, p)?;
    v.finish(VALIDATION_ERROR)?;
    let policy = find(st, &arn.unwrap_or_default())?;
    let items: Vec<(String, (&String, &String))> = policy
        .tags
        .iter()
        .map(|(k, val)| (k.clone(), (k, val)))
        .collect();
    let (items, next) = page(items, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.start("Tags");
    for (k, val) in items {
        w.start("member")
            .elem("Key", k)
            .elem("Value", val)
            .end("member");
    }
    w.end("Tags");
    write_page_end(&mut w, next);
    Ok(Some(w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_path_patterns() {
        assert!(is_policy_name("ivs-demo_1+=,.@"));
        assert!(!is_policy_name("bad name"));
        assert!(!is_policy_name("bad/name"));
        assert!(is_policy_path("/"));
        assert!(is_policy_path("/ivs-iac/demo/"));
        assert!(!is_policy_path("//"));
        assert!(!is_policy_path("/a"));
        assert!(!is_policy_path("a/"));
        assert!(!is_policy_path("/a*/"));
        assert!(is_version_id("v1"));
        assert!(is_version_id("v12.abc-1"));
        assert!(!is_version_id("v0"));
        assert!(!is_version_id("1"));
        assert_eq!(version_number("v12"), Some(12));
        assert_eq!(version_number("v1.a"), None);
        assert!(is_tag_text("Cost Center:é/=+-@_."));
        assert!(!is_tag_text("a*b"));
    }

    #[test]
    fn encodes_documents_like_iam() {
        assert_eq!(
            rfc3986_encode("{\"Action\": \"s3:*\"}~"),
            "%7B%22Action%22%3A%20%22s3%3A%2A%22%7D~"
        );
        assert_eq!(rfc3986_encode("é"), "%C3%A9");
    }

    fn ok(doc: &str) -> bool {
        validate_policy_document(doc).is_ok()
    }

    fn msg(doc: &str) -> String {
        validate_policy_document(doc).unwrap_err().message
    }

    #[test]
    fn validates_documents() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"*"}]}"#;
        assert!(ok(good));
        assert!(ok(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"a","Effect":"deny","NotAction":["s3:*"],"NotResource":"arn:aws:s3:::b"}}"#
        ));
        assert_eq!(msg("{"), "Syntax errors in policy.");
        assert_eq!(msg("[]"), "Syntax errors in policy.");
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[]}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"a:b","Resource":"*"}]}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            msg(r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#),
            "Policy document must be version 2012-10-17 or greater."
        );
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#),
            "Policy statement must contain actions."
        );
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b"}]}"#),
            "Policy statement must contain resources."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"getstage","Resource":"*"}]}"#
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"}]}"#
            ),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"x","Effect":"Allow","Action":"a:b","Resource":"*"}]}"#
            ),
            "Statement IDs (SID) in a single policy must be unique."
        );
    }

    #[test]
    fn pages_by_key() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (p1, m1) = page(items.clone(), None, 2).unwrap();
        assert_eq!(p1, vec![0, 1]);
        let (p2, m2) = page(items.clone(), m1.as_deref(), 2).unwrap();
        assert_eq!(p2, vec![2, 3]);
        let (p3, m3) = page(items.clone(), m2.as_deref(), 2).unwrap();
        assert_eq!(p3, vec![4]);
        assert!(m3.is_none());
        assert_eq!(
            page(items, Some("garbage!"), 2).unwrap_err().code,
            "InvalidInput"
        );
    }

    #[test]
    fn validation_messages() {
        let mut v = Violations::default();
        v.pattern("policyName", "a b", false, r"[\w+=,.@-]+");
        assert_eq!(
            v.finish(VALIDATION_ERROR).unwrap_err().message,
            r"1 validation error detected: Value 'a b' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        );
    }

    fn form(body: &str) -> Request {
        let mut headers = BTreeMap::new();
        headers.insert(
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        );
        Request {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::from(body.to_string()),
            region: "us-east-1".into(),
        }
    }

    fn ctx() -> Context {
        Context {
            account_id: "123456789012".into(),
            request_id: "rid".into(),
            now: 1_795_609_578,
            enforce_resource_quotas: false,
        }
    }

    #[test]
    fn routes_by_action() {
        let r = IamService
            .route(&form("Action=CreatePolicy&Version=2010-05-08"))
            .unwrap();
        assert_eq!(
            (r.operation.as_str(), r.protocol),
            ("CreatePolicy", Protocol::AwsQuery)
        );
        let (proto, e) = IamService
            .route(&form("Action=CreateRole&Version=2010-05-08"))
            .unwrap_err();
        assert_eq!(
            (proto, e.code.as_str(), e.status),
            (Protocol::AwsQuery, "InvalidAction", 400)
        );
        let (_, e) = IamService.route(&form("Version=2010-05-08")).unwrap_err();
        assert_eq!(e.code, "MissingAction");
    }

    #[test]
    fn state_survives_serialisation() {
        let mut state = LocalState::default();
        let create = form(&format!(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&Path=%2Fa%2F&PolicyDocument={}&Tags.member.1.Key=k&Tags.member.1.Value=v",
            rfc3986_encode(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}"#
            )
        ));
        let route = IamService.route(&create).unwrap();
        let resp = IamService
            .handle(&route, &create, &mut state, &ctx())
            .unwrap();
        assert_eq!(resp.status, 200);
        let get =
            form("Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fa%2Fp");
        let route = IamService.route(&get).unwrap();
        let before = IamService.handle(&route, &get, &mut state, &ctx()).unwrap();
        let json = serde_json::to_string(&state).unwrap();
        let mut restored: LocalState = serde_json::from_str(&json).unwrap();
        let after = IamService
            .handle(&route, &get, &mut restored, &ctx())
            .unwrap();
        assert_eq!(before.body, after.body);
        let body = std::str::from_utf8(&after.body).unwrap();
        assert!(
            body.contains("<Arn>arn:aws:iam::123456789012:policy/a/p</Arn>"),
            "{body}"
        );
        assert!(
            body.contains("<CreateDate>2026-11-25T12:26:18Z</CreateDate>"),
            "{body}"
        );
        assert!(
            body.contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags>"),
            "{body}"
        );
    }
}
