//! CloudFormation logical ids for the resources of a stack.
//!
//! CloudFormation allows only ASCII letters and digits in a logical id (at most 255
//! characters); ivstack's logical ids also use `-` and `_`. The mapping is deterministic:
//! the id in PascalCase (each run of letters and digits after a `-` or `_` starts with a
//! capital), then the kind in PascalCase: `stages.green-room` → `GreenRoomStage`,
//! `storage_configurations.recordings` → `RecordingsStorageConfiguration`. When two
//! resources would get the same id (`a-b` and `a_b`, or `ab` and `Ab` of the same kind)
//! each of them gets the first 8 hex digits of the SHA-256 of `<section>.<id>` appended,
//! so the mapping never depends on which other resources the file declares beyond such a
//! clash. Ids longer than 255 characters are cut and get the same suffix.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::kinds::Kind;

/// The longest logical id CloudFormation accepts.
const MAX: usize = 255;

/// `green-room` → `GreenRoom`.
fn pascal(s: &str) -> String {
    s.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<String>()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// `storage-configuration` → `StorageConfiguration`.
fn kind_suffix(kind: Kind) -> String {
    pascal(kind.as_str())
}

fn digest(kind: Kind, id: &str) -> String {
    let h = Sha256::digest(format!("{}.{id}", kind.section()).as_bytes());
    hex::encode(&h[..4])
}

/// The logical id of every resource, by (kind, ivstack logical id).
pub fn logical_ids<'a>(
    resources: impl IntoIterator<Item = (Kind, &'a str)>,
) -> BTreeMap<(Kind, String), String> {
    let resources: Vec<(Kind, &str)> = resources.into_iter().collect();
    let plain = |kind: Kind, id: &str| format!("{}{}", pascal(id), kind_suffix(kind));
    let mut count: HashMap<String, usize> = HashMap::new();
    for (kind, id) in &resources {
        *count.entry(plain(*kind, id)).or_default() += 1;
    }
    resources
        .into_iter()
        .map(|(kind, id)| {
            let p = plain(kind, id);
            let name = if count.get(&p).copied().unwrap_or(0) > 1 || p.len() > MAX {
                let suffix = digest(kind, id);
                let mut base = p;
                base.truncate(MAX - suffix.len());
                base + &suffix
            } else {
                p
            };
            ((kind, id.to_string()), name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_alphanumeric_and_kinds_tell_them_apart() {
        let ids = logical_ids([
            (Kind::Stage, "green-room"),
            (Kind::Stage, "main"),
            (Kind::Alarm, "main"),
            (Kind::StorageConfiguration, "recordings"),
        ]);
        assert_eq!(ids[&(Kind::Stage, "green-room".into())], "GreenRoomStage");
        assert_eq!(ids[&(Kind::Stage, "main".into())], "MainStage");
        assert_eq!(ids[&(Kind::Alarm, "main".into())], "MainAlarm");
        assert_eq!(
            ids[&(Kind::StorageConfiguration, "recordings".into())],
            "RecordingsStorageConfiguration"
        );
    }

    #[test]
    fn clashes_get_a_stable_digest() {
        let ids = logical_ids([
            (Kind::Stage, "a-b"),
            (Kind::Stage, "a_b"),
            (Kind::Stage, "c"),
        ]);
        let (ab1, ab2) = (
            &ids[&(Kind::Stage, "a-b".into())],
            &ids[&(Kind::Stage, "a_b".into())],
        );
        assert_ne!(ab1, ab2);
        assert!(
            ab1.starts_with("ABStage") && ab1.len() == "ABStage".len() + 8,
            "{ab1}"
        );
        assert_eq!(ids[&(Kind::Stage, "c".into())], "CStage");
        // The same clash gives the same ids whatever else the file declares.
        let again = logical_ids([(Kind::Stage, "a_b"), (Kind::Stage, "a-b")]);
        assert_eq!(&again[&(Kind::Stage, "a-b".into())], ab1);
        let long = "x".repeat(300);
        let ids = logical_ids([(Kind::Stage, long.as_str())]);
        let l = &ids[&(Kind::Stage, long.clone())];
        assert_eq!(l.len(), 255);
        assert!(l.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
