//! The policy kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Value, json};

use super::Policy;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, field};

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
}
