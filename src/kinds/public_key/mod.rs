//! IVS Real-Time public keys (`public_keys.<id>`): the public half of a P-384 key pair
//! whose private half signs participant tokens (ES384).
//!
//! Spec fields: `name`, `public_key_pem` (the key in canonical PEM, from
//! `public_key_pem` or the file `public_key_file`). IVS has no update for them, so a
//! change replaces the key; tags update in place. IVS refuses to import the same key twice,
//! so a replace that keeps the key (a new name) deletes the old one first; a new key is
//! imported before the old one goes.

mod audited;
mod aws;
pub mod model;
pub mod pem;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

pub use model::{KeyFile, PublicKey};

use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, Names, ReplaceOrder, Resource, ResourceKind, Service,
};
use crate::aws::Aws;
use crate::stack::check::field_path;
use crate::stack::load::{Bounded, read_bounded};
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Finish, Validator};

/// Largest key file read (a P-384 public key in PEM is 215 bytes).
const MAX_KEY_FILE: usize = 64 * 1024;

impl PublicKey {
    /// The key text the file gives, inline or read from `public_key_file`.
    fn text(&self) -> Option<&str> {
        match (&self.public_key_pem, &self.file) {
            (Some(pem), _) => Some(pem),
            (
                None,
                Some(KeyFile {
                    contents: Ok(text), ..
                }),
            ) => Some(text),
            _ => None,
        }
    }
}

impl ResourceKind for PublicKey {
    const KIND: Kind = Kind::PublicKey;
    const NOUN: &'static str = "public key";
    const SERVICE: Service = Service::Ivs;
    // No UpdatePublicKey.
    const REPLACE_FIELDS: &'static [&'static str] = &["name", "public_key_pem"];
    // Policies name the ARN; self-signed tokens carry it as `kid`.
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 128;
    const NAMES: Names = Names::NotUnique;
    const MAX_TAGS: usize = validate::MAX_TAGS;
    const UNOBSERVED: &'static [&'static str] = &[];

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn protect(&self) -> bool {
        self.protect
    }

    fn references(&self) -> Vec<FieldRef> {
        Vec::new()
    }

    /// The key in canonical PEM, so that its spelling in the file (line endings,
    /// surrounding blank lines) never shows as a change. Validation refuses a text that is
    /// not a P-384 public key, so the raw text only stands in for files with errors.
    fn spec(&self, _stack: &StackFile, _id: &str, _known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        if let Some(text) = self.text() {
            let key = pem::canonical(text).unwrap_or_else(|_| text.trim().to_string());
            spec.insert("public_key_pem".into(), json!(key));
        }
        spec
    }

    fn read_files(&mut self, dir: &Path) {
        let Some(file) = &self.public_key_file else {
            return;
        };
        let path = dir.join(file);
        let contents = match read_bounded(&path, MAX_KEY_FILE) {
            Ok(Bounded::Complete(bytes)) => String::from_utf8(bytes)
                .map_err(|_| "it is not text (a PEM file is ASCII)".to_string()),
            Ok(Bounded::TooLarge(_)) => Err(format!(
                "it is larger than {} KiB, far more than a PEM public key",
                MAX_KEY_FILE / 1024
            )),
            Err(e) => Err(e.to_string()),
        };
        self.file = Some(KeyFile { path, contents });
    }

    fn validate(&self, v: &mut Validator<'_>, _stack: &StackFile, id: &str) {
        let base = field_path(&["public_keys", id]);
        let (pem_path, file_path) = (
            format!("{base}.public_key_pem"),
            format!("{base}.public_key_file"),
        );
        match (&self.public_key_pem, &self.public_key_file) {
            (None, None) => {
                v.error_key(
                    "public-key",
                    &base,
                    format!("public key `{id}` has neither `public_key_pem` nor `public_key_file`"),
                )
                .set_label("add one of the two")
                .set_help(pem::HOW_TO);
                return;
            }
            (Some(_), Some(_)) => {
                v.error_key(
                    "public-key",
                    &file_path,
                    format!("public key `{id}` has both `public_key_pem` and `public_key_file`"),
                )
                .set_label("remove this, or `public_key_pem`")
                .set_help("give the key inline or as a file, not both");
                return;
            }
            _ => {}
        }
        if let Some(KeyFile {
            path,
            contents: Err(why),
        }) = &self.file
        {
            v.error(
                "public-key",
                &file_path,
                format!(
                    "cannot read the key file of public key `{id}`, `{}`: {why}",
                    path.display()
                ),
            )
            .set_help("`public_key_file` is relative to the directory of the stack file");
            return;
        }
        let Some(text) = self.text() else { return };
        let Err(problem) = pem::canonical(text) else {
            return;
        };
        let (path, source) = match &self.file {
            Some(f) => (file_path, format!("the file `{}`", f.path.display())),
            None => (pem_path, "`public_key_pem`".to_string()),
        };
        let private = problem == pem::KeyProblem::PrivateKey;
        let d = v.error_key(
            "public-key",
            &path,
            format!(
                "{source} of public key `{id}` is not a P-384 public key: {}",
                problem.describe()
            ),
        );
        if private {
            // The key is a secret: point at it, never show it.
            d.hide_source = true;
            d.set_help(
                "a private key must never be in a stack file or sent to AWS: remove it (and \
                 treat it as exposed if this file was shared), then give only the public half, \
                 `openssl ec -in signer.pem -pubout`",
            );
        } else {
            d.set_help(pem::HOW_TO);
        }
    }

    fn policy_arn_example(region: &str, account: &str) -> Option<String> {
        Some(format!(
            "arn:aws:ivs:{region}:{account}:public-key/f99cde61-c2b0-4df3-8941-ca7d38acca1a"
        ))
    }

    fn live_references(_live: &Resource) -> Vec<LiveRef> {
        Vec::new()
    }

    /// IVS refuses to import a key it already holds: a replace that keeps the key (only
    /// the name changes) must delete the old one first. A new key is imported first, so
    /// policies naming it move over before the old one goes.
    fn replace_order(desired: &Resource, live: &Resource) -> ReplaceOrder {
        let key = |r: &Resource| r.spec.get("public_key_pem").cloned();
        if key(desired) == key(live) {
            ReplaceOrder::DeleteFirst
        } else {
            ReplaceOrder::CreateFirst
        }
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, &stack.stack).await
    }

    // Nothing in IVS refers to a public key: deleting one only invalidates the tokens its
    // private key signs.
    async fn users_outside(
        _aws: &Aws,
        _stack: &StackFile,
        _observed: &[Resource],
        _going: &[&Resource],
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        Ok(BTreeMap::new())
    }

    async fn create(aws: &Aws, stack: &str, desired: &Resource) -> anyhow::Result<String> {
        aws::create(aws, stack, desired).await
    }

    async fn update(aws: &Aws, desired: &Resource, live: &Resource) -> anyhow::Result<()> {
        let arn = live.physical_id.as_deref().unwrap_or_default();
        super::ivs::update_tags(aws, arn, &desired.tags, &live.tags).await
    }

    async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
        aws::delete(aws, live).await
    }

    async fn discover(aws: &Aws, wanted: &super::Wanted) -> anyhow::Result<Vec<Resource>> {
        aws::discover(aws, wanted).await
    }

    fn render(
        live: &Resource,
        _ids: &super::LogicalIds,
        _notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        Ok(PublicKey {
            name: Some(live.name().to_string()),
            public_key_pem: live.spec["public_key_pem"].as_str().map(str::to_string),
            tags: super::discover::own_tags(&live.tags),
            ..PublicKey::default()
        })
    }

    async fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        super::ivs::adopt(aws, live, tags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::desired_of;
    use crate::stack::load_str;
    use p384::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

    fn secret() -> p384::SecretKey {
        let bytes: Vec<u8> = (11..=58).collect();
        p384::SecretKey::from_slice(&bytes).unwrap()
    }

    fn public_pem() -> String {
        secret()
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    fn indented(text: &str) -> String {
        text.lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    }

    fn inline(pem: &str) -> String {
        format!(
            "stack: s\nregion: us-east-1\npublic_keys:\n  signer:\n    public_key_pem: |\n{}",
            indented(pem)
        )
    }

    #[test]
    fn an_inline_key_is_desired_in_canonical_form() {
        let loaded = load_str("t.yaml", &inline(&public_pem())).expect("valid");
        let d = desired_of(&loaded.model, Kind::PublicKey, "signer", &Known::new()).unwrap();
        assert_eq!(d.spec["public_key_pem"], json!(public_pem()));
        assert_eq!(d.name(), "s-signer");
    }

    #[test]
    fn a_pasted_private_key_is_refused_without_showing_it() {
        let private = secret().to_pkcs8_pem(LineEnding::LF).unwrap();
        let err = load_str("t.yaml", &inline(&private)).expect_err("refused");
        let text = err.render(false);
        assert!(text.contains("this is a private key"), "{text}");
        assert!(text.contains("t.yaml:5:5"), "{text}");
        assert!(text.contains("public_keys.signer.public_key_pem"), "{text}");
        // Not a line of the key, not even the header line of the block.
        let body: Vec<&str> = private.lines().collect();
        for line in &body {
            assert!(!text.contains(line), "{line} shown in:\n{text}");
        }
        let json = err.to_json().to_string();
        assert!(json.contains("\"line\":5"), "{json}");
        for line in &body[1..body.len() - 1] {
            assert!(!json.contains(line), "{line} in {json}");
        }
    }

    #[test]
    fn exactly_one_of_inline_and_file() {
        let neither = "stack: s\nregion: us-east-1\npublic_keys:\n  signer: {}\n";
        let text = load_str("t.yaml", neither)
            .expect_err("refused")
            .render(false);
        assert!(
            text.contains("neither `public_key_pem` nor `public_key_file`"),
            "{text}"
        );
        let both = format!("{}    public_key_file: k.pem\n", inline(&public_pem()));
        let text = load_str("t.yaml", &both)
            .expect_err("refused")
            .render(false);
        assert!(
            text.contains("both `public_key_pem` and `public_key_file`"),
            "{text}"
        );
    }

    #[test]
    fn a_key_file_is_read_relative_to_the_stack_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        std::fs::write(dir.path().join("keys/signer.pub.pem"), public_pem()).unwrap();
        let stack_path = dir.path().join("stack.yaml");
        let src = "stack: s\nregion: us-east-1\npublic_keys:\n  signer:\n    public_key_file: keys/signer.pub.pem\n";
        let loaded = load_str(&stack_path.display().to_string(), src).expect("valid");
        let d = desired_of(&loaded.model, Kind::PublicKey, "signer", &Known::new()).unwrap();
        assert_eq!(d.spec["public_key_pem"], json!(public_pem()));

        let missing = src.replace("signer.pub.pem", "nope.pem");
        let text = load_str(&stack_path.display().to_string(), &missing)
            .expect_err("refused")
            .render(false);
        let resolved = dir.path().join("keys/nope.pem");
        assert!(text.contains(&resolved.display().to_string()), "{text}");
        assert!(
            text.contains("public_keys.signer.public_key_file"),
            "{text}"
        );
        assert!(
            text.contains("relative to the directory of the stack file"),
            "{text}"
        );

        // A private key in the file is named, never shown.
        std::fs::write(
            dir.path().join("keys/oops.pem"),
            secret().to_sec1_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        let oops = src.replace("signer.pub.pem", "oops.pem");
        let text = load_str(&stack_path.display().to_string(), &oops)
            .expect_err("refused")
            .render(false);
        assert!(text.contains("this is a private key"), "{text}");
        assert!(!text.contains("MIG"), "{text}");
    }

    #[test]
    fn a_new_name_with_the_same_key_deletes_first_a_new_key_imports_first() {
        let d = |name: &str, key: &str| Resource {
            kind: Kind::PublicKey,
            id: "k".into(),
            physical_id: None,
            spec: serde_json::from_value(json!({"name": name, "public_key_pem": key})).unwrap(),
            tags: BTreeMap::new(),
        };
        assert_eq!(
            PublicKey::replace_order(&d("new", "A"), &d("old", "A")),
            ReplaceOrder::DeleteFirst
        );
        assert_eq!(
            PublicKey::replace_order(&d("old", "B"), &d("old", "A")),
            ReplaceOrder::CreateFirst
        );
    }
}
