//! Resource tags: one implementation of TagResource / UntagResource / ListTagsForResource
//! semantics for every service. What differs between services is data ([`TagRules`]: the
//! tag limit, whether keys compare without case, the reserved `aws:` prefix, how a
//! duplicate key in one request is treated, the errors) and where a resource's tags live
//! ([`Tagging::find`]). Key and value lengths and patterns are model constraints, checked
//! by the input shapes before any of this runs.

use std::collections::BTreeMap;

use crate::api::ApiError;
use crate::document::Document;
use crate::service::Ctx;

/// A service's tagging rules.
pub struct TagRules {
    /// Tags a resource may carry.
    pub max_tags: usize,
    /// Keys compare without case (IAM): `Env` replaces `env`.
    pub case_insensitive_keys: bool,
    /// Keys starting with `aws:` (in any case) are refused with this error.
    pub reserved: Option<fn(&str) -> ApiError>,
    /// The reserved prefix is refused when untagging too (IVS).
    pub reserved_on_untag: bool,
    /// A key given twice in one request is refused with this error; `None`: the last wins.
    pub duplicate: Option<fn() -> ApiError>,
    /// The resource would carry this many tags, more than `max_tags`.
    pub too_many: fn(usize) -> ApiError,
}

/// How tags are written in a service's input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFormat {
    /// `{"key": "value"}` (IVS).
    Map,
    /// `[{"Key": "key", "Value": "value"}]` (IAM, CloudWatch, Budgets).
    List,
}

/// Where a resource keeps its tags. Services store them as a map or in insertion order.
pub trait TagStore {
    fn pairs(&self) -> Vec<(String, String)>;
    fn set_pairs(&mut self, tags: Vec<(String, String)>);
}

impl TagStore for BTreeMap<String, String> {
    fn pairs(&self) -> Vec<(String, String)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    fn set_pairs(&mut self, tags: Vec<(String, String)>) {
        *self = tags.into_iter().collect();
    }
}

impl TagStore for Vec<(String, String)> {
    fn pairs(&self) -> Vec<(String, String)> {
        self.clone()
    }
    fn set_pairs(&mut self, tags: Vec<(String, String)>) {
        *self = tags;
    }
}

/// The tag operations of a service: its rules, input member names, and how to find the
/// tags of the resource an ARN names (with the service's not-found and access errors).
pub struct Tagging {
    pub rules: TagRules,
    pub format: TagFormat,
    pub arn_member: &'static str,
    pub tags_member: &'static str,
    pub keys_member: &'static str,
    pub find: for<'a, 'b> fn(&'a mut Ctx<'b>, &str) -> Result<&'a mut dyn TagStore, ApiError>,
}

/// The tags in member `member` of a validated input, in the order given.
pub fn read(input: &Document, member: &str, format: TagFormat) -> Vec<(String, String)> {
    match format {
        TagFormat::Map => input
            .get(member)
            .and_then(Document::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
        TagFormat::List => input
            .get_list(member)
            .iter()
            .filter_map(|t| {
                Some((
                    t.get_str("Key")?.to_string(),
                    t.get_str("Value")?.to_string(),
                ))
            })
            .collect(),
    }
}

/// Tags as the service writes them.
pub fn to_document(tags: &[(String, String)], format: TagFormat) -> Document {
    match format {
        TagFormat::Map => Document::Map(
            tags.iter()
                .map(|(k, v)| (k.clone(), Document::str(v)))
                .collect(),
        ),
        TagFormat::List => Document::List(
            tags.iter()
                .map(|(k, v)| {
                    Document::from_pairs([("Key", Document::str(k)), ("Value", Document::str(v))])
                })
                .collect(),
        ),
    }
}

fn same_key(rules: &TagRules, a: &str, b: &str) -> bool {
    if rules.case_insensitive_keys {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn reserved(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

/// Tags a request wants to set: no reserved keys, and no key twice if the service refuses
/// that. Also for the tags given when a resource is created.
pub fn check_new(tags: &[(String, String)], rules: &TagRules) -> Result<(), ApiError> {
    for (i, (k, _)) in tags.iter().enumerate() {
        if let Some(err) = rules.reserved
            && reserved(k)
        {
            return Err(err(k));
        }
        if let Some(err) = rules.duplicate
            && tags[..i].iter().any(|(o, _)| same_key(rules, o, k))
        {
            return Err(err());
        }
    }
    Ok(())
}

/// `existing` with `new` set on top: a key already there (by the service's comparison)
/// takes the new spelling and value in place; others are appended. Refused past the limit.
pub fn merge(
    mut existing: Vec<(String, String)>,
    new: Vec<(String, String)>,
    rules: &TagRules,
) -> Result<Vec<(String, String)>, ApiError> {
    for (k, v) in new {
        match existing.iter_mut().find(|(o, _)| same_key(rules, o, &k)) {
            Some(slot) => *slot = (k, v),
            None => existing.push((k, v)),
        }
    }
    if existing.len() > rules.max_tags {
        return Err((rules.too_many)(existing.len()));
    }
    Ok(existing)
}

/// TagResource: add or overwrite the request's tags on the resource its ARN names.
pub fn tag_resource(ctx: &mut Ctx<'_>, input: &Document, t: &Tagging) -> Result<(), ApiError> {
    let new = read(input, t.tags_member, t.format);
    check_new(&new, &t.rules)?;
    let arn = input.get_str(t.arn_member).unwrap_or_default().to_string();
    let store = (t.find)(ctx, &arn)?;
    let merged = merge(store.pairs(), new, &t.rules)?;
    store.set_pairs(merged);
    Ok(())
}

/// UntagResource: remove the named keys (unknown keys are ignored).
pub fn untag_resource(ctx: &mut Ctx<'_>, input: &Document, t: &Tagging) -> Result<(), ApiError> {
    let keys = input.get_strings(t.keys_member);
    if t.rules.reserved_on_untag
        && let Some(err) = t.rules.reserved
        && let Some(k) = keys.iter().find(|k| reserved(k))
    {
        return Err(err(k));
    }
    let arn = input.get_str(t.arn_member).unwrap_or_default().to_string();
    let store = (t.find)(ctx, &arn)?;
    let mut tags = store.pairs();
    tags.retain(|(k, _)| !keys.iter().any(|r| same_key(&t.rules, r, k)));
    store.set_pairs(tags);
    Ok(())
}

/// ListTagsForResource: the resource's tags.
pub fn list(
    ctx: &mut Ctx<'_>,
    input: &Document,
    t: &Tagging,
) -> Result<Vec<(String, String)>, ApiError> {
    let arn = input.get_str(t.arn_member).unwrap_or_default().to_string();
    Ok((t.find)(ctx, &arn)?.pairs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(case_insensitive: bool, duplicate: bool) -> TagRules {
        TagRules {
            max_tags: 3,
            case_insensitive_keys: case_insensitive,
            reserved: Some(|k| ApiError::new(400, "Reserved", k)),
            reserved_on_untag: false,
            duplicate: duplicate
                .then_some((|| ApiError::new(400, "Duplicate", "")) as fn() -> ApiError),
            too_many: |n| ApiError::new(400, "TooMany", n.to_string()),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn merging_follows_the_rules() {
        let exact = rules(false, false);
        let merged = merge(
            pairs(&[("a", "1"), ("b", "2")]),
            pairs(&[("b", "3"), ("c", "4")]),
            &exact,
        );
        assert_eq!(
            merged.unwrap(),
            pairs(&[("a", "1"), ("b", "3"), ("c", "4")])
        );
        let e = merge(
            pairs(&[("a", "1"), ("b", "2")]),
            pairs(&[("c", "3"), ("d", "4")]),
            &exact,
        );
        assert_eq!(e.unwrap_err().message, "4");
        let nocase = rules(true, true);
        let merged = merge(pairs(&[("Env", "1")]), pairs(&[("env", "2")]), &nocase).unwrap();
        assert_eq!(merged, pairs(&[("env", "2")]));
    }

    #[test]
    fn new_tags_are_checked() {
        assert_eq!(
            check_new(&pairs(&[("AWS:x", "1")]), &rules(false, false))
                .unwrap_err()
                .code,
            "Reserved"
        );
        assert!(check_new(&pairs(&[("a", "1"), ("a", "2")]), &rules(false, false)).is_ok());
        assert_eq!(
            check_new(&pairs(&[("Env", "1"), ("env", "2")]), &rules(true, true))
                .unwrap_err()
                .code,
            "Duplicate"
        );
    }

    #[test]
    fn formats() {
        let t = pairs(&[("k", "v")]);
        let list = to_document(&t, TagFormat::List);
        let input = Document::from_pairs([("Tags", list)]);
        assert_eq!(read(&input, "Tags", TagFormat::List), t);
        let map = to_document(&t, TagFormat::Map);
        let input = Document::from_pairs([("tags", map)]);
        assert_eq!(read(&input, "tags", TagFormat::Map), t);
    }
}
