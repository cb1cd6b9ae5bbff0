//! The ingest configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::Value;

use super::IngestConfiguration;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, tag_list};

impl Audited for IngestConfiguration {
    // No field of an ingest configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::IVS::IngestConfiguration";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("Name", field(spec, "name"));
        // `""` is "attached to no stage": CloudFormation's default, so left out.
        cfn.put(
            "StageArn",
            field(spec, "stage").filter(|s| s.as_str() != Some("")),
        );
        cfn.put("IngestProtocol", field(spec, "ingest_protocol"));
        cfn.put("UserId", field(spec, "user_id"));
        cfn.put("InsecureIngest", field(spec, "insecure_ingest"));
        if spec
            .get("attributes")
            .and_then(Value::as_object)
            .is_some_and(|a| !a.is_empty())
        {
            cfn.unsupported_if(
                spec,
                &["attributes"],
                "AWS::IVS::IngestConfiguration has no Attributes property (the participant \
                 attributes CreateIngestConfiguration takes)",
            );
        }
        cfn.unsupported_if(
            spec,
            &["redundant_ingest"],
            "AWS::IVS::IngestConfiguration has no RedundantIngest property",
        );
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["ivs:ListIngestConfigurations"],
            vec!["*".into()],
        )];
        if scope.declared {
            let mine = vec![scope.ivs("ingest-configuration")];
            // Ownership is read from the tags (ListTagsForResource); for the
            // configurations whose `attributes` the file manages, from
            // GetIngestConfiguration, which also returns the stream key.
            let mut read = vec!["ivs:ListTagsForResource"];
            if scope
                .stack
                .ingest_configurations
                .values()
                .any(|c| c.attributes.is_some())
            {
                read.push("ivs:GetIngestConfiguration");
            }
            out.push(Permission::new(Mode::Plan, &read, mine.clone()));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "ivs:CreateIngestConfiguration",
                    "ivs:UpdateIngestConfiguration",
                    "ivs:DeleteIngestConfiguration",
                    "ivs:TagResource",
                    "ivs:UntagResource",
                ],
                mine,
            ));
        }
        out
    }
}
