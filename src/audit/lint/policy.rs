//! Least-privilege checks of IAM policies (IVS001–IVS010), on `statements` and raw
//! `document`s alike: both are read as the IAM document they render to (logical ids as
//! placeholders), and every finding is put back on the field of the stack file it comes
//! from (`policies.p.statements[0].allow[1]`, `policies.p.document.Statement[2].Resource`).

use std::collections::{BTreeMap, BTreeSet};

use super::Hit;
use super::rules;
use crate::audit::actions::{AccessLevel, ActionRef, Expansion, table};
use crate::audit::glob;
use crate::audit::grants::{self, Effect, Grant, Statement};
use crate::kinds::iam_document;
use crate::kinds::{Attribute, Reference};
use crate::stack::check::push_key;
use crate::stack::model::{Policy, StackFile};

/// The CreateParticipantToken action: what makes a policy a token service.
pub const CREATE_TOKEN: &str = "ivs:CreateParticipantToken";

/// Where the parts of a policy's statements are written in the stack file.
struct Paths<'p> {
    base: String,
    policy: &'p Policy,
}

impl Paths<'_> {
    fn raw(&self) -> bool {
        self.policy.document.is_some()
    }

    fn statement(&self, st: &Statement) -> String {
        if self.raw() {
            let mut p = format!("{}.document.Statement", self.base);
            if st.listed {
                p.push_str(&format!("[{}]", st.index));
            }
            p
        } else {
            format!("{}.statements[{}]", self.base, st.index)
        }
    }

    /// The action element (`Action`, `NotAction`, `allow`) as a whole.
    fn actions(&self, st: &Statement) -> String {
        let key = if self.raw() { st.action_key() } else { "allow" };
        format!("{}.{key}", self.statement(st))
    }

    /// One action item; `None` is the element as a whole.
    fn action(&self, st: &Statement, index: Option<usize>) -> String {
        let base = self.actions(st);
        match index {
            Some(i) if !self.raw() || st.actions.listed => format!("{base}[{i}]"),
            _ => base,
        }
    }

    /// The resource element as a whole.
    fn resources(&self, st: &Statement) -> String {
        if self.raw() {
            format!("{}.{}", self.statement(st), st.resource_key())
        } else {
            self.statement(st)
        }
    }

    /// One resource item. A rendered statement lists the logical ids of each kind in
    /// registry order, then the raw `resources` (as `iam_document::render` does).
    fn resource(&self, st: &Statement, index: Option<usize>) -> String {
        let Some(i) = index else {
            return self.resources(st);
        };
        if self.raw() {
            return if st.resources.listed {
                format!("{}[{i}]", self.resources(st))
            } else {
                self.resources(st)
            };
        }
        let Some(src) = self.policy.statements.get(st.index) else {
            return self.statement(st);
        };
        let mut at = i;
        for (kind, ids) in &src.ids {
            if at < ids.len() {
                return format!("{}.{}[{at}]", self.statement(st), kind.section());
            }
            at -= ids.len();
        }
        format!("{}.resources[{at}]", self.statement(st))
    }
}

/// The resource in words: "stage `main`", or the ARN as written.
pub fn describe_target(text: &str) -> String {
    match grants::placeholder(text) {
        Some(r) => format!("{} `{}`", r.target.noun(), r.id),
        None => format!("`{text}`"),
    }
}

/// Up to `n` names, then how many more.
fn some_names(names: &[String], n: usize) -> String {
    let shown: Vec<String> = names.iter().take(n).map(|a| format!("`{a}`")).collect();
    if names.len() > n {
        format!("{} and {} more", shown.join(", "), names.len() - n)
    } else {
        shown.join(", ")
    }
}

/// `"*"` itself, or an ARN whose resource part is `*` (every resource of the service in
/// that region and account).
fn effectively_star(resource: &str) -> bool {
    resource == "*" || resource.splitn(6, ':').nth(5) == Some("*")
}

/// The policy's document as IAM would see it, logical ids as placeholders.
pub fn document(policy: &Policy) -> serde_json::Value {
    iam_document::render(policy, &|kind, id| {
        Reference::new(kind, id, Attribute::Arn).placeholder()
    })
}

/// Every finding about policy `id`.
pub(super) fn check(out: &mut Vec<Hit>, stack: &StackFile, id: &str, policy: &Policy) {
    let mut base = String::new();
    push_key(&mut base, "policies");
    push_key(&mut base, id);
    let paths = Paths { base, policy };
    let doc = document(policy);
    let statements = grants::statements(&doc);
    let owner = format!("policy `{id}`");
    if policy.document.is_some() {
        out.push(
            Hit::key(
                rules::RAW_DOCUMENT,
                format!("{}.document", paths.base),
                format!("{owner} is a raw IAM document: nothing checks that it is least-privilege"),
            )
            .label("raw document"),
        );
    }
    for st in &statements {
        let n = st.index + 1;
        unknown_actions(out, &paths, st, &owner);
        if st.effect != Effect::Allow {
            continue;
        }
        if st.actions.negated || st.resources.negated {
            let (path, what) = if st.actions.negated {
                (paths.actions(st), "`NotAction`")
            } else {
                (paths.resources(st), "`NotResource`")
            };
            out.push(
                Hit::key(
                    rules::NOT_ACTION_OR_RESOURCE,
                    path,
                    format!("statement {n} of {owner} allows with {what}: everything except what it lists"),
                )
                .label(format!("Allow with {what}")),
            );
        }
        wildcard_actions(out, &paths, st, &owner);
        if !st.resources.negated && !st.actions.negated {
            let actions = statement_actions(st);
            star_resources(out, &paths, st, &actions, &owner);
            token_patterns(out, &paths, st, &actions, &owner);
            mismatches(out, stack, &paths, st, &owner);
        }
    }
    let rows = grants::grants(&doc, &|_| None);
    permissions_management(out, &paths, &statements, &rows, &owner);
    token_service(out, &paths, &statements, &rows, &owner);
}

fn unknown_actions(out: &mut Vec<Hit>, paths: &Paths<'_>, st: &Statement, owner: &str) {
    for (i, pattern) in st.actions.items.iter().enumerate() {
        let path = paths.action(st, Some(i));
        let Some((prefix, _)) = pattern.split_once(':') else {
            continue; // `*`, or a shape the grammar check already refused
        };
        let (message, label) = match table().expand(pattern) {
            Expansion::Actions(found) if found.is_empty() => {
                let service = table().service(prefix).map_or(prefix, |s| s.name.as_str());
                if glob::is_pattern(pattern) {
                    (
                        format!("`{pattern}` in {owner} matches no action of {service}"),
                        "matches nothing".to_string(),
                    )
                } else {
                    (
                        format!("`{pattern}` in {owner} is not an action of {service}"),
                        "unknown action".to_string(),
                    )
                }
            }
            Expansion::UnknownService => match table().near_prefix(prefix) {
                Some(near) => (
                    format!(
                        "`{prefix}` in {owner} is not a service prefix; did you mean `{near}`?"
                    ),
                    "unknown service prefix".to_string(),
                ),
                // Another service: the table does not cover it, so nothing is said.
                None => continue,
            },
            Expansion::Actions(_) => continue,
        };
        let mut hit = Hit::value(rules::UNKNOWN_ACTION, path, message);
        hit = match table().suggest(pattern) {
            Some(s) => hit.label(format!("did you mean `{s}`?")),
            None => hit.label(label),
        };
        let source = &table().source;
        out.push(hit.help(format!(
            "{} The action table is the Service Authorization Reference as of {} {} (extracted {}).",
            rules::UNKNOWN_ACTION.fix,
            source.package,
            source.version,
            source.extracted
        )));
    }
}

fn wildcard_actions(out: &mut Vec<Hit>, paths: &Paths<'_>, st: &Statement, owner: &str) {
    if st.actions.negated {
        return;
    }
    for (i, pattern) in st.actions.items.iter().enumerate() {
        let service = match pattern.as_str() {
            "*" => None,
            p => match p.split_once(':') {
                Some((prefix, "*")) if !glob::is_pattern(prefix) => Some(prefix),
                _ => continue,
            },
        };
        let expansion = table().expand(pattern);
        let found = expansion.actions();
        let changing = found.iter().filter(|a| a.access().changes()).count();
        let message = match service {
            None => format!(
                "statement {} of {owner} allows every action of every AWS service",
                st.index + 1
            ),
            Some(prefix) => {
                let what = table().service(prefix).map_or(prefix, |s| s.name.as_str());
                format!(
                    "statement {} of {owner} allows every action of {what} (`{pattern}`)",
                    st.index + 1
                )
            }
        };
        let label = if found.is_empty() {
            "every action".to_string()
        } else {
            format!(
                "{} actions today, {changing} of them change or delete something",
                found.len()
            )
        };
        out.push(
            Hit::value(rules::WILDCARD_ACTION, paths.action(st, Some(i)), message).label(label),
        );
    }
}

/// The table's actions a statement's `Action` names, each once.
fn statement_actions(st: &Statement) -> Vec<ActionRef> {
    let mut out: Vec<ActionRef> = Vec::new();
    for pattern in &st.actions.items {
        for a in table().expand(pattern).actions() {
            if !out.iter().any(|x| std::ptr::eq(x.action, a.action)) {
                out.push(*a);
            }
        }
    }
    out
}

fn star_resources(
    out: &mut Vec<Hit>,
    paths: &Paths<'_>,
    st: &Statement,
    actions: &[ActionRef],
    owner: &str,
) {
    for (r, resource) in st.resources.items.iter().enumerate() {
        if !effectively_star(resource) {
            continue;
        }
        // Only actions that can be limited: for the others `*` is the only way.
        let limitable: Vec<&ActionRef> = actions
            .iter()
            .filter(|a| a.action.resource_level() && a.applies_to(resource))
            .collect();
        let (ivs_write, other): (Vec<&ActionRef>, Vec<&ActionRef>) = limitable
            .into_iter()
            .partition(|a| a.service.prefix == "ivs" && a.access().changes());
        let path = paths.resource(st, Some(r));
        let n = st.index + 1;
        if !ivs_write.is_empty() {
            let names: Vec<String> = ivs_write.iter().map(|a| a.full_name()).collect();
            out.push(
                Hit::value(
                    rules::STAR_RESOURCE_IVS_WRITE,
                    path.clone(),
                    format!(
                        "statement {n} of {owner} allows {} on every IVS resource in the account (`{resource}`)",
                        some_names(&names, 3)
                    ),
                )
                .label(format!("{} IVS write action(s) on `{resource}`", names.len())),
            );
        }
        if !other.is_empty() {
            let names: Vec<String> = other.iter().map(|a| a.full_name()).collect();
            out.push(
                Hit::value(
                    rules::STAR_RESOURCE,
                    path,
                    format!(
                        "statement {n} of {owner} allows {} on `{resource}` although {} be limited to resources",
                        some_names(&names, 3),
                        if names.len() == 1 { "it can" } else { "they can" }
                    ),
                )
                .label(format!("{} action(s) could name resources", names.len())),
            );
        }
    }
}

fn token_patterns(
    out: &mut Vec<Hit>,
    paths: &Paths<'_>,
    st: &Statement,
    actions: &[ActionRef],
    owner: &str,
) {
    let mints = actions.iter().any(|a| a.is(CREATE_TOKEN));
    if !mints {
        return;
    }
    let Some(stage) = table().service("ivs").and_then(|s| s.resource("Stage")) else {
        return;
    };
    for (r, resource) in st.resources.items.iter().enumerate() {
        let id_part = resource.splitn(6, ':').nth(5).unwrap_or("");
        // `*` and `...:*` are IVS002's; a placeholder or literal ARN names one stage.
        if effectively_star(resource) || !glob::is_pattern(id_part) || !stage.covers(resource) {
            continue;
        }
        out.push(
            Hit::value(
                rules::TOKEN_ON_EVERY_STAGE,
                paths.resource(st, Some(r)),
                format!(
                    "{owner} can mint participant tokens for every stage matching `{resource}`, not only this stack's"
                ),
            )
            .label("covers every stage"),
        );
    }
}

fn mismatches(
    out: &mut Vec<Hit>,
    stack: &StackFile,
    paths: &Paths<'_>,
    st: &Statement,
    owner: &str,
) {
    if st.actions.negated || st.resources.items.is_empty() {
        return;
    }
    for (i, pattern) in st.actions.items.iter().enumerate() {
        if glob::is_pattern(pattern) {
            continue; // a wildcard is expected to miss some types
        }
        let Some(action) = table().action(pattern) else {
            continue;
        };
        let applies = st
            .resources
            .items
            .iter()
            .any(|r| match grants::placeholder(r) {
                Some(p) => grants::resource_type_of_kind(p.target)
                    .is_some_and(|t| action.resource_types().any(|x| std::ptr::eq(x, t))),
                None => action.applies_to(r),
            });
        if applies {
            continue;
        }
        let needs = if action.action.resource_level() {
            let types: Vec<String> = action
                .resource_types()
                .map(|t| {
                    let arn = t.arn_in_words(Some(&stack.region), stack.account.as_deref());
                    format!("{} (`{arn}`)", t.name)
                })
                .collect();
            format!("it acts on {}", types.join(" or "))
        } else {
            "it supports no resource-level permission and needs `\"*\"`".to_string()
        };
        out.push(
            Hit::value(
                rules::RESOURCE_MISMATCH,
                paths.action(st, Some(i)),
                format!(
                    "`{}` grants nothing in statement {} of {owner}: {needs}",
                    action.full_name(),
                    st.index + 1
                ),
            )
            .label("no resource of the right type"),
        );
    }
}

/// Allow rows that can act, grouped by the action element they come from.
fn by_element(
    rows: &[Grant],
    keep: impl Fn(&Grant) -> bool,
) -> BTreeMap<(usize, Option<usize>), Vec<&Grant>> {
    let mut out: BTreeMap<(usize, Option<usize>), Vec<&Grant>> = BTreeMap::new();
    for g in rows
        .iter()
        .filter(|g| g.effect == Effect::Allow && g.applies && keep(g))
    {
        out.entry((g.statement, g.action_index))
            .or_default()
            .push(g);
    }
    out
}

fn names_of(rows: &[&Grant]) -> Vec<String> {
    let set: BTreeSet<&str> = rows.iter().map(|g| g.action.as_str()).collect();
    set.into_iter().map(str::to_string).collect()
}

fn element_path(
    paths: &Paths<'_>,
    statements: &[Statement],
    key: (usize, Option<usize>),
) -> String {
    match statements.iter().find(|s| s.index == key.0) {
        Some(st) => paths.action(st, key.1),
        None => paths.base.clone(),
    }
}

fn permissions_management(
    out: &mut Vec<Hit>,
    paths: &Paths<'_>,
    statements: &[Statement],
    rows: &[Grant],
    owner: &str,
) {
    let pm = by_element(rows, |g| {
        g.access == Some(AccessLevel::PermissionsManagement)
    });
    for (key, rows) in pm {
        let names = names_of(&rows);
        out.push(
            Hit::value(
                rules::PERMISSIONS_MANAGEMENT,
                element_path(paths, statements, key),
                format!(
                    "{owner} allows permissions management: {}",
                    some_names(&names, 3)
                ),
            )
            .label("can change IAM permissions"),
        );
    }
}

/// IVS007: a policy that mints tokens, and on the same stages (or anywhere, for
/// permissions management) allows more than reading them.
fn token_service(
    out: &mut Vec<Hit>,
    paths: &Paths<'_>,
    statements: &[Statement],
    rows: &[Grant],
    owner: &str,
) {
    // A token service names the action itself; a wildcard that includes it (`ivs:*`,
    // NotAction) is IVS001's / IVS009's finding, not this pattern.
    let token_on: BTreeSet<&str> = rows
        .iter()
        .filter(|g| {
            g.effect == Effect::Allow
                && g.applies
                && g.via.is_none()
                && g.action.eq_ignore_ascii_case(CREATE_TOKEN)
        })
        .map(|g| g.resource.text.as_str())
        .collect();
    if token_on.is_empty() {
        return;
    }
    let same_stages = |g: &Grant| {
        token_on.contains(g.resource.text.as_str())
            || g.resource.text == "*"
            || token_on.contains("*")
    };
    let excess = by_element(rows, |g| {
        let Some(level) = g.access else { return false };
        !g.action.eq_ignore_ascii_case(CREATE_TOKEN)
            && (level == AccessLevel::PermissionsManagement || (level.changes() && same_stages(g)))
    });
    for (key, rows) in excess {
        let names = names_of(&rows);
        let on: BTreeSet<String> = rows
            .iter()
            .filter(|g| g.access != Some(AccessLevel::PermissionsManagement))
            .map(|g| describe_target(&g.resource.text))
            .collect();
        let where_ = if on.is_empty() {
            String::new()
        } else {
            format!(" on {}", on.into_iter().collect::<Vec<_>>().join(", "))
        };
        out.push(
            Hit::value(
                rules::TOKEN_SERVICE_EXCESS,
                element_path(paths, statements, key),
                format!(
                    "{owner} mints participant tokens and also allows {}{where_}",
                    some_names(&names, 3)
                ),
            )
            .label("more than a token minter needs")
            .help(format!(
                "{} Token-minter pattern: `allow: [{CREATE_TOKEN}, ivs:GetStage]` on the stages it serves.",
                rules::TOKEN_SERVICE_EXCESS.fix
            )),
        );
    }
}
