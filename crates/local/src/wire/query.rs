//! The awsQuery protocol (IAM, STS, and CloudWatch for older SDKs): form-urlencoded requests,
//! XML responses.
//!
//! Requests are `Action=Op&Version=V&Param=...` form bodies (a GET query string is read too).
//! Nested input is flattened into dotted names, as `aws-smithy-query` and botocore write it:
//!
//! - lists: `Tags.member.1.Key=k&Tags.member.1.Value=v` (an empty list is the bare `Tags=`),
//! - maps: `Attrs.entry.1.key=k&Attrs.entry.1.value=v`,
//! - structures: `Struct.Field=x`.
//!
//! [`QueryParams`] reads those back. Responses are written with [`XmlWriter`] and wrapped by
//! [`response`] into `<OpResponse xmlns=..><OpResult>..</OpResult><ResponseMetadata>..`;
//! errors by [`error_response`] into `<ErrorResponse><Error><Type/><Code/><Message/></Error>
//! <RequestId/></ErrorResponse>`, which is what the SDKs' `rest_xml_wrapped_errors` and
//! botocore's query parser read. The server adds the `x-amzn-RequestId` header.

use std::collections::BTreeMap;

use crate::api::{ApiError, Request, Response};

/// Content type of every awsQuery response.
pub const CONTENT_TYPE: &str = "text/xml";

/// The error code awsQuery services answer malformed or out-of-constraint input with.
pub const VALIDATION_ERROR: &str = "ValidationError";

/// Decoded request parameters, keyed by their full dotted name. Also used for the members
/// of one list element or map entry (then keyed relative to that element).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryParams {
    params: BTreeMap<String, String>,
}

impl QueryParams {
    /// Parse a request: the URL query string and, for a form-encoded body, the body. Body
    /// parameters win over query-string ones of the same name.
    pub fn parse(req: &Request) -> QueryParams {
        let mut params = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
            params.insert(k.into_owned(), v.into_owned());
        }
        let is_form = req.header("content-type").is_none_or(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if is_form {
            for (k, v) in form_urlencoded::parse(&req.body) {
                params.insert(k.into_owned(), v.into_owned());
            }
        }
        QueryParams { params }
    }

    /// Parameters from explicit pairs (tests, nested elements).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> QueryParams {
        QueryParams {
            params: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The `Action` parameter: the operation name.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The value of a scalar parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Whether the parameter, or any member nested under it, is present.
    pub fn has(&self, name: &str) -> bool {
        self.params.contains_key(name) || self.children(name).next().is_some()
    }

    /// All `(rest, value)` pairs whose name starts with `name.`.
    fn children<'a>(&'a self, name: &str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let prefix = format!("{name}.");
        let skip = prefix.len();
        self.params
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(move |(k, v)| (&k[skip..], v.as_str()))
    }

    /// Elements of the list `name` (`name.member.N...`), ordered by N, each as the params
    /// below `name.member.N` (the element's own value, for a list of scalars, under "").
    /// `None` when the list is absent; `Some(vec![])` for the bare `name=` of an empty list.
    fn elements(&self, name: &str, member: &str) -> Option<Vec<QueryParams>> {
        let mut by_index: BTreeMap<u64, QueryParams> = BTreeMap::new();
        for (rest, value) in self.children(name) {
            let Some(after) = rest.strip_prefix(member).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let (index, sub) = match after.split_once('.') {
                Some((i, sub)) => (i, sub),
                None => (after, ""),
            };
            let Ok(index) = index.parse::<u64>() else {
                continue;
            };
            by_index
                .entry(index)
                .or_default()
                .params
                .insert(sub.to_string(), value.to_string());
        }
        if by_index.is_empty() {
            return self.params.contains_key(name).then(Vec::new);
        }
        Some(by_index.into_values().collect())
    }

    /// A list of scalars: `name.member.N=value`.
    pub fn string_list(&self, name: &str) -> Option<Vec<String>> {
        self.elements(name, "member").map(|els| {
            els.into_iter()
                .filter_map(|mut e| e.params.remove(""))
                .collect()
        })
    }

    /// A list of structures: `name.member.N.Field=value`; each element's params are keyed by
    /// `Field` (and deeper dotted names).
    pub fn struct_list(&self, name: &str) -> Option<Vec<QueryParams>> {
        self.elements(name, "member")
    }

    /// A map of scalars: `name.entry.N.<key_name>=k&name.entry.N.<value_name>=v`. awsQuery
    /// defaults are `key`/`value`; models may rename them.
    pub fn map(
        &self,
        name: &str,
        key_name: &str,
        value_name: &str,
    ) -> Option<BTreeMap<String, String>> {
        self.elements(name, "entry").map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| {
                    let k = e.get(key_name)?.to_string();
                    let v = e.get(value_name).unwrap_or_default().to_string();
                    Some((k, v))
                })
                .collect()
        })
    }

    /// The members of the structure `name` (`name.Field=...`), keyed by `Field`.
    pub fn structure(&self, name: &str) -> Option<QueryParams> {
        let params: BTreeMap<String, String> = self
            .children(name)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (!params.is_empty()).then_some(QueryParams { params })
    }

    /// A boolean parameter (`true`/`false`, as the SDKs write it).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(malformed(name, v, "boolean")),
        }
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| malformed(name, v, "integer")),
        }
    }

    /// A floating-point parameter.
    pub fn double(&self, name: &str) -> Result<Option<f64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| malformed(name, v, "double")),
        }
    }
}

fn malformed(name: &str, value: &str, kind: &str) -> ApiError {
    ApiError::new(
        400,
        VALIDATION_ERROR,
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must be a valid {kind}",
            lower_camel(name)
        ),
    )
}

/// Collects violations of model constraints (required, length, pattern, enum, range) and
/// words them as AWS services do, whatever the protocol: `1 validation error detected: Value
/// 'x' at 'policyName' failed to satisfy constraint: Member must ...`. awsQuery services use
/// the code [`VALIDATION_ERROR`]; JSON services `ValidationException`.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// Record that `member` (with `value`, `None` printing as `null`) violates `constraint`.
    pub fn add(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.0.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required awsQuery string member.
    pub fn required<'a>(&mut self, p: &'a QueryParams, name: &str) -> Option<&'a str> {
        let v = p.get(name);
        if v.is_none() {
            self.add(None, &lower_camel(name), "Member must not be null");
        }
        v
    }

    pub fn length(&mut self, member: &str, v: &str, min: usize, max: usize) {
        let n = v.chars().count();
        if n < min {
            self.add(
                Some(v),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.add(
                Some(v),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn pattern(&mut self, member: &str, v: &str, ok: bool, pattern: &str) {
        if !ok {
            self.add(
                Some(v),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    pub fn enumeration(&mut self, member: &str, v: &str, allowed: &[&str]) {
        if !allowed.contains(&v) {
            self.add(
                Some(v),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    pub fn range(&mut self, member: &str, v: i64, min: i64, max: i64) {
        let s = v.to_string();
        if v < min {
            self.add(
                Some(&s),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if v > max {
            self.add(
                Some(&s),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// Whether nothing was violated so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was violated, else one 400 error with `code` listing every violation.
    pub fn finish(self, code: &str) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::new(
                400,
                code,
                format!("1 validation error detected: {}", self.0[0]),
            )),
            n => Err(ApiError::new(
                400,
                code,
                format!("{n} validation errors detected: {}", self.0.join("; ")),
            )),
        }
    }
}

/// `PolicyName` -> `policyName`: how AWS names members in validation messages.
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Escape text for an XML element body or attribute value. `\r` is written as a character
/// reference because XML parsers would otherwise normalise it to `\n`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// A minimal XML builder: elements are written in call order, text is escaped.
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub fn new() -> XmlWriter {
        XmlWriter::default()
    }

    /// `<name>`.
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>escaped text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name);
        self.out.push_str(&escape(text));
        self.end(name)
    }

    /// [`XmlWriter::elem`] when `text` is present; nothing otherwise (absent members are
    /// omitted on the wire).
    pub fn opt_elem(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    pub fn bool_elem(&mut self, name: &str, value: bool) -> &mut Self {
        self.elem(name, if value { "true" } else { "false" })
    }

    pub fn int_elem(&mut self, name: &str, value: i64) -> &mut Self {
        self.elem(name, &value.to_string())
    }

    /// A timestamp in the ISO-8601 form awsQuery services send (`2026-11-25T12:26:18Z`).
    pub fn time_elem(&mut self, name: &str, epoch_seconds: i64) -> &mut Self {
        self.elem(name, &iso8601(epoch_seconds))
    }

    /// Append already-formed XML.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.out.push_str(xml);
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(epoch_seconds: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(epoch_seconds)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// A success response: `<{action}Response xmlns="{xmlns}"><{action}Result>{result}</..>
/// <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></{action}Response>`.
/// Operations without output pass `None` and get no `Result` element, as AWS sends it.
pub fn response(action: &str, xmlns: &str, result: Option<&str>, request_id: &str) -> Response {
    let mut body = format!("<{action}Response xmlns=\"{}\">", escape(xmlns));
    if let Some(r) = result {
        body.push_str(&format!("<{action}Result>{r}</{action}Result>"));
    }
    body.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    ));
    Response::new(200, CONTENT_TYPE, body)
}

/// The awsQuery error document, with the error's status code. `Type` is `Sender` for
/// client faults and `Receiver` for server faults.
pub fn error_response(err: &ApiError, xmlns: &str, request_id: &str) -> Response {
    let mut w = XmlWriter::new();
    w.raw(&format!("<ErrorResponse xmlns=\"{}\">", escape(xmlns)));
    w.start("Error")
        .elem(
            "Type",
            if err.sender_fault {
                "Sender"
            } else {
                "Receiver"
            },
        )
        .elem("Code", &err.code)
        .elem("Message", &err.message)
        .end("Error")
        .elem("RequestId", request_id)
        .end("ErrorResponse");
    Response::new(err.status, CONTENT_TYPE, w.finish())
}

/// The error for an `Action` the service does not know (or a missing one), as AWS words it.
pub fn invalid_action(action: Option<&str>, version: &str) -> ApiError {
    match action {
        Some(a) => ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {a} for version {version}"),
        ),
        None => ApiError::new(400, "MissingAction", "Missing Action"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn req(body: &str) -> Request {
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
            body: Bytes::from(body.to_string()),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn parses_scalars_lists_structs_and_maps() {
        let p = QueryParams::parse(&req(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=a%2Bb&Tags.member.2.Key=k2&Tags.member.2.Value=v2\
             &Tags.member.1.Key=k1&Tags.member.1.Value=v%20one&Keys.member.10=z&Keys.member.2=b\
             &M.entry.1.key=x&M.entry.1.value=1&S.A=1&S.B.C=2",
        ));
        assert_eq!(p.action(), Some("CreatePolicy"));
        assert_eq!(p.get("PolicyName"), Some("a+b"));
        let tags = p.struct_list("Tags").unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].get("Key"), Some("k1"));
        assert_eq!(tags[0].get("Value"), Some("v one"));
        assert_eq!(tags[1].get("Key"), Some("k2"));
        // Numeric, not lexicographic, order of member indices.
        assert_eq!(p.string_list("Keys").unwrap(), vec!["b", "z"]);
        assert_eq!(
            p.map("M", "key", "value")
                .unwrap()
                .get("x")
                .map(String::as_str),
            Some("1")
        );
        let s = p.structure("S").unwrap();
        assert_eq!(s.get("A"), Some("1"));
        assert_eq!(s.get("B.C"), Some("2"));
        assert!(p.string_list("Missing").is_none());
    }

    #[test]
    fn bare_name_is_an_empty_list() {
        let p = QueryParams::parse(&req("Action=UntagPolicy&TagKeys="));
        assert_eq!(p.string_list("TagKeys"), Some(vec![]));
        assert!(p.has("TagKeys"));
    }

    #[test]
    fn typed_values() {
        let p = QueryParams::from_pairs([("B", "true"), ("I", "12"), ("X", "nope")]);
        assert_eq!(p.bool("B").unwrap(), Some(true));
        assert_eq!(p.int("I").unwrap(), Some(12));
        let e = p.int("X").unwrap_err();
        assert_eq!(e.code, VALIDATION_ERROR);
        assert!(e.message.contains("'x'"), "{}", e.message);
        assert_eq!(p.bool("Nope").unwrap(), None);
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(
            escape("a<b>&\"c'\r\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n"
        );
    }

    #[test]
    fn wraps_responses_and_errors() {
        let mut w = XmlWriter::new();
        w.start("Policy").elem("PolicyName", "p&q").end("Policy");
        let r = response(
            "GetPolicy",
            "https://iam.amazonaws.com/doc/2010-05-08/",
            Some(&w.finish()),
            "rid",
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            "<GetPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetPolicyResult>\
             <Policy><PolicyName>p&amp;q</PolicyName></Policy></GetPolicyResult><ResponseMetadata>\
             <RequestId>rid</RequestId></ResponseMetadata></GetPolicyResponse>"
        );
        let e = ApiError::new(404, "NoSuchEntity", "Policy <x> not found");
        let r = error_response(&e, "https://iam.amazonaws.com/doc/2010-05-08/", "rid");
        assert_eq!(r.status, 404);
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.contains("<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Policy &lt;x&gt; not found</Message></Error><RequestId>rid</RequestId>"), "{body}");
        let r = response("SetDefaultPolicyVersion", "ns", None, "rid");
        assert!(!std::str::from_utf8(&r.body).unwrap().contains("Result"));
    }

    #[test]
    fn formats_timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_764_073_578), "2025-11-25T12:26:18Z");
    }
}
