//! The storage configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::json;

use super::StorageConfiguration;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, tag_list};

impl Audited for StorageConfiguration {
    // No field of a storage configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::IVS::StorageConfiguration";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("Name", field(spec, "name"));
        cfn.put(
            "S3",
            field(spec, "s3_bucket").map(|b| json!({"BucketName": b})),
        );
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["ivs:ListStorageConfigurations"],
            vec!["*".into()],
        )];
        if scope.declared {
            // A plan that deletes one first reads every stage of the region: AWS refuses
            // the delete while a stage outside the stack records to it.
            out.push(Permission::new(
                Mode::Plan,
                &["ivs:ListStages", "ivs:GetStage"],
                vec![scope.ivs("stage")],
            ));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "ivs:CreateStorageConfiguration",
                    "ivs:DeleteStorageConfiguration",
                    "ivs:TagResource",
                    "ivs:UntagResource",
                ],
                vec![scope.ivs("storage-configuration")],
            ));
        }
        out
    }
}
