//! IAM and STS on the local endpoint, driven by the real `aws-sdk-iam` / `aws-sdk-sts`
//! clients over HTTP; the shared IAM scenario also runs against `moto_server` and both must
//! answer the same. Where moto departs from AWS's documented behaviour the assertion is
//! skipped for moto with a comment naming the difference.

use crate::common;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{PolicyScopeType, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use ivstack_local::LocalConfig;

const DOC_V1: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"*"}]}"#;

fn doc(n: u32) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "S{n}", "Effect": "Allow", "Action": ["ivs:GetStage", "ivs:ListStages"], "Resource": "arn:aws:ivs:us-east-1:123456789012:stage/*"}}]}}"#
    )
}

/// (code, HTTP status, message) of a failed call.
fn err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, SdkError<E, HttpResponse>>,
) -> (String, u16, String) {
    let e = r.expect_err("expected the call to fail");
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    (
        e.code().unwrap_or("<none>").to_string(),
        status,
        e.message().unwrap_or_default().to_string(),
    )
}

/// IAM returns documents URL-encoded; moto returns them raw. Decode per RFC 3986 (no
/// `+` -> space) when the text is not already JSON.
fn decode_document(d: &str) -> String {
    if d.trim_start().starts_with('{') {
        d.to_string()
    } else {
        percent_encoding::percent_decode_str(d)
            .decode_utf8()
            .expect("utf-8 document")
            .into_owned()
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

/// The IAM scenario shared by the local endpoint and moto. Returns a transcript of
/// observations that must be identical on both.
async fn iam_scenario(c: &Client, moto: bool) -> Vec<String> {
    let mut t = Vec::new();
    let name = "ivs-demo-policy";
    let path = "/ivs-iac/demo/";

    // CreatePolicy: ARN embeds the path; v1 is the default; tags and description kept.
    let created = c
        .create_policy()
        .policy_name(name)
        .path(path)
        .policy_document(DOC_V1)
        .description("demo policy")
        .tags(tag("stack", "demo"))
        .tags(tag("owner", "ivstack"))
        .send()
        .await
        .expect("create policy")
        .policy
        .expect("policy");
    let arn = created.arn().expect("arn").to_string();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{}:policy{path}{name}", common::ACCOUNT_ID)
    );
    assert_eq!(created.default_version_id(), Some("v1"));
    assert_eq!(created.path(), Some(path));
    if !moto {
        // moto's policy ids are random alphanumerics without AWS's `ANPA` prefix.
        let id = created.policy_id().expect("id");
        assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
    }
    assert!(created.create_date().is_some());
    t.push(format!(
        "created {arn} default={:?}",
        created.default_version_id()
    ));

    // Names are unique.
    let (code, status, _) = err(c
        .create_policy()
        .policy_name(name)
        .path(path)
        .policy_document(DOC_V1)
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("EntityAlreadyExists", 409));
    t.push(format!("duplicate -> {code} {status}"));
    if !moto {
        // AWS: names are unique case-insensitively, whatever the path; moto compares ARNs.
        let (code, status, _) = err(c
            .create_policy()
            .policy_name(name.to_uppercase())
            .policy_document(DOC_V1)
            .send()
            .await);
        assert_eq!((code.as_str(), status), ("EntityAlreadyExists", 409));
    }

    // Invalid JSON is a MalformedPolicyDocument on both.
    let (code, status, _) = err(c
        .create_policy()
        .policy_name("broken")
        .policy_document("{nope")
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("MalformedPolicyDocument", 400));
    t.push(format!("malformed -> {code} {status}"));

    // GetPolicy returns tags and description.
    let got = c
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("get policy")
        .policy
        .expect("policy");
    let mut tags: Vec<(String, String)> = got
        .tags()
        .iter()
        .map(|x| (x.key().to_string(), x.value().to_string()))
        .collect();
    if !moto {
        // We return tags sorted by key, as ListPolicyTags does; moto keeps insertion order.
        assert_eq!(tags[0].0, "owner");
    }
    tags.sort();
    assert_eq!(
        tags,
        vec![
            ("owner".into(), "ivstack".into()),
            ("stack".into(), "demo".into())
        ]
    );
    assert_eq!(got.description(), Some("demo policy"));
    t.push(format!(
        "get tags={tags:?} description={:?}",
        got.description()
    ));

    // Versions v2..v5, the last made default; a sixth exceeds the 5-version limit.
    for n in 2..=5 {
        let v = c
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(doc(n))
            .set_as_default(n == 5)
            .send()
            .await
            .expect("create version")
            .policy_version
            .expect("version");
        assert_eq!(v.version_id(), Some(format!("v{n}").as_str()));
        assert_eq!(v.is_default_version(), n == 5);
        if !moto {
            // AWS documents that only GetPolicyVersion returns Document; moto echoes it here.
            assert!(
                v.document().is_none(),
                "CreatePolicyVersion does not return the document"
            );
        }
    }
    let (code, status, msg) = err(c
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(doc(6))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
    assert!(
        msg.starts_with("A managed policy can have up to 5 versions"),
        "{msg}"
    );
    t.push(format!("sixth version -> {code} {status} {msg}"));

    // ListPolicyVersions through the SDK paginator, two per page.
    let versions: Vec<_> = c
        .list_policy_versions()
        .policy_arn(&arn)
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("list versions");
    let mut ids: Vec<(String, bool)> = versions
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_string(),
                v.is_default_version(),
            )
        })
        .collect();
    if !moto {
        // AWS lists newest first; moto oldest first.
        assert_eq!(ids[0].0, "v5");
    }
    ids.sort();
    assert_eq!(ids.len(), 5);
    if !moto {
        // Likewise ListPolicyVersions: AWS omits Document, moto includes it.
        assert!(versions.iter().all(|v| v.document().is_none()));
    }
    t.push(format!("versions {ids:?}"));

    // GetPolicyVersion: AWS URL-encodes the document (RFC 3986) and the SDK does not decode.
    let v1 = c
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .expect("get version")
        .policy_version
        .expect("version");
    let raw = v1.document().expect("document");
    if !moto {
        // moto returns the document raw (unencoded), unlike AWS.
        assert!(
            raw.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
            "{raw}"
        );
        assert!(raw.contains("ivs%3AGetStage"), "{raw}");
    }
    assert_eq!(decode_document(raw), DOC_V1);
    let v2 = c
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .expect("get v2");
    let v2doc = decode_document(
        v2.policy_version()
            .and_then(|v| v.document())
            .expect("document"),
    );
    assert_eq!(v2doc, doc(2), "whitespace is kept as sent");
    t.push(format!(
        "v1 document decodes equal, default={}",
        v1.is_default_version()
    ));

    // The default version cannot be deleted.
    let (code, status, _) = err(c
        .delete_policy_version()
        .policy_arn(&arn)
        .version_id("v5")
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("DeleteConflict", 409));
    t.push(format!("delete default -> {code} {status}"));

    // SetDefaultPolicyVersion moves the default.
    c.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .expect("set default");
    let got = c
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("get")
        .policy
        .expect("policy");
    assert_eq!(got.default_version_id(), Some("v2"));
    t.push(format!("default now {:?}", got.default_version_id()));

    // Unknown versions.
    let (code, status, _) = err(c
        .set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v9")
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("NoSuchEntity", 404));
    let (code2, status2, _) = err(c
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v9")
        .send()
        .await);
    assert_eq!((code2.as_str(), status2), ("NoSuchEntity", 404));
    t.push(format!(
        "unknown version -> {code} {status} / {code2} {status2}"
    ));

    // Deleting a version frees a slot; version ids keep incrementing.
    c.delete_policy_version()
        .policy_arn(&arn)
        .version_id("v3")
        .send()
        .await
        .expect("delete v3");
    let v6 = c
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(doc(6))
        .send()
        .await
        .expect("create v6")
        .policy_version
        .expect("version");
    assert_eq!(v6.version_id(), Some("v6"));
    t.push(format!("after delete v3 next is {:?}", v6.version_id()));

    // Tags: TagPolicy overwrites by key, UntagPolicy removes; ListPolicyTags pages.
    c.tag_policy()
        .policy_arn(&arn)
        .tags(tag("stack", "demo2"))
        .tags(tag("tier", "gold"))
        .send()
        .await
        .expect("tag");
    c.untag_policy()
        .policy_arn(&arn)
        .tag_keys("owner")
        .send()
        .await
        .expect("untag");
    let tag_pages: Vec<_> = c
        .list_policy_tags()
        .policy_arn(&arn)
        .max_items(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("list tags");
    let pages = tag_pages.len();
    let mut listed: Vec<(String, String)> = tag_pages
        .iter()
        .flat_map(|p| {
            p.tags()
                .iter()
                .map(|x| (x.key().to_string(), x.value().to_string()))
        })
        .collect();
    assert_eq!(pages, 2, "one tag per page");
    assert_eq!(listed[0].0, "stack", "sorted by key");
    listed.sort();
    assert_eq!(
        listed,
        vec![
            ("stack".into(), "demo2".into()),
            ("tier".into(), "gold".into())
        ]
    );
    t.push(format!("tags after tag/untag {listed:?}"));

    // ListPolicies: Scope=Local + PathPrefix, paginated by the SDK paginator.
    for n in ["ivs-demo-b", "ivs-demo-c", "ivs-demo-d"] {
        c.create_policy()
            .policy_name(n)
            .path(path)
            .policy_document(DOC_V1)
            .send()
            .await
            .expect("create");
    }
    c.create_policy()
        .policy_name("elsewhere")
        .path("/other/")
        .policy_document(DOC_V1)
        .send()
        .await
        .expect("create elsewhere");
    let policies: Vec<_> = c
        .list_policies()
        .scope(PolicyScopeType::Local)
        .path_prefix(path)
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("list policies");
    let mut names: Vec<String> = policies
        .iter()
        .map(|p| p.policy_name().unwrap_or_default().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["ivs-demo-b", "ivs-demo-c", "ivs-demo-d", "ivs-demo-policy"]
    );
    assert!(
        policies.iter().all(|p| p.tags().is_empty()),
        "ListPolicies returns no tags"
    );
    let first = c
        .list_policies()
        .scope(PolicyScopeType::Local)
        .path_prefix(path)
        .max_items(3)
        .send()
        .await
        .expect("list page");
    assert!(first.is_truncated());
    assert_eq!(first.policies().len(), 3);
    t.push(format!("listed {names:?}"));

    // DeletePolicy with non-default versions left: AWS refuses.
    if !moto {
        // moto deletes a policy that still has non-default versions; AWS documents DeleteConflict.
        let (code, status, _) = err(c.delete_policy().policy_arn(&arn).send().await);
        assert_eq!((code.as_str(), status), ("DeleteConflict", 409));
    }
    for v in ["v1", "v4", "v5", "v6"] {
        c.delete_policy_version()
            .policy_arn(&arn)
            .version_id(v)
            .send()
            .await
            .expect("delete version");
    }
    c.delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("delete policy");
    let (code, status, _) = err(c.get_policy().policy_arn(&arn).send().await);
    assert_eq!((code.as_str(), status), ("NoSuchEntity", 404));
    t.push(format!("after delete get -> {code} {status}"));

    let missing = format!("arn:aws:iam::{}:policy/nope", common::ACCOUNT_ID);
    for r in [
        err(c.delete_policy().policy_arn(&missing).send().await),
        err(c.list_policy_versions().policy_arn(&missing).send().await),
        err(c
            .tag_policy()
            .policy_arn(&missing)
            .tags(tag("a", "b"))
            .send()
            .await),
    ] {
        assert_eq!((r.0.as_str(), r.1), ("NoSuchEntity", 404));
        t.push(format!("missing -> {} {}", r.0, r.1));
    }
    t
}

#[tokio::test]
async fn iam_scenario_local_and_moto_agree() {
    let ep = common::start_local().await;
    let local = iam_scenario(&Client::new(&common::sdk_config(&ep)), false).await;
    if !common::moto_available() {
        return;
    }
    let moto = common::Moto::start();
    let on_moto = iam_scenario(&Client::new(&moto.sdk_config(common::REGION)), true).await;
    assert_eq!(local, on_moto, "local endpoint and moto disagree");
}

#[tokio::test]
async fn iam_is_global_across_regions() {
    let ep = common::start_local().await;
    let east = Client::new(&common::sdk_config(&ep));
    let west = Client::new(&common::sdk_config_for(ep.url(), "eu-west-1"));
    let p = east
        .create_policy()
        .policy_name("global")
        .policy_document(DOC_V1)
        .send()
        .await
        .expect("create")
        .policy
        .expect("policy");
    let got = west
        .get_policy()
        .policy_arn(p.arn().expect("arn"))
        .send()
        .await
        .expect("get from eu-west-1");
    assert_eq!(got.policy().and_then(|p| p.policy_name()), Some("global"));
}

#[tokio::test]
async fn iam_validation_errors() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));

    let (code, status, msg) = err(c
        .create_policy()
        .policy_name("bad name")
        .policy_document(DOC_V1)
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert_eq!(
        msg,
        r"1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    let (code, _, msg) = err(c
        .create_policy()
        .policy_name("n".repeat(129))
        .policy_document(DOC_V1)
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    assert!(
        msg.contains("Member must have length less than or equal to 128"),
        "{msg}"
    );
    for bad_path in ["no-slash", "/a//", "/a*/", "/a"] {
        let (code, _, msg) = err(c
            .create_policy()
            .policy_name("p")
            .path(bad_path)
            .policy_document(DOC_V1)
            .send()
            .await);
        assert_eq!(code, "ValidationError", "{bad_path}: {msg}");
    }
    let (code, _, msg) = err(c
        .create_policy()
        .policy_name("p")
        .policy_document(DOC_V1)
        .description("d".repeat(1001))
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    assert!(msg.contains("'description'"), "{msg}");
    // Two violations are reported together.
    let (_, _, msg) = err(c
        .create_policy()
        .policy_name("bad name")
        .path("bad")
        .policy_document(DOC_V1)
        .send()
        .await);
    assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
    // Characters outside the model's charset.
    let (code, _, _) = err(c
        .create_policy()
        .policy_name("p")
        .policy_document(DOC_V1.replace("GetStage", "GetStage\u{2603}"))
        .send()
        .await);
    assert_eq!(code, "ValidationError");

    // Tags: more than 50, bad characters, duplicate keys (case-insensitive).
    let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let (code, _, _) = err(c
        .create_policy()
        .policy_name("p")
        .policy_document(DOC_V1)
        .set_tags(Some(many))
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    let (code, _, _) = err(c
        .create_policy()
        .policy_name("p")
        .policy_document(DOC_V1)
        .tags(tag("a*", "v"))
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    let (code, status, msg) = err(c
        .create_policy()
        .policy_name("p")
        .policy_document(DOC_V1)
        .tags(tag("Env", "a"))
        .tags(tag("env", "b"))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("InvalidInput", 400));
    assert!(msg.contains("case insensitive"), "{msg}");

    // Policy documents IAM rejects, with IAM's messages.
    for (doc, want) in [
        (
            r#"{"Version":"2011-01-01","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
            "Syntax errors in policy.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "Policy statement must contain actions.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b"}]}"#,
            "Policy statement must contain resources.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"}]}"#,
            "Policy document should not specify a principal.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"a:b","Resource":"*"}]}"#,
            "Syntax errors in policy.",
        ),
    ] {
        let (code, status, msg) = err(c
            .create_policy()
            .policy_name("p")
            .policy_document(doc)
            .send()
            .await);
        assert_eq!(
            (code.as_str(), status, msg.as_str()),
            ("MalformedPolicyDocument", 400, want)
        );
    }
    // The managed-policy size quota counts non-whitespace characters.
    let actions: Vec<String> = (0..400).map(|i| format!("\"ivs:Action{i:05}\"")).collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    );
    assert!(big.len() > 6144);
    let (code, status, msg) = err(c
        .create_policy()
        .policy_name("big")
        .policy_document(&big)
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
    assert_eq!(msg, "Cannot exceed quota for PolicySize: 6144");
    // Whitespace does not count.
    let padded = DOC_V1.replace(',', &format!(",{}", " ".repeat(3000)));
    c.create_policy()
        .policy_name("padded")
        .policy_document(padded)
        .send()
        .await
        .expect("whitespace is free");

    // Lookups: not an ARN at all, bad version id, paging bounds, bad enum, bad marker.
    let (code, status, _) = err(c
        .get_policy()
        .policy_arn("not-an-arn-at-all-xxxx")
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("InvalidInput", 400));
    let arn = format!("arn:aws:iam::{}:policy/padded", common::ACCOUNT_ID);
    let (code, _, _) = err(c
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("version1")
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    for n in [0, 1001] {
        let (code, _, msg) = err(c.list_policies().max_items(n).send().await);
        assert_eq!(code, "ValidationError", "{msg}");
    }
    let (code, _, msg) = err(c
        .list_policies()
        .scope(PolicyScopeType::from("Everything"))
        .send()
        .await);
    assert_eq!(code, "ValidationError");
    assert!(
        msg.contains("Member must satisfy enum value set: [All, AWS, Local]"),
        "{msg}"
    );
    let (code, _, _) = err(c.list_policies().marker("garbage").send().await);
    assert_eq!(code, "InvalidInput");
    // Scope=AWS lists no customer policies (AWS-managed policies are not emulated).
    let aws = c
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .send()
        .await
        .expect("list aws");
    assert!(aws.policies().is_empty());
    let attached = c
        .list_policies()
        .only_attached(true)
        .send()
        .await
        .expect("list attached");
    assert!(attached.policies().is_empty());

    // TagPolicy past 50 tags in total.
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    c.tag_policy()
        .policy_arn(&arn)
        .set_tags(Some(fifty))
        .send()
        .await
        .expect("50 tags");
    let (code, status, _) = err(c
        .tag_policy()
        .policy_arn(&arn)
        .tags(tag("one-more", "v"))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
    // Re-tagging an existing key (any case) does not add one.
    c.tag_policy()
        .policy_arn(&arn)
        .tags(tag("K0", "new"))
        .send()
        .await
        .expect("overwrite");
    let tags = c
        .list_policy_tags()
        .policy_arn(&arn)
        .max_items(1000)
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tags().len(), 50);
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "K0" && t.value() == "new")
    );
}

/// IAM accepts policy language 2008-10-17, explicitly or as the default of a document
/// without `Version` (moto refuses both, so this runs against the local endpoint only).
#[tokio::test]
async fn iam_accepts_policy_language_2008_10_17_and_no_version() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));
    let statement = r#""Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]"#;
    for (name, document) in [
        ("no-version", format!("{{{statement}}}")),
        (
            "old-version",
            format!(r#"{{"Version":"2008-10-17",{statement}}}"#),
        ),
    ] {
        let arn = c
            .create_policy()
            .policy_name(name)
            .policy_document(&document)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"))
            .policy()
            .and_then(|p| p.arn())
            .unwrap()
            .to_string();
        let v = c
            .get_policy_version()
            .policy_arn(&arn)
            .version_id("v1")
            .send()
            .await
            .unwrap();
        let stored = v.policy_version().and_then(|p| p.document()).unwrap();
        assert_eq!(decode_document(stored), document, "{name}");
    }
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn iam_throttling_is_classified_by_the_sdk() {
    // A rate quota scaled down to 1% makes the second call within a second throttle.
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            time_scale: 0.01,
            ..LocalConfig::default()
        },
        // Held still: the count of throttled calls does not depend on the machine's speed.
        ivstack_local::Clock::manual(),
    )
    .await;
    let c = Client::new(&common::no_retries(&common::sdk_config(&ep)));
    let mut codes = Vec::new();
    for _ in 0..5 {
        if let Err(e) = c.list_policies().send().await {
            codes.push((
                e.code().unwrap_or_default().to_string(),
                e.raw_response().map(|r| r.status().as_u16()),
            ));
        }
    }
    assert!(!codes.is_empty(), "some calls must be throttled");
    assert!(
        codes
            .iter()
            .all(|(c, s)| c == "Throttling" && *s == Some(400)),
        "{codes:?}"
    );
}

#[tokio::test]
async fn sts_get_caller_identity() {
    let ep = common::start_local().await;
    let sts = aws_sdk_sts::Client::new(&common::sdk_config(&ep));
    let id = sts
        .get_caller_identity()
        .send()
        .await
        .expect("get caller identity");
    assert_eq!(id.account(), Some(common::ACCOUNT_ID));
    assert_eq!(
        id.arn(),
        Some(format!("arn:aws:iam::{}:user/local", common::ACCOUNT_ID).as_str())
    );
    let user = id.user_id().expect("user id");
    assert!(user.starts_with("AIDA") && user.len() == 21, "{user}");
    // Same answer from another region (STS regional endpoints, same account).
    let west = aws_sdk_sts::Client::new(&common::sdk_config_for(ep.url(), "ap-south-1"));
    let id2 = west.get_caller_identity().send().await.expect("regional");
    assert_eq!(id2.user_id(), Some(user));
}

#[tokio::test]
async fn sts_and_iam_reject_bad_signatures() {
    let ep = common::start_local().await;
    let bad =
        common::sdk_config_with_keys(ep.url(), common::REGION, common::ACCESS_KEY, "wrong-secret");
    let e = aws_sdk_sts::Client::new(&bad)
        .get_caller_identity()
        .send()
        .await
        .expect_err("must be rejected");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(403));
    let e = Client::new(&bad)
        .list_policies()
        .send()
        .await
        .expect_err("must be rejected");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(403));
}

#[tokio::test]
async fn boto3_iam_sts_script() {
    let ep = common::start_local().await;
    let out = common::run_boto3("iam_sts.py", ep.url(), &[]).await;
    common::assert_script_ok("iam_sts.py", &out);
}
