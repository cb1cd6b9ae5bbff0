//! The policy kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Value, json};

use super::Policy;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field};

impl Audited for Policy {
    // The policy document (canonical JSON, placeholders for resources not created yet).
    const IAM_DOCUMENTS: &'static [&'static str] = &["document"];
    const CFN_TYPE: &'static str = "AWS::IAM::ManagedPolicy";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("PolicyArn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("ManagedPolicyName", field(spec, "name"));
        cfn.put("Path", field(spec, "path"));
        cfn.put("Description", field(spec, "description"));
        // The document as a JSON object, so its placeholders become intrinsic functions.
        cfn.put(
            "PolicyDocument",
            spec.get("document")
                .and_then(Value::as_str)
                .and_then(|d| serde_json::from_str(d).ok()),
        );
        // AWS::IAM::ManagedPolicy has no Tags property: the tags (ownership included) are
        // kept where a reader sees them, and the path still says which stack it is.
        cfn.metadata
            .insert("ivstack:tags".into(), json!(desired.tags));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        // ListPolicies supports no resource-level permission; ivstack lists its path only.
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["iam:ListPolicies"],
            vec!["*".into()],
        )];
        if scope.declared {
            let mine = vec![format!(
                "arn:aws:iam::{}:policy{}*",
                scope.account,
                super::path_for(&scope.stack.stack)
            )];
            out.push(Permission::new(
                Mode::Plan,
                &["iam:GetPolicy", "iam:GetPolicyVersion"],
                mine.clone(),
            ));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "iam:CreatePolicy",
                    "iam:CreatePolicyVersion",
                    "iam:ListPolicyVersions",
                    "iam:DeletePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:TagPolicy",
                    "iam:UntagPolicy",
                ],
                mine,
            ));
        }
        out
    }
}
