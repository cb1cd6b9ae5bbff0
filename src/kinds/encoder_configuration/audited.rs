//! The encoder configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Map, Value};

use super::EncoderConfiguration;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, tag_list};

impl Audited for EncoderConfiguration {
    // No field of an encoder configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::IVS::EncoderConfiguration";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("Name", field(spec, "name"));
        if let Some(Value::Object(v)) = spec.get("video") {
            let mut video = Map::new();
            for (from, to) in [
                ("width", "Width"),
                ("height", "Height"),
                ("framerate", "Framerate"),
                ("bitrate", "Bitrate"),
            ] {
                if let Some(x) = field(v, from) {
                    video.insert(to.to_string(), x);
                }
            }
            cfn.put("Video", Some(Value::Object(video)));
        }
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["ivs:ListEncoderConfigurations"],
            vec!["*".into()],
        )];
        if scope.declared {
            let mine = vec![scope.ivs("encoder-configuration")];
            out.push(Permission::new(
                Mode::Plan,
                &["ivs:GetEncoderConfiguration"],
                mine.clone(),
            ));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "ivs:CreateEncoderConfiguration",
                    "ivs:DeleteEncoderConfiguration",
                    "ivs:TagResource",
                    "ivs:UntagResource",
                ],
                mine,
            ));
        }
        out
    }
}
