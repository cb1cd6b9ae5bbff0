//! Which live resource each declared resource would adopt (`ivstack import`): a pure
//! function of the stack file, what the stack owns, and every live resource discovery
//! found.
//!
//! A declared resource that the stack does not own yet is matched with the live resource
//! of its kind and physical name that no stack owns (or the one `--map` names). Refused,
//! for the whole import, before anything is written: a candidate another stack owns, two
//! candidates, a `--map` that names nothing, and a candidate that differs from the file in
//! a field AWS cannot change in place (a policy outside `/ivstack/<stack>/`): adopting it
//! would mean replacing it, which is exactly what an import must never do.

use std::collections::BTreeSet;

use super::compute::{Imports, adopted, diff};
use crate::kinds::{self, Kind, Known, Names, Resource, TAG_ID, TAG_STACK};
use crate::stack::model::StackFile;

/// `--map <section>.<id>=<ARN or name>`: which live resource a declared one adopts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapArg {
    pub kind: Kind,
    pub id: String,
    /// An ARN (physical id) or a physical name.
    pub target: String,
}

impl std::str::FromStr for MapArg {
    type Err = String;

    fn from_str(s: &str) -> Result<MapArg, String> {
        let usage = "expected <section>.<id>=<ARN or name>, e.g. stages.main=arn:aws:ivs:...";
        let (address, target) = s.split_once('=').ok_or_else(|| format!("{s}: {usage}"))?;
        let (section, id) = address
            .split_once('.')
            .ok_or_else(|| format!("{s}: {usage}"))?;
        let kind = Kind::from_section(section).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.section()).collect();
            format!(
                "{s}: `{section}` is not a section (sections: {})",
                known.join(", ")
            )
        })?;
        if id.is_empty() || target.is_empty() {
            return Err(format!("{s}: {usage}"));
        }
        Ok(MapArg {
            kind,
            id: id.to_string(),
            target: target.to_string(),
        })
    }
}

/// The outcome of matching: what is adopted, and why the import is refused (if it is).
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub imports: Imports,
    /// Each refusal, in words, with what to do. Any refusal refuses the whole import.
    pub refusals: Vec<String>,
}

/// Match the resources of `stack` that it does not own in `observed` with the unowned
/// resources in `discovered` (every live resource of the kinds concerned), `maps` first.
pub fn match_imports(
    stack: &StackFile,
    observed: &[Resource],
    discovered: &[Resource],
    maps: &[MapArg],
) -> Matched {
    let owned: BTreeSet<(Kind, &str)> = observed
        .iter()
        .filter(|r| r.tags.get(TAG_STACK) == Some(&stack.stack))
        .map(|r| (r.kind, r.id.as_str()))
        .collect();
    let desired = kinds::desired(stack, &Known::new());
    let mut out = Matched::default();
    for m in maps {
        let address = format!("{}.{}", m.kind.section(), m.id);
        if !desired.iter().any(|d| d.kind == m.kind && d.id == m.id) {
            out.refusals
                .push(format!("--map {address}: the file declares no `{address}`"));
        } else if owned.contains(&(m.kind, m.id.as_str())) {
            out.refusals.push(format!(
                "--map {address}: stack `{}` already has `{address}`; nothing to import",
                stack.stack
            ));
        }
    }
    for d in desired
        .iter()
        .filter(|d| !owned.contains(&(d.kind, d.id.as_str())))
    {
        let address = format!("{}.{}", d.kind.section(), d.id);
        let noun = d.kind.noun();
        let map = maps.iter().find(|m| m.kind == d.kind && m.id == d.id);
        let same_kind = discovered.iter().filter(|r| r.kind == d.kind);
        // By ARN when one has it, else by name.
        let candidates: Vec<&Resource> = match map {
            Some(m) => {
                let by_arn: Vec<&Resource> =
                    same_kind.clone().filter(|r| pid(r) == m.target).collect();
                if by_arn.is_empty() {
                    same_kind.filter(|r| r.name() == m.target).collect()
                } else {
                    by_arn
                }
            }
            None => same_kind
                .filter(|r| same_name(d.kind.names(), r.name(), d.name()))
                .collect(),
        };
        let mine_elsewhere: Vec<&&Resource> = candidates
            .iter()
            .filter(|r| r.tags.get(TAG_STACK) == Some(&stack.stack))
            .collect();
        let others: Vec<&&Resource> = candidates
            .iter()
            .filter(|r| r.tags.get(TAG_STACK).is_some_and(|s| s != &stack.stack))
            .collect();
        let free: Vec<&Resource> = candidates
            .iter()
            .copied()
            .filter(|r| !r.tags.contains_key(TAG_STACK))
            .collect();
        for r in &others {
            out.refusals.push(format!(
                "{address}: the {noun} `{}` ({}) belongs to stack `{}` (as `{}`); import never \
                 takes a resource from another stack: remove it from that stack first, or give \
                 `{address}` another name",
                r.name(),
                pid(r),
                r.tags
                    .get(TAG_STACK)
                    .map(String::as_str)
                    .unwrap_or_default(),
                r.tags.get(TAG_ID).map(String::as_str).unwrap_or_default(),
            ));
        }
        if map.is_some() {
            for r in &mine_elsewhere {
                out.refusals.push(format!(
                    "{address}: the {noun} {} already belongs to this stack as `{}`",
                    pid(r),
                    r.tags.get(TAG_ID).map(String::as_str).unwrap_or_default(),
                ));
            }
        }
        if !others.is_empty() {
            continue;
        }
        let live = match (free.as_slice(), map) {
            ([], Some(m)) => {
                if mine_elsewhere.is_empty() {
                    out.refusals.push(format!(
                        "--map {address}={}: no {noun} with that ARN or name exists in the \
                         account and region",
                        m.target
                    ));
                }
                continue;
            }
            ([], None) => continue,
            ([one], _) => *one,
            (many, _) => {
                let arns: Vec<&str> = many.iter().map(|r| pid(r)).collect();
                out.refusals.push(format!(
                    "{address}: {} {noun}s no stack owns are named `{}` ({}); choose one with \
                     --map {address}=<ARN>",
                    many.len(),
                    d.name(),
                    arns.join(", ")
                ));
                continue;
            }
        };
        let forced: Vec<String> = diff(d, &adopted(live, d))
            .into_iter()
            .filter(|f| f.forces_replacement)
            .map(|f| {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref()
                        .map_or("(none)".to_string(), |v| match v.as_str() {
                            Some(s) => format!("`{s}`"),
                            None => v.to_string(),
                        })
                };
                format!(
                    "{} is {} (the file needs {})",
                    f.path,
                    show(&f.before),
                    show(&f.after)
                )
            })
            .collect();
        if !forced.is_empty() {
            out.refusals.push(format!(
                "{address}: the {noun} `{}` ({}) cannot be imported: its {}, and AWS cannot \
                 change that in place (importing would mean replacing it, which import never \
                 does). Either keep it unmanaged (remove `{address}` from the file), or let \
                 ivstack make a new one: give `{address}` another name, run `ivstack apply`, \
                 move what uses the old {noun} to the new one, then delete the old one",
                live.name(),
                pid(live),
                forced.join("; ")
            ));
            continue;
        }
        out.imports.insert((d.kind, d.id.clone()), live.clone());
    }
    // One live resource adopted twice would end with one owner: refused.
    let mut seen: std::collections::BTreeMap<(Kind, &str), &str> = Default::default();
    for ((kind, id), live) in &out.imports {
        if let Some(first) = seen.insert((*kind, pid(live)), id) {
            out.refusals.push(format!(
                "{} {} would be imported twice, as `{first}` and as `{id}`; choose with --map",
                kind.noun(),
                pid(live)
            ));
        }
    }
    out
}

fn pid(r: &Resource) -> &str {
    r.physical_id.as_deref().unwrap_or_default()
}

fn same_name(names: Names, a: &str, b: &str) -> bool {
    match names {
        Names::UniqueIgnoringCase => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;
    use crate::plan::compute::plan_imports;
    use crate::stack::load_str;
    use serde_json::{Map, json};
    use std::collections::BTreeMap;

    const FILE: &str = "stack: live\nregion: us-east-1\nstages:\n  main:\n    name: show\npolicies:\n  minter:\n    name: minter\n    statements:\n      - allow: [ivs:CreateParticipantToken]\n        stages: [main]\n";

    fn stack() -> StackFile {
        load_str("t.yaml", FILE).expect("valid").model
    }

    fn live(kind: Kind, pid: &str, name: &str, tags: &[(&str, &str)]) -> Resource {
        let mut spec = Map::new();
        spec.insert("name".into(), json!(name));
        if kind == Kind::Policy {
            spec.insert("path".into(), json!("/ivstack/live/"));
            spec.insert("description".into(), json!(""));
            spec.insert(
                "document".into(),
                json!(crate::kinds::iam_document::to_pretty(&json!({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["ivs:CreateParticipantToken"],
                                   "Resource": ["arn:aws:ivs:us-east-1:1:stage/S1"]}]
                }))),
            );
        }
        let tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Resource {
            kind,
            id: tags.get(TAG_ID).cloned().unwrap_or_default(),
            physical_id: Some(pid.into()),
            spec,
            tags,
        }
    }

    const S1: &str = "arn:aws:ivs:us-east-1:1:stage/S1";
    const P1: &str = "arn:aws:iam::1:policy/ivstack/live/minter";

    #[test]
    fn one_unowned_candidate_per_name_is_imported_and_planned_as_import() {
        let found = vec![
            live(Kind::Stage, S1, "show", &[("team", "media")]),
            live(Kind::Stage, "arn:other", "other", &[]),
            live(Kind::Policy, P1, "minter", &[]),
        ];
        let m = match_imports(&stack(), &[], &found, &[]);
        assert!(m.refusals.is_empty(), "{:?}", m.refusals);
        assert_eq!(m.imports.len(), 2);
        let plan = plan_imports(&stack(), &[], false, &Default::default(), &m.imports, true);
        let stage = plan.changes.iter().find(|c| c.kind == Kind::Stage).unwrap();
        assert_eq!(stage.action, Action::Import);
        assert_eq!(stage.physical_id.as_deref(), Some(S1));
        // The file does not list `team`: a tag change follows the adoption.
        assert_eq!(
            stage
                .fields
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>(),
            ["tags.team"]
        );
        // The policy names the imported stage by its real ARN: nothing to change (no
        // "known after apply").
        let policy = plan
            .changes
            .iter()
            .find(|c| c.kind == Kind::Policy)
            .unwrap();
        assert_eq!(policy.action, Action::Import, "{policy:?}");
        assert!(
            policy.fields.iter().all(|f| f.path != "document"),
            "{:?}",
            policy.fields
        );
        assert_eq!(plan.summary().import, 2);
        // All three renderings show it.
        let text = crate::plan::render::text(&plan, false);
        assert!(text.contains(" <= stage.main (show)"), "{text}");
        assert!(text.contains("will be imported (adopted as it is), then updated in place"));
        let md = crate::plan::render::markdown(&plan);
        assert!(
            md.contains("| Import | Create |") && md.contains("| 2 | 0 |"),
            "{md}"
        );
        let json = crate::plan::render::json(&plan);
        assert_eq!(json["summary"]["import"], 2);
        assert!(
            json["resource_changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["action"] == "import" && c["physical_id"] == S1),
            "{json}"
        );
        assert!(
            plan.summary()
                .line()
                .starts_with("2 to import, 0 to create")
        );
        // The candidates are fingerprinted: a saved plan goes stale when one changes.
        let fp = plan
            .observed
            .iter()
            .find(|o| o.kind == Kind::Stage)
            .unwrap();
        assert_eq!(fp.live[0].0, S1);
    }

    #[test]
    fn plan_without_adopting_says_import_would_do_it() {
        let found = vec![live(Kind::Stage, S1, "show", &[])];
        let m = match_imports(&stack(), &[], &found, &[]);
        let plan = plan_imports(&stack(), &[], false, &Default::default(), &m.imports, false);
        let stage = plan.changes.iter().find(|c| c.kind == Kind::Stage).unwrap();
        assert_eq!(stage.action, Action::Import);
        assert!(
            stage
                .reason
                .as_deref()
                .unwrap()
                .contains("would be imported by `ivstack import`")
        );
    }

    #[test]
    fn two_candidates_or_another_stacks_resource_are_refused() {
        let two = vec![
            live(Kind::Stage, S1, "show", &[]),
            live(Kind::Stage, "arn:s2", "show", &[]),
        ];
        let m = match_imports(&stack(), &[], &two, &[]);
        assert!(!m.imports.contains_key(&(Kind::Stage, "main".into())));
        assert!(
            m.refusals[0].contains("2 stages no stack owns are named `show`")
                && m.refusals[0].contains("--map stages.main=<ARN>"),
            "{:?}",
            m.refusals
        );
        // --map chooses.
        let map: MapArg = "stages.main=arn:s2".parse().unwrap();
        let m = match_imports(&stack(), &[], &two, &[map]);
        assert!(m.refusals.is_empty(), "{:?}", m.refusals);
        assert_eq!(
            m.imports[&(Kind::Stage, "main".into())]
                .physical_id
                .as_deref(),
            Some("arn:s2")
        );
        let theirs = vec![live(
            Kind::Stage,
            S1,
            "show",
            &[(TAG_STACK, "prod"), (TAG_ID, "main")],
        )];
        let m = match_imports(&stack(), &[], &theirs, &[]);
        assert!(
            m.refusals[0].contains("belongs to stack `prod`"),
            "{:?}",
            m.refusals
        );
    }

    #[test]
    fn a_policy_outside_the_stack_path_is_refused_with_what_to_do() {
        let mut p = live(Kind::Policy, "arn:aws:iam::1:policy/minter", "minter", &[]);
        p.spec.insert("path".into(), json!("/"));
        let m = match_imports(&stack(), &[], &[p], &[]);
        assert!(m.imports.is_empty());
        let r = &m.refusals[0];
        assert!(
            r.contains("path is `/` (the file needs `/ivstack/live/`)")
                && r.contains("keep it unmanaged")
                && r.contains("another name"),
            "{r}"
        );
    }

    #[test]
    fn maps_are_parsed_and_checked() {
        assert!("stages.main".parse::<MapArg>().is_err());
        assert!("dragons.main=x".parse::<MapArg>().is_err());
        let m: MapArg = "policies.minter=minter".parse().unwrap();
        assert_eq!((m.kind, m.id.as_str()), (Kind::Policy, "minter"));
        let nothing = match_imports(
            &stack(),
            &[],
            &[],
            &[
                "stages.ghost=x".parse().unwrap(),
                "stages.main=arn:none".parse().unwrap(),
            ],
        );
        assert_eq!(nothing.refusals.len(), 2, "{:?}", nothing.refusals);
        // By name: a stage of another name is adopted, then renamed in place.
        let found = vec![live(Kind::Stage, S1, "old-show", &[])];
        let m = match_imports(
            &stack(),
            &[],
            &found,
            &["stages.main=old-show".parse().unwrap()],
        );
        assert!(m.refusals.is_empty(), "{:?}", m.refusals);
        let plan = plan_imports(&stack(), &[], false, &Default::default(), &m.imports, true);
        let stage = plan.changes.iter().find(|c| c.kind == Kind::Stage).unwrap();
        assert_eq!(stage.action, Action::Import);
        assert_eq!(stage.fields[0].path, "name");
    }
}
