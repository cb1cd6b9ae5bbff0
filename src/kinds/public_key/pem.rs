//! Reading a PEM public key the way IVS's ImportPublicKey takes it: an ECDSA P-384 key in a
//! `-----BEGIN PUBLIC KEY-----` block. Anything else is named precisely (a private key
//! pasted by mistake, another curve, RSA, a certificate) and never echoed: the problems
//! carry no key material.

use p384::pkcs8::der::pem;
use p384::pkcs8::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use p384::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};

/// Why a text is not a P-384 public key in PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// A private key (of any kind): it must never be in a stack file, let alone sent.
    PrivateKey,
    /// An OpenSSH one-line public key (`ecdsa-sha2-nistp384 AAAA...`).
    OpenSsh,
    /// No PEM block, or one that does not decode.
    NotPem,
    /// A PEM block of another type (`CERTIFICATE`, `EC PARAMETERS`, ...).
    Label(String),
    /// A public key of another algorithm or curve, in words (`P-256`, `RSA`).
    Algorithm(String),
    /// The right type, but the point is not on the curve or the encoding is broken.
    Invalid,
}

impl KeyProblem {
    /// What is wrong, in words (no key material).
    pub fn describe(&self) -> String {
        match self {
            KeyProblem::PrivateKey => "this is a private key, not a public key".into(),
            KeyProblem::OpenSsh => {
                "this is an OpenSSH public key; IVS takes a PEM `-----BEGIN PUBLIC KEY-----` block"
                    .into()
            }
            KeyProblem::NotPem => "this is not a PEM `-----BEGIN PUBLIC KEY-----` block".into(),
            KeyProblem::Label(l) => {
                format!("this is a PEM `{l}` block, not a `PUBLIC KEY` block")
            }
            KeyProblem::Algorithm(a) => {
                format!("this is a {a} public key; IVS accepts only ECDSA P-384 (secp384r1) keys")
            }
            KeyProblem::Invalid => "this P-384 public key does not decode (is it cut off?)".into(),
        }
    }
}

/// How to make a key IVS accepts.
pub const HOW_TO: &str = "make a key pair with `openssl ecparam -name secp384r1 -genkey -noout \
     -out signer.pem`, keep signer.pem secret, and put the public half here: `openssl ec -in \
     signer.pem -pubout`";

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// The name of a curve or algorithm by its object identifier.
fn algorithm_name(algorithm: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    let curve_name = |oid: ObjectIdentifier| match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => "P-256".to_string(),
        "1.3.132.0.35" => "P-521".to_string(),
        "1.3.132.0.10" => "secp256k1".to_string(),
        other => format!("EC (curve {other})"),
    };
    match (algorithm.to_string().as_str(), curve) {
        ("1.2.840.10045.2.1", Some(c)) => curve_name(c),
        ("1.2.840.10045.2.1", None) => "EC key without a named curve".into(),
        ("1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10", _) => "RSA".into(),
        ("1.3.101.112", _) => "Ed25519".into(),
        ("1.3.101.113", _) => "Ed448".into(),
        ("1.3.101.110", _) => "X25519".into(),
        ("1.2.840.10040.4.1", _) => "DSA".into(),
        (other, _) => format!("algorithm {other}"),
    }
}

/// The key in canonical form (the SPKI PEM that p384 writes, LF line endings), so that
/// the file's spelling and the one IVS returns compare equal; or what is wrong with it.
pub fn canonical(text: &str) -> Result<String, KeyProblem> {
    if text.contains("PRIVATE KEY-----") {
        return Err(KeyProblem::PrivateKey);
    }
    let trimmed = text.trim();
    if trimmed.starts_with("ecdsa-sha2-") || trimmed.starts_with("ssh-") {
        return Err(KeyProblem::OpenSsh);
    }
    // PEM decoders want LF or CRLF lines and nothing around the block.
    let normalised = trimmed.replace("\r\n", "\n");
    let (label, der) = pem::decode_vec(normalised.as_bytes()).map_err(|_| KeyProblem::NotPem)?;
    if label != "PUBLIC KEY" {
        return Err(KeyProblem::Label(label.to_string()));
    }
    let spki =
        SubjectPublicKeyInfoRef::try_from(der.as_slice()).map_err(|_| KeyProblem::Invalid)?;
    let algorithm = spki.algorithm.oid;
    let curve = spki.algorithm.parameters_oid().ok();
    if algorithm != EC_PUBLIC_KEY || curve != Some(SECP384R1) {
        return Err(KeyProblem::Algorithm(algorithm_name(algorithm, curve)));
    }
    let key = p384::PublicKey::from_public_key_der(&der).map_err(|_| KeyProblem::Invalid)?;
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyProblem::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p384::pkcs8::EncodePrivateKey;

    /// A fixed P-384 key pair (a scalar of 1..=48, not random: the test needs no secrecy).
    fn p384_pair() -> p384::SecretKey {
        let bytes: Vec<u8> = (1..=48).collect();
        p384::SecretKey::from_slice(&bytes).unwrap()
    }

    #[test]
    fn a_p384_public_key_is_canonical_whatever_its_spelling() {
        let public = p384_pair()
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(canonical(&public).unwrap(), public);
        // CRLF, indentation left by YAML, surrounding blank lines.
        let crlf = format!("\n\n{}\n", public.replace('\n', "\r\n"));
        assert_eq!(canonical(&crlf).unwrap(), public);
    }

    #[test]
    fn private_keys_other_curves_and_other_blocks_are_named_without_echoing() {
        let secret = p384_pair();
        let pkcs8 = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert_eq!(canonical(&pkcs8), Err(KeyProblem::PrivateKey));
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert_eq!(canonical(&sec1), Err(KeyProblem::PrivateKey));
        let problem = canonical(&pkcs8).unwrap_err().describe();
        assert!(!problem.contains("MI"), "{problem}");

        // A P-256 public key (ImportPublicKey refuses it).
        let p256_spki = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwuJ/d+l5EIZJ2PqRrTlNnXO7SBOj\nI7HVU5am9PmUeFAkUaqRY2lE2IzMQZjgr28Og28EVsHpPJ9SauZxJbsm3A==\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            canonical(p256_spki),
            Err(KeyProblem::Algorithm("P-256".into()))
        );
        assert!(
            canonical(p256_spki)
                .unwrap_err()
                .describe()
                .contains("only ECDSA P-384")
        );
        let rsa = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDiBlwqbyer1+GdpVyF6NrnLALH\nUGVyUbfV+tqQsxPM9i9H07pvYUEWtK2gZFJYvbhRjl2Cl09kRsJ/DY/Dq2Xvcyhs\nEfMKBIysT0P6LbTWMR0ixme0i8IqwJKdbRSJUaqD/XcQ3GVwaOAUhfaKLbuUA0Mz\nmvsIYGAO3PGhmieW2wIDAQAB\n-----END PUBLIC KEY-----\n";
        assert_eq!(canonical(rsa), Err(KeyProblem::Algorithm("RSA".into())));
        assert_eq!(
            canonical("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Err(KeyProblem::Label("CERTIFICATE".into()))
        );
        assert_eq!(canonical("hello"), Err(KeyProblem::NotPem));
        assert_eq!(
            canonical("ecdsa-sha2-nistp384 AAAAE2VjZHNh me@host"),
            Err(KeyProblem::OpenSsh)
        );
        // Cut off in the middle.
        let public = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let lines: Vec<&str> = public.lines().collect();
        let cut = format!(
            "{}\n{}\n{}\n",
            lines[0],
            &lines[1][..20],
            lines[lines.len() - 1]
        );
        assert!(matches!(
            canonical(&cut),
            Err(KeyProblem::Invalid | KeyProblem::NotPem)
        ));
    }
}
