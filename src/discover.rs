//! `ivstack discover`'s output: discovered live resources written as one stack file.
//!
//! A pure function of the discovered resources ([`write`]): logical ids from names
//! ([`LogicalIds`]), each resource in its kind's stack-file form (`Kind::render`), a
//! comment with its ARN above it (and with whatever it could not say), and at the end the
//! resources that could not be described at all. Nothing is dropped silently: every note
//! and every skipped resource is also returned as a warning, for standard error.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use yaml_rust2::yaml::{Hash, Yaml};
use yaml_rust2::{Yaml as Y, YamlEmitter};

use crate::kinds::discover::owned_by_any;
use crate::kinds::{Kind, LogicalIds, Resource};

/// What `discover` writes.
#[derive(Debug, Clone)]
pub struct Options {
    pub stack: String,
    pub region: String,
    pub account: Option<String>,
    /// Leave out what any ivstack stack owns.
    pub only_unmanaged: bool,
}

/// The stack file, and the warnings for standard error.
#[derive(Debug, Clone)]
pub struct Output {
    pub text: String,
    pub warnings: Vec<String>,
}

/// The default stack name of a discovered file: `discovered-<region>`.
pub fn default_stack(region: &str) -> String {
    format!("discovered-{region}")
}

/// Write `found` (every live resource discovery returned) as a stack file.
pub fn write(found: &[Resource], opts: &Options) -> Output {
    let kept: Vec<Resource> = found
        .iter()
        .filter(|r| !(opts.only_unmanaged && owned_by_any(r).is_some()))
        .cloned()
        .collect();
    let mut warnings = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut skip = |r: &Resource, why: String, warnings: &mut Vec<String>| {
        let what = describe(r);
        warnings.push(format!("not described: {what}: {why}"));
        skipped.push(format!("{what}: {why}"));
    };
    // A stack holds one resource per physical name and kind (IVS allows several): the
    // first by ARN is described, the others are listed as skipped.
    let mut by_name: BTreeMap<(Kind, String), Vec<String>> = BTreeMap::new();
    for r in &kept {
        by_name
            .entry((r.kind, r.name().to_lowercase()))
            .or_default()
            .push(arn_of(r).to_string());
    }
    by_name.values_mut().for_each(|v| v.sort_unstable());
    let mut described: Vec<&Resource> = Vec::new();
    for r in &kept {
        let same = &by_name[&(r.kind, r.name().to_lowercase())];
        if same.len() > 1 && same[0] != arn_of(r) {
            let why = format!(
                "{} {}s share its name and a stack holds one per name; describe it in another \
                 stack file (ivstack import --map <section>.<id>={})",
                same.len(),
                r.kind.noun(),
                arn_of(r)
            );
            skip(r, why, &mut warnings);
        } else {
            described.push(r);
        }
    }
    // What cannot be rendered is left out, and ids are given again without it, so that
    // nothing refers to a resource the file does not describe (each round removes at
    // least one resource, so this ends).
    let (ids, rendered) = loop {
        let ids = LogicalIds::assign(&described.iter().map(|r| (*r).clone()).collect::<Vec<_>>());
        let mut rendered = Vec::new();
        let mut failed = Vec::new();
        for (i, r) in described.iter().enumerate() {
            let mut notes = Vec::new();
            match r.kind.render(r, &ids, &mut notes) {
                Ok(v) => rendered.push((*r, v, notes)),
                Err(why) => failed.push((i, why)),
            }
        }
        if failed.is_empty() {
            break (ids, rendered);
        }
        for (i, why) in failed.into_iter().rev() {
            let r = described.remove(i);
            skip(r, why, &mut warnings);
        }
    };
    let mut sections: BTreeMap<Kind, Vec<(String, String)>> = BTreeMap::new();
    for (r, value, mut notes) in rendered {
        let arn = arn_of(r).to_string();
        let what = describe(r);
        let id = ids.of(r.kind, &arn).unwrap_or_default().to_string();
        let same = &by_name[&(r.kind, r.name().to_lowercase())];
        if same.len() > 1 {
            notes.insert(
                0,
                format!(
                    "{} {}s share this name ({}): `ivstack import` needs `--map {}.{id}={arn}`",
                    same.len(),
                    r.kind.noun(),
                    same.join(", "),
                    r.kind.section()
                ),
            );
        }
        let mut block = String::new();
        let _ = writeln!(block, "  # {arn}");
        if owned_by_any(r) == Some(opts.stack.as_str()) {
            let _ = writeln!(block, "  # owned by this stack already (id `{}`)", r.id);
        } else if let Some(owner) = owned_by_any(r) {
            let _ = writeln!(
                block,
                "  # owned by ivstack stack `{owner}` (id `{}`): `ivstack import` refuses it",
                r.id
            );
            warnings.push(format!(
                "{what} is owned by ivstack stack `{owner}`: `ivstack import` refuses it \
                 (use --only-unmanaged to leave such resources out)"
            ));
        }
        for n in &notes {
            let _ = writeln!(block, "  # note: {}", one_line(n));
            warnings.push(format!("{what}: {n}"));
        }
        let mut entry = Hash::new();
        entry.insert(Y::String(id.clone()), resource_yaml(&value));
        for line in emit(&Y::Hash(entry)).lines() {
            let _ = writeln!(block, "  {line}");
        }
        sections.entry(r.kind).or_default().push((id, block));
    }

    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Discovered by `ivstack discover` in region {}{}.",
        opts.region,
        opts.account
            .as_deref()
            .map(|a| format!(", account {a}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        text,
        "# Adopt these resources with `ivstack import FILE` (their ARNs do not change)."
    );
    let _ = writeln!(text, "stack: {}", opts.stack);
    let _ = writeln!(text, "region: {}", opts.region);
    if let Some(a) = &opts.account {
        let _ = writeln!(text, "account: \"{a}\"");
    }
    for kind in Kind::ALL {
        let Some(mut entries) = sections.remove(kind) else {
            continue;
        };
        entries.sort();
        let _ = writeln!(text, "{}:", kind.section());
        for (_, block) in entries {
            text.push_str(&block);
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(
            text,
            "# Not described (a stack file cannot say them faithfully; they stay unmanaged):"
        );
        for s in &skipped {
            let _ = writeln!(text, "# - {}", one_line(s));
        }
    }
    Output { text, warnings }
}

fn arn_of(r: &Resource) -> &str {
    r.physical_id.as_deref().unwrap_or_default()
}

fn describe(r: &Resource) -> String {
    format!("{} `{}` ({})", r.kind.noun(), r.name(), arn_of(r))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A resource's stack-file form as YAML, `name` first.
fn resource_yaml(v: &Value) -> Yaml {
    match v {
        Value::Object(m) => {
            let mut h = Hash::new();
            if let Some(name) = m.get("name") {
                h.insert(Y::String("name".into()), to_yaml(name));
            }
            for (k, v) in m.iter().filter(|(k, _)| *k != "name") {
                h.insert(Y::String(k.clone()), to_yaml(v));
            }
            Y::Hash(h)
        }
        other => to_yaml(other),
    }
}

fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Y::Integer(i),
            None => Y::Real(n.to_string()),
        },
        Value::String(s) => Y::String(s.clone()),
        Value::Array(a) => Y::Array(a.iter().map(to_yaml).collect()),
        Value::Object(m) => Y::Hash(
            m.iter()
                .map(|(k, v)| (Y::String(k.clone()), to_yaml(v)))
                .collect(),
        ),
    }
}

/// Block-style YAML without the document marker.
fn emit(y: &Yaml) -> String {
    let mut out = String::new();
    let mut e = YamlEmitter::new(&mut out);
    e.multiline_strings(true);
    // Emitting into a String cannot fail.
    let _ = e.dump(y);
    out.strip_prefix("---\n").unwrap_or(&out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{TAG_ID, TAG_STACK};
    use serde_json::{Map, json};

    fn live(kind: Kind, arn: &str, spec: Value, tags: &[(&str, &str)]) -> Resource {
        let spec: Map<String, Value> = serde_json::from_value(spec).unwrap();
        let tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Resource {
            kind,
            id: tags.get(TAG_ID).cloned().unwrap_or_default(),
            physical_id: Some(arn.into()),
            spec,
            tags,
        }
    }

    fn opts(only_unmanaged: bool) -> Options {
        Options {
            stack: "live".into(),
            region: "us-west-2".into(),
            account: Some("123456789012".into()),
            only_unmanaged,
        }
    }

    const SC: &str = "arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd";
    const ST: &str = "arn:aws:ivs:us-west-2:123456789012:stage/EfGh";

    fn world() -> Vec<Resource> {
        vec![
            live(
                Kind::StorageConfiguration,
                SC,
                json!({"name": "recordings", "s3_bucket": "my-recordings"}),
                &[],
            ),
            live(
                Kind::Stage,
                ST,
                json!({"name": "my-realtime-stage", "recording": {
                    "storage_configuration_arn": SC, "media_types": ["AUDIO_VIDEO"],
                    "thumbnails": {"mode": "DISABLED", "interval_seconds": 60, "storage": ["SEQUENTIAL"]},
                    "hls_segment_seconds": 4, "reconnect_window_seconds": 0,
                    "record_participant_replicas": true}}),
                &[("team", "media")],
            ),
            live(
                Kind::Stage,
                "arn:aws:ivs:us-west-2:123456789012:stage/Owned",
                json!({"name": "other"}),
                &[(TAG_STACK, "prod"), (TAG_ID, "main")],
            ),
            live(
                Kind::Alarm,
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:odd",
                json!({"name": "odd", "namespace": "AWS/IVSRealTime", "metric": "Mystery",
                       "dimensions": [], "statistic": "Maximum", "comparison": "GreaterThanThreshold",
                       "threshold": 1.0}),
                &[],
            ),
        ]
    }

    #[test]
    fn references_become_ids_defaults_are_left_out_and_it_validates() {
        let out = write(&world(), &opts(false));
        let text = &out.text;
        assert!(
            text.contains(&format!("  # {ST}\n  my-realtime-stage:\n")),
            "{text}"
        );
        assert!(text.contains("storage: recordings"), "{text}");
        assert!(text.contains("hls_segment_seconds: 4"), "{text}");
        assert!(
            !text.contains("media_types"),
            "defaults are left out: {text}"
        );
        assert!(!text.contains("reconnect_window_seconds"), "{text}");
        assert!(text.contains("# owned by ivstack stack `prod`"), "{text}");
        assert!(
            text.contains("# - alarm `odd`") && text.contains("Mystery"),
            "{text}"
        );
        assert!(out.warnings.iter().any(|w| w.contains("Mystery")));
        let loaded = crate::stack::load_str("discovered.yaml", text)
            .unwrap_or_else(|d| panic!("{}\n{text}", d.render(false)));
        assert_eq!(loaded.model.stages.len(), 2);
        assert_eq!(
            loaded.model.stages["my-realtime-stage"].tags["team"],
            "media"
        );
    }

    #[test]
    fn stages_sharing_a_name_are_described_once_and_the_file_validates() {
        let mut rs = world();
        rs.push(live(
            Kind::Stage,
            "arn:aws:ivs:us-west-2:123456789012:stage/Zz",
            json!({"name": "my-realtime-stage"}),
            &[],
        ));
        // A policy naming the stage that is not described keeps its ARN.
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "ivs:GetStage", "Resource": "arn:aws:ivs:us-west-2:123456789012:stage/Zz"}]});
        rs.push(live(
            Kind::Policy,
            "arn:aws:iam::123456789012:policy/ivstack/live/p",
            json!({"name": "p", "path": "/ivstack/live/", "description": "",
                   "document": crate::kinds::iam_document::to_pretty(&doc)}),
            &[],
        ));
        let out = write(&rs, &opts(true));
        assert!(
            out.text.contains(
                "resources:\n          - \"arn:aws:ivs:us-west-2:123456789012:stage/Zz\""
            ),
            "{}",
            out.text
        );
        let text = &out.text;
        assert!(
            text.contains("--map stages.my-realtime-stage=")
                && text.contains("# - stage `my-realtime-stage`"),
            "{text}"
        );
        crate::stack::load_str("d.yaml", text)
            .unwrap_or_else(|d| panic!("{}\n{text}", d.render(false)));
    }

    #[test]
    fn only_unmanaged_leaves_owned_resources_out_and_output_is_deterministic() {
        let out = write(&world(), &opts(true));
        assert!(!out.text.contains("Owned"), "{}", out.text);
        // A resource of the stack being written is its own, not another stack's.
        let mine = write(
            &world(),
            &Options {
                stack: "prod".into(),
                ..opts(false)
            },
        );
        assert!(
            mine.text
                .contains("# owned by this stack already (id `main`)\n  main:\n"),
            "{}",
            mine.text
        );
        assert!(mine.warnings.iter().all(|w| !w.contains("owned by")));
        let mut reversed = world();
        reversed.reverse();
        assert_eq!(write(&reversed, &opts(true)).text, out.text);
    }
}
