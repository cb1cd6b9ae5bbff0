//! Raw IAM policy `document`s are checked with the grammar IAM applies to identity
//! policies (issue 8 #7): every element's name and type, Effect, Action / NotAction,
//! Resource / NotResource, no Principal, Condition operators, keys and values — each
//! finding with its line, column and field path.

use ivstack::stack::diagnostics::{Diagnostic, Severity};
use ivstack::stack::load_str;

const HEAD: &str = "stack: t\nregion: us-east-1\npolicies:\n  p:\n    document:\n";

/// A stack file whose policy `p` has `doc` (YAML, indented by six spaces) as its document.
fn file(doc: &str) -> String {
    let mut s = HEAD.to_string();
    for line in doc.lines() {
        s.push_str("      ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

fn findings(src: &str) -> Vec<Diagnostic> {
    match load_str("t.yaml", src) {
        Ok(l) => l.warnings.items().to_vec(),
        Err(d) => d.items().to_vec(),
    }
}

/// Line and column (1-based, characters) of the first `needle` at or after `after`.
fn at(src: &str, needle: &str, after: &str) -> (usize, usize) {
    let from = src.find(after).expect("anchor in source");
    let idx = from + src[from..].find(needle).expect("needle in source");
    let before = &src[..idx];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

const OK_STATEMENT: &str = "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'";

struct Case {
    name: &'static str,
    doc: String,
    severity: Severity,
    code: &'static str,
    path: &'static str,
    /// Where the finding points: the first `needle` at or after `after`.
    needle: &'static str,
    after: &'static str,
    message: &'static str,
}

fn error(
    name: &'static str,
    doc: &str,
    code: &'static str,
    path: &'static str,
    (needle, after): (&'static str, &'static str),
    message: &'static str,
) -> Case {
    Case {
        name,
        doc: doc.to_string(),
        severity: Severity::Error,
        code,
        path,
        needle,
        after,
        message,
    }
}

fn statement(body: &str) -> String {
    let mut s = "Version: '2012-10-17'\nStatement:\n- ".to_string();
    s.push_str(body);
    s
}

const D: &str = "policies.p.document";

#[test]
fn every_grammar_rule_reports_message_position_and_path() {
    let cases = vec![
        error(
            "Version of the wrong type",
            &format!("Version: [1, 2]\nStatement:\n- {OK_STATEMENT}"),
            "document",
            "policies.p.document.Version",
            ("[1, 2]", "Version"),
            "`Version`",
        ),
        error(
            "unknown Version",
            &format!("Version: '2012-10-18'\nStatement:\n- {OK_STATEMENT}"),
            "document",
            "policies.p.document.Version",
            ("'2012-10-18'", "Version"),
            "2012-10-18",
        ),
        error(
            "unknown top-level element",
            &format!("Version: '2012-10-17'\nStatment: x\nStatement:\n- {OK_STATEMENT}"),
            "document",
            "policies.p.document.Statment",
            ("Statment", "document"),
            "did you mean `Statement`",
        ),
        error(
            "Id of the wrong type",
            &format!("Version: '2012-10-17'\nId: 5\nStatement:\n- {OK_STATEMENT}"),
            "document",
            "policies.p.document.Id",
            ("5", "Id"),
            "`Id`",
        ),
        error(
            "no Statement",
            "Version: '2012-10-17'\nId: x",
            "document",
            D,
            ("Version", "document"),
            "`Statement`",
        ),
        error(
            "empty Statement list",
            "Version: '2012-10-17'\nStatement: []",
            "document",
            "policies.p.document.Statement",
            ("[]", "Statement"),
            "empty",
        ),
        error(
            "a statement that is not a map",
            "Version: '2012-10-17'\nStatement:\n- just text",
            "document",
            "policies.p.document.Statement[0]",
            ("just text", "Statement"),
            "statement",
        ),
        error(
            "Effect of the wrong type",
            &statement("Effect: 5\n  Action: ivs:GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Effect",
            ("5", "Effect"),
            "`Effect`",
        ),
        error(
            "Effect of an unknown value",
            &statement("Effect: Permit\n  Action: ivs:GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Effect",
            ("Permit", "Effect"),
            "`Allow` or `Deny`",
        ),
        error(
            "no Effect",
            &statement("Action: ivs:GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0]",
            ("Action", "Statement"),
            "`Effect`",
        ),
        error(
            "Action of the wrong type",
            &statement("Effect: Allow\n  Action: {a: 1}\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Action",
            ("{a: 1}", "Action"),
            "`Action`",
        ),
        error(
            "an action of the wrong type in a list",
            &statement("Effect: Allow\n  Action: [ivs:GetStage, 5]\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Action[1]",
            ("5", "GetStage"),
            "string",
        ),
        error(
            "an action without a service prefix",
            &statement("Effect: Allow\n  Action: GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Action",
            ("GetStage", "Action"),
            "service prefix",
        ),
        error(
            "an action with two colons",
            &statement("Effect: Allow\n  Action: 'ivs:Get:Stage'\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Action",
            ("'ivs:Get:Stage'", "Action"),
            "one colon",
        ),
        error(
            "empty Resource list",
            &statement("Effect: Allow\n  Action: ivs:GetStage\n  Resource: []"),
            "document",
            "policies.p.document.Statement[0].Resource",
            ("[]", "Resource"),
            "empty",
        ),
        error(
            "a resource that is not an ARN",
            &statement("Effect: Allow\n  Action: ivs:GetStage\n  Resource: my-bucket"),
            "arn",
            "policies.p.document.Statement[0].Resource",
            ("my-bucket", "Resource"),
            "ARN",
        ),
        error(
            "both Action and NotAction",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  NotAction: ivs:DeleteStage\n  Resource: '*'",
            ),
            "document",
            "policies.p.document.Statement[0].NotAction",
            ("NotAction", "Statement"),
            "both `Action` and `NotAction`",
        ),
        error(
            "neither Action nor NotAction",
            &statement("Effect: Allow\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0]",
            ("Effect", "Statement"),
            "neither `Action` nor `NotAction`",
        ),
        error(
            "both Resource and NotResource",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  NotResource: '*'",
            ),
            "document",
            "policies.p.document.Statement[0].NotResource",
            ("NotResource", "Statement"),
            "both `Resource` and `NotResource`",
        ),
        error(
            "neither Resource nor NotResource",
            &statement("Effect: Allow\n  Action: ivs:GetStage"),
            "document",
            "policies.p.document.Statement[0]",
            ("Effect", "Statement"),
            "neither `Resource` nor `NotResource`",
        ),
        error(
            "a Principal in an identity policy",
            &statement(
                "Effect: Allow\n  Principal: {AWS: '*'}\n  Action: ivs:GetStage\n  Resource: '*'",
            ),
            "document",
            "policies.p.document.Statement[0].Principal",
            ("Principal", "Statement"),
            "`Principal`",
        ),
        error(
            "a NotPrincipal in an identity policy",
            &statement(
                "Effect: Deny\n  NotPrincipal: {AWS: '*'}\n  Action: ivs:GetStage\n  Resource: '*'",
            ),
            "document",
            "policies.p.document.Statement[0].NotPrincipal",
            ("NotPrincipal", "Statement"),
            "`NotPrincipal`",
        ),
        error(
            "an unknown statement element",
            &statement(
                "Effect: Allow\n  Actions: ivs:GetStage\n  Action: ivs:GetStage\n  Resource: '*'",
            ),
            "document",
            "policies.p.document.Statement[0].Actions",
            ("Actions", "Statement"),
            "did you mean `Action`",
        ),
        error(
            "a Sid of the wrong type",
            &statement("Sid: 12\n  Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Sid",
            ("12", "Sid"),
            "`Sid`",
        ),
        error(
            "a Sid with punctuation",
            &statement("Sid: read-only\n  Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'"),
            "document",
            "policies.p.document.Statement[0].Sid",
            ("read-only", "Sid"),
            "letters and digits",
        ),
        error(
            "a duplicate Sid",
            &format!(
                "Version: '2012-10-17'\nStatement:\n- Sid: A\n  {OK_STATEMENT}\n- Effect: Deny\n  Sid: A\n  Action: ivs:GetStage\n  Resource: '*'"
            ),
            "duplicate-sid",
            "policies.p.document.Statement[1].Sid",
            ("A", "Effect: Deny"),
            "`A`",
        ),
        error(
            "Condition of the wrong type",
            &statement("Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition: [x]"),
            "condition",
            "policies.p.document.Statement[0].Condition",
            ("[x]", "Condition"),
            "`Condition`",
        ),
        error(
            "an unknown condition operator",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    StringEqual: {aws:username: x}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.StringEqual",
            ("StringEqual", "Condition"),
            "did you mean `StringEquals`",
        ),
        error(
            "IfExists on Null",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    NullIfExists: {aws:TokenIssueTime: 'true'}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.NullIfExists",
            ("NullIfExists", "Condition"),
            "`NullIfExists`",
        ),
        error(
            "an unknown set prefix",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    ForSomeValues:StringLike: {aws:TagKeys: x}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.ForSomeValues:StringLike",
            ("ForSomeValues:StringLike", "Condition"),
            "`ForSomeValues:StringLike`",
        ),
        error(
            "an operator that is not a map of keys",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    StringEquals: x",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.StringEquals",
            ("x", "StringEquals"),
            "condition keys",
        ),
        error(
            "a condition key without a prefix",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    StringEquals: {username: x}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.StringEquals.username",
            ("username", "StringEquals"),
            "`username`",
        ),
        error(
            "a condition value that is a map",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    StringEquals: {aws:username: {a: b}}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.StringEquals.aws:username",
            ("{a: b}", "aws:username"),
            "value",
        ),
        error(
            "a condition with no values",
            &statement(
                "Effect: Allow\n  Action: ivs:GetStage\n  Resource: '*'\n  Condition:\n    StringEquals: {aws:username: []}",
            ),
            "condition",
            "policies.p.document.Statement[0].Condition.StringEquals.aws:username",
            ("[]", "aws:username"),
            "no values",
        ),
        error(
            "a policy variable in an old-version document",
            "Version: '2008-10-17'\nStatement:\n- Effect: Allow\n  Action: ivs:GetStage\n  Resource: 'arn:aws:ivs:*:*:stage/${aws:username}'",
            "document",
            "policies.p.document.Version",
            ("'2008-10-17'", "Version"),
            "policy variables",
        ),
        Case {
            name: "an old Version",
            doc: format!("Version: '2008-10-17'\nStatement:\n- {OK_STATEMENT}"),
            severity: Severity::Warning,
            code: "document",
            path: "policies.p.document.Version",
            needle: "'2008-10-17'",
            after: "Version",
            message: "2008-10-17",
        },
        Case {
            name: "no Version",
            doc: format!("Statement:\n- {OK_STATEMENT}"),
            severity: Severity::Warning,
            code: "document",
            path: D,
            needle: "document",
            after: "p:",
            message: "`Version`",
        },
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let src = file(&c.doc);
        let all = findings(&src);
        let Some(d) = all
            .iter()
            .find(|d| d.code == c.code && d.path.as_deref() == Some(c.path))
        else {
            failures.push(format!(
                "`{}`: no `{}` finding at `{}`; got {:?}",
                c.name,
                c.code,
                c.path,
                all.iter()
                    .map(|d| (d.code, d.path.clone(), d.message.clone()))
                    .collect::<Vec<_>>()
            ));
            continue;
        };
        if d.severity != c.severity {
            failures.push(format!("`{}`: severity {:?}", c.name, d.severity));
        }
        // What the person reads: the headline and the text under the caret.
        let shown = format!("{} | {}", d.message, d.label.clone().unwrap_or_default());
        if !shown.contains(c.message) {
            failures.push(format!("`{}`: `{shown}` lacks `{}`", c.name, c.message));
        }
        let span = d.span.expect("a position");
        let want = at(&src, c.needle, c.after);
        if (span.line, span.col) != want {
            failures.push(format!(
                "`{}`: at {}:{}, expected {}:{}",
                c.name, span.line, span.col, want.0, want.1
            ));
        }
        let loads = load_str("t.yaml", &src).is_ok();
        if loads != (c.severity == Severity::Warning) {
            failures.push(format!("`{}`: loads = {loads}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_issue_example_is_invalid_with_every_finding() {
    let doc =
        "Version: [1, 2]\nStatement:\n- Effect: 5\n  Action: {a: 1}\n  Resource: []\n  Bogus: x";
    let all = findings(&file(doc));
    let mut paths: Vec<String> = all
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.path.clone())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "policies.p.document.Statement[0].Action",
            "policies.p.document.Statement[0].Bogus",
            "policies.p.document.Statement[0].Effect",
            "policies.p.document.Statement[0].Resource",
            "policies.p.document.Version",
        ]
    );
}

#[test]
fn valid_documents_have_no_findings() {
    let docs = [
        // A statement as a single map, strings rather than lists.
        format!("Version: '2012-10-17'\nId: my-policy\nStatement:\n  {OK_STATEMENT}"),
        // Lists, NotAction / NotResource, an empty Sid, every condition form.
        "Version: '2012-10-17'\nStatement:\n\
         - Sid: ''\n  Effect: Deny\n  NotAction: [ivs:DeleteStage, 'iam:*']\n  NotResource: ['arn:aws:ivs:us-east-1:123456789012:stage/*']\n\
         - Sid: Read1\n  Effect: Allow\n  Action: ['ivs:Get*', 'ivs:List?tages', '*']\n  Resource: ['*']\n  Condition:\n\
         \x20   StringEqualsIgnoreCase: {aws:username: [a, b]}\n\
         \x20   ForAnyValue:StringLikeIfExists: {aws:TagKeys: 'team-*'}\n\
         \x20   ForAllValues:StringEquals: {aws:TagKeys: [team]}\n\
         \x20   NumericLessThanEquals: {aws:MultiFactorAuthAge: 3600}\n\
         \x20   DateGreaterThan: {aws:CurrentTime: '2024-01-01T00:00:00Z'}\n\
         \x20   Bool: {aws:SecureTransport: true}\n\
         \x20   BoolIfExists: {aws:MultiFactorAuthPresent: 'true'}\n\
         \x20   IpAddress: {aws:SourceIp: 203.0.113.0/24}\n\
         \x20   ArnLike: {aws:SourceArn: 'arn:aws:ivs:*:*:stage/*'}\n\
         \x20   Null: {aws:TokenIssueTime: 'false'}\n\
         \x20   BinaryEquals: {s3:x-amz-meta-key: QmluYXJ5}\n"
            .to_string(),
    ];
    for doc in &docs {
        let src = file(doc);
        let all = findings(&src);
        assert!(all.is_empty(), "{src}\n{all:#?}");
        assert!(load_str("t.yaml", &src).is_ok());
    }
}
