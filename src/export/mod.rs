//! `ivstack export --format cloudformation`: a stack as an equivalent CloudFormation
//! template (YAML).
//!
//! Each kind says what it is in CloudFormation ([`crate::kinds::audited::Audited`]: type,
//! properties, ARN attribute), reached through the registry; this module assembles the
//! template: logical ids ([`ids`]), references as intrinsic functions ([`intrinsics`]),
//! `DeletionPolicy` / `UpdateReplacePolicy: Retain` for protected resources, and the YAML
//! ([`yaml`]). Offline and pure: the stack file is all it reads.
//!
//! What CloudFormation cannot express (an ingest configuration's `attributes`, say) is an
//! error at that field, unless the caller asks to leave such fields out: then each
//! resource that lost one says so in its `Metadata` (`ivstack:left-out`).

pub mod ids;
pub mod intrinsics;
pub mod yaml;

use serde_json::{Map, Value, json};

use crate::kinds::{Known, desired};
use crate::stack::diagnostics::{Diagnostic, Diagnostics};
use crate::stack::load::LoadedStack;

/// The diagnostic code of a field CloudFormation cannot express.
pub const UNSUPPORTED: &str = "cfn-unsupported";

/// A field left out of the template (with `skip_unsupported`).
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// Its stack-file path: `ingest_configurations.studio-encoder.attributes`.
    pub path: String,
    pub why: String,
}

/// A template and what it could not carry.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template as JSON data (what [`yaml::to_yaml`] prints).
    pub value: Value,
    pub left_out: Vec<LeftOut>,
}

impl Template {
    pub fn yaml(&self) -> String {
        yaml::to_yaml(&self.value)
    }
}

/// The stack as a CloudFormation template. Errors name each field CloudFormation cannot
/// express (unless `skip_unsupported`) and each reference it cannot make.
pub fn cloudformation(
    loaded: &LoadedStack,
    skip_unsupported: bool,
) -> Result<Template, Diagnostics> {
    let stack = &loaded.model;
    // Every reference stays a placeholder: in the template it is an intrinsic function.
    let resources = desired(stack, &Known::new());
    let ids = ids::logical_ids(resources.iter().map(|r| (r.kind, r.id.as_str())));
    let mut errors = Diagnostics::new();
    errors.add_source(&loaded.name, loaded.source.clone());
    let mut left_out = Vec::new();
    let mut out = Map::new();

    for r in &resources {
        let base = format!("{}.{}", r.kind.section(), r.id);
        let cfn = r.kind.cloudformation(r);
        let mut metadata = Map::new();
        metadata.insert("ivstack:id".into(), json!(base));
        metadata.extend(cfn.metadata);
        let mut skipped = Vec::new();
        for u in cfn.unsupported {
            let path = format!("{base}.{}", u.field);
            if skip_unsupported {
                skipped.push(json!({"field": u.field, "why": u.why}));
                left_out.push(LeftOut { path, why: u.why });
            } else {
                errors.push(
                    Diagnostic::error(
                        UNSUPPORTED,
                        &loaded.name,
                        format!("CloudFormation cannot express `{}`: {}", u.field, u.why),
                    )
                    .at(loaded.spans.key_span(&path))
                    .path(path)
                    .help(
                        "remove the field from the stack file, or run `ivstack export \
                         --skip-unsupported` to leave it out of the template (each resource \
                         that lost a field lists it under `Metadata: ivstack:left-out`)",
                    ),
                );
            }
        }
        if !skipped.is_empty() {
            metadata.insert("ivstack:left-out".into(), Value::Array(skipped));
        }
        let properties = match intrinsics::replace(&Value::Object(cfn.properties), &ids) {
            Ok(p) => p,
            Err(e) => {
                errors.push(
                    Diagnostic::error(
                        UNSUPPORTED,
                        &loaded.name,
                        format!(
                            "CloudFormation cannot refer to `{}`: {}",
                            e.reference, e.why
                        ),
                    )
                    .at(loaded.spans.key_span(&base))
                    .path(base.clone()),
                );
                continue;
            }
        };
        let mut res = Map::new();
        res.insert("Type".into(), json!(r.kind.cfn_type()));
        if r.protected() {
            // ivstack never deletes a protected resource; neither will CloudFormation,
            // whether the resource leaves the template or must be replaced.
            res.insert("DeletionPolicy".into(), json!("Retain"));
            res.insert("UpdateReplacePolicy".into(), json!("Retain"));
        }
        res.insert("Metadata".into(), Value::Object(metadata));
        res.insert("Properties".into(), properties);
        let logical = ids
            .get(&(r.kind, r.id.clone()))
            .cloned()
            .unwrap_or_default();
        out.insert(logical, Value::Object(res));
    }
    if errors.has_errors() {
        return Err(errors);
    }
    let account = stack
        .account
        .as_deref()
        .map(|a| format!(", account {a}"))
        .unwrap_or_default();
    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    template.insert(
        "Description".into(),
        json!(format!(
            "ivstack stack {} (region {}{account}), exported by ivstack {}",
            stack.stack,
            stack.region,
            env!("CARGO_PKG_VERSION")
        )),
    );
    template.insert("Resources".into(), Value::Object(out));
    Ok(Template {
        value: Value::Object(template),
        left_out,
    })
}
