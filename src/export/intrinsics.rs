//! Placeholders `${<section>.<id>.<attribute>}` as CloudFormation intrinsic functions.
//!
//! An ARN is `Fn::GetAtt [<LogicalId>, <the kind's ARN attribute>]`. A stage id (an
//! alarm's `Stage` dimension) has no attribute of its own in `AWS::IVS::Stage`, so it is
//! cut from the ARN: `Fn::Select [1, Fn::Split ["/", Fn::GetAtt [<Stage>, Arn]]]`. A
//! string with a placeholder among other text becomes `Fn::Join ["", [...]]`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::kinds::refs::placeholders_in;
use crate::kinds::{Attribute, Kind, Reference};

/// Why a placeholder has no CloudFormation form.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolvable {
    pub reference: Reference,
    pub why: String,
}

/// Replace every placeholder in `v`.
pub fn replace(v: &Value, ids: &BTreeMap<(Kind, String), String>) -> Result<Value, Unresolvable> {
    Ok(match v {
        Value::String(s) => string(s, ids)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|x| replace(x, ids))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), replace(x, ids)?)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn string(s: &str, ids: &BTreeMap<(Kind, String), String>) -> Result<Value, Unresolvable> {
    let found = placeholders_in(s);
    if found.is_empty() {
        return Ok(json!(s));
    }
    let mut parts = Vec::new();
    let mut last = 0;
    for (range, r) in found {
        if range.start > last {
            parts.push(json!(&s[last..range.start]));
        }
        parts.push(intrinsic(&r, ids)?);
        last = range.end;
    }
    if last < s.len() {
        parts.push(json!(&s[last..]));
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        json!({"Fn::Join": ["", parts]})
    })
}

fn intrinsic(r: &Reference, ids: &BTreeMap<(Kind, String), String>) -> Result<Value, Unresolvable> {
    let fail = |why: String| Unresolvable {
        reference: r.clone(),
        why,
    };
    let logical = ids.get(&(r.target, r.id.clone())).ok_or_else(|| {
        fail(format!(
            "the stack declares no {} `{}`",
            r.target.noun(),
            r.id
        ))
    })?;
    let attr = r.target.cfn_arn_attribute().ok_or_else(|| {
        fail(format!(
            "{} has no ARN attribute to refer to",
            r.target.cfn_type()
        ))
    })?;
    let arn = json!({"Fn::GetAtt": [logical, attr]});
    Ok(match r.attribute {
        Attribute::Arn => arn,
        Attribute::Id => json!({"Fn::Select": [1, {"Fn::Split": ["/", arn]}]}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_get_att_select_and_join() {
        let ids = BTreeMap::from([((Kind::Stage, "main".to_string()), "MainStage".to_string())]);
        let v = json!({
            "arn": "${stages.main.arn}",
            "id": "${stages.main.id}",
            "sub": "${stages.main.arn}/participants",
            "iam": "arn:aws:s3:::b/${aws:username}",
        });
        let out = replace(&v, &ids).unwrap();
        assert_eq!(out["arn"], json!({"Fn::GetAtt": ["MainStage", "Arn"]}));
        assert_eq!(
            out["id"],
            json!({"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::GetAtt": ["MainStage", "Arn"]}]}]})
        );
        assert_eq!(
            out["sub"],
            json!({"Fn::Join": ["", [{"Fn::GetAtt": ["MainStage", "Arn"]}, "/participants"]]})
        );
        assert_eq!(
            out["iam"], "arn:aws:s3:::b/${aws:username}",
            "IAM variables stay"
        );
        let err = replace(&json!("${stages.other.arn}"), &ids).unwrap_err();
        assert!(err.why.contains("no stage `other`"), "{}", err.why);
    }
}
