//! IVS Real-Time storage configurations (`storage_configurations.<id>`): the S3 bucket that
//! stages record to.
//!
//! Spec fields: `name`, `s3_bucket`. IVS has no update for them, so a change replaces the
//! storage configuration: the new one first, then the stages that record to it move over
//! (their `recording.storage` names it by logical id), then the old one goes. AWS refuses
//! to delete one that a stage records to, so a stage that stays keeps it alive (the
//! planner's `keeps_alive` rule), and one that a stage outside the plan uses is found
//! before any delete ([`ResourceKind::users_outside`]) and never attempted.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::{Map, Value, json};

pub use model::StorageConfiguration;

use super::{Attribute, FieldRef, Kind, Known, LiveRef, Names, Resource, ResourceKind, Service};
use crate::aws::Aws;
use crate::stack::check::field_path;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Finish, Validator};

impl ResourceKind for StorageConfiguration {
    const KIND: Kind = Kind::StorageConfiguration;
    const NOUN: &'static str = "storage configuration";
    const SERVICE: Service = Service::Ivs;
    // No UpdateStorageConfiguration: everything but tags is fixed at creation.
    const REPLACE_FIELDS: &'static [&'static str] = &["name", "s3_bucket"];
    // Stages record to the ARN.
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 128;
    const NAMES: Names = Names::NotUnique;
    const MAX_TAGS: usize = validate::MAX_TAGS;
    const UNOBSERVED: &'static [&'static str] = &[];

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn protect(&self) -> bool {
        self.protect
    }

    fn references(&self) -> Vec<FieldRef> {
        Vec::new()
    }

    fn spec(&self, _stack: &StackFile, _id: &str, _known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        spec.insert("s3_bucket".into(), json!(self.s3_bucket));
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, _stack: &StackFile, id: &str) {
        let path = field_path(&["storage_configurations", id, "s3_bucket"]);
        if let Some(problem) = bucket_name_problem(&self.s3_bucket) {
            v.error(
                "bucket",
                &path,
                format!(
                    "`{}` cannot be an S3 bucket name: {problem}",
                    self.s3_bucket
                ),
            )
            .set_help("S3 bucket names are 3-63 lowercase letters, digits, `-` and `.`, start and end with a letter or digit, and are not IP addresses");
        }
    }

    fn policy_arn_example(region: &str, account: &str) -> Option<String> {
        Some(format!(
            "arn:aws:ivs:{region}:{account}:storage-configuration/AbCdEfGhIjKl"
        ))
    }

    fn live_references(_live: &Resource) -> Vec<LiveRef> {
        Vec::new()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, &stack.stack).await
    }

    async fn users_outside(
        aws: &Aws,
        stack: &StackFile,
        observed: &[Resource],
        going: &[&Resource],
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        aws::users_outside(aws, stack, observed, going).await
    }

    async fn create(aws: &Aws, stack: &str, desired: &Resource) -> anyhow::Result<String> {
        aws::create(aws, stack, desired).await
    }

    async fn update(aws: &Aws, desired: &Resource, live: &Resource) -> anyhow::Result<()> {
        let arn = live.physical_id.as_deref().unwrap_or_default();
        super::ivs::update_tags(aws, arn, &desired.tags, &live.tags).await
    }

    async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
        aws::delete(aws, live).await
    }

    async fn discover(aws: &Aws, wanted: &super::Wanted) -> anyhow::Result<Vec<Resource>> {
        aws::discover(aws, wanted).await
    }

    fn render(
        live: &Resource,
        _ids: &super::LogicalIds,
        _notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        Ok(StorageConfiguration {
            name: Some(live.name().to_string()),
            s3_bucket: live.spec["s3_bucket"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            tags: super::discover::own_tags(&live.tags),
            protect: false,
        })
    }

    async fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        super::ivs::adopt(aws, live, tags).await
    }
}

/// What makes a name that fits the model's pattern (`[a-z0-9-.]+`, 3-63 characters) still
/// impossible for an S3 bucket, so that no bucket of that name can exist.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() {
        return None; // the schema reports the length
    }
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("it must start and end with a lowercase letter or a digit");
    }
    if name.contains("..") {
        return Some("it has two adjacent periods");
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return Some("it is formatted as an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") {
        return Some("the prefixes `xn--` and `sthree-` are reserved");
    }
    if name.ends_with("-s3alias") || name.ends_with("--ol-s3") || name.ends_with("--x-s3") {
        return Some("the suffixes `-s3alias`, `--ol-s3` and `--x-s3` are reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::desired_of;
    use crate::stack::load_str;

    #[test]
    fn bucket_names_s3_cannot_have_are_refused() {
        for ok in ["my-ivs-recordings", "a.b.c", "abc", "1bucket2"] {
            assert_eq!(bucket_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "-leading",
            "trailing.",
            "two..dots",
            "192.168.1.10",
            "xn--bucket",
            "b-s3alias",
        ] {
            assert!(bucket_name_problem(bad).is_some(), "{bad}");
        }
        let src = "stack: s\nregion: us-east-1\nstorage_configurations:\n  rec:\n    s3_bucket: two..dots\n";
        let text = load_str("t.yaml", src).expect_err("refused").render(false);
        assert!(text.contains("two adjacent periods"), "{text}");
        assert!(text.contains("t.yaml:5:16"), "{text}");
        assert!(
            text.contains("storage_configurations.rec.s3_bucket"),
            "{text}"
        );
        // The model's own limits come from the schema.
        let src = "stack: s\nregion: us-east-1\nstorage_configurations:\n  rec:\n    s3_bucket: My_Bucket\n";
        let text = load_str("t.yaml", src).expect_err("refused").render(false);
        assert!(text.contains("not an S3 bucket name"), "{text}");
    }

    #[test]
    fn the_desired_form_has_the_bucket_and_the_default_name() {
        let src = "stack: s\nregion: us-east-1\nstorage_configurations:\n  rec:\n    s3_bucket: my-bucket\n";
        let loaded = load_str("t.yaml", src).expect("valid");
        let d = desired_of(
            &loaded.model,
            Kind::StorageConfiguration,
            "rec",
            &Known::new(),
        )
        .expect("declared");
        assert_eq!(
            Value::Object(d.spec),
            json!({"name": "s-rec", "s3_bucket": "my-bucket"})
        );
        assert_eq!(d.tags["ivstack:id"], "rec");
    }
}
