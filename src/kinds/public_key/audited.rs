//! The public key kind's audit-side facts (see [`crate::kinds::audited`]).

use super::PublicKey;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, tag_list};

impl Audited for PublicKey {
    // No field of a public key is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::IVS::PublicKey";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("Name", field(spec, "name"));
        // The key file's contents: the template stands alone.
        cfn.put("PublicKeyMaterial", field(spec, "public_key_pem"));
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["ivs:ListPublicKeys"],
            vec!["*".into()],
        )];
        if scope.declared {
            let mine = vec![scope.ivs("public-key")];
            out.push(Permission::new(
                Mode::Plan,
                &["ivs:GetPublicKey"],
                mine.clone(),
            ));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "ivs:ImportPublicKey",
                    "ivs:DeletePublicKey",
                    "ivs:TagResource",
                    "ivs:UntagResource",
                ],
                mine,
            ));
        }
        out
    }
}
