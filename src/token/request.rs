//! What one participant token grants, checked against the limits of IVS's
//! CreateParticipantToken model before anything is sent or signed: capabilities
//! (PUBLISH, SUBSCRIBE), duration 1–20160 minutes, user id up to 128 characters, attributes
//! up to 1 KB in total.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

/// Default token lifetime in minutes (the API's default: 12 hours).
pub const DEFAULT_DURATION_MINUTES: u32 = 720;
/// Longest token lifetime in minutes (14 days; also the self-signed maximum).
pub const MAX_DURATION_MINUTES: u32 = 20_160;
/// Longest user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;
/// Most bytes of attribute keys and values together.
pub const MAX_ATTRIBUTES_BYTES: usize = 1024;
/// Most participants publishing on one stage at once (IVS quota, not adjustable).
pub const MAX_PUBLISHERS_PER_STAGE: usize = 12;

/// A participant capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Capability {
    Publish,
    Subscribe,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Publish => "PUBLISH",
            Capability::Subscribe => "SUBSCRIBE",
        }
    }

    /// `PUBLISH` or `SUBSCRIBE`, in any case.
    pub fn parse(s: &str) -> Result<Capability, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PUBLISH" => Ok(Capability::Publish),
            "SUBSCRIBE" => Ok(Capability::Subscribe),
            _ => Err(format!(
                "unknown capability `{}` (expected PUBLISH or SUBSCRIBE)",
                s.trim()
            )),
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The capabilities in a list written `PUBLISH,SUBSCRIBE` (also `|`, `+` or spaces between
/// them). At least one is required.
pub fn parse_capabilities(s: &str) -> Result<BTreeSet<Capability>, String> {
    let caps = s
        .split([',', '|', '+', ' ', '\t'])
        .filter(|p| !p.trim().is_empty())
        .map(Capability::parse)
        .collect::<Result<BTreeSet<_>, _>>()?;
    if caps.is_empty() {
        return Err("no capability given (expected PUBLISH, SUBSCRIBE or both)".to_string());
    }
    Ok(caps)
}

/// The default capabilities: PUBLISH and SUBSCRIBE (as the API's).
pub fn default_capabilities() -> BTreeSet<Capability> {
    BTreeSet::from([Capability::Publish, Capability::Subscribe])
}

/// One `key=value` attribute. The value may contain `=`; the key may not be empty.
pub fn parse_attribute(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("attribute `{s}` is not KEY=VALUE (e.g. displayName=Jane)"))?;
    if k.is_empty() {
        return Err(format!("attribute `{s}` has an empty key"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// Attributes from `key=value` items; a key given twice is an error.
pub fn parse_attributes<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in items {
        let (k, v) = parse_attribute(item)?;
        if out.insert(k.clone(), v).is_some() {
            return Err(format!("attribute `{k}` is given twice"));
        }
    }
    Ok(out)
}

/// The grants of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub user_id: Option<String>,
    pub capabilities: BTreeSet<Capability>,
    pub duration_minutes: u32,
    pub attributes: BTreeMap<String, String>,
}

impl TokenRequest {
    /// Check every limit of the API model; the message says which and by how much.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_DURATION_MINUTES).contains(&self.duration_minutes) {
            return Err(format!(
                "duration {} is out of range: 1 to {MAX_DURATION_MINUTES} minutes (14 days)",
                self.duration_minutes
            ));
        }
        if let Some(u) = &self.user_id {
            let chars = u.chars().count();
            if chars > MAX_USER_ID_CHARS {
                return Err(format!(
                    "user id is {chars} characters long; at most {MAX_USER_ID_CHARS} are allowed"
                ));
            }
        }
        let size = attributes_size(&self.attributes);
        if size > MAX_ATTRIBUTES_BYTES {
            return Err(format!(
                "attributes take {size} bytes (keys and values together); at most \
                 {MAX_ATTRIBUTES_BYTES} (1 KB) are allowed"
            ));
        }
        if self.capabilities.is_empty() {
            return Err("no capability given (expected PUBLISH, SUBSCRIBE or both)".to_string());
        }
        Ok(())
    }

    pub fn publishes(&self) -> bool {
        self.capabilities.contains(&Capability::Publish)
    }

    pub fn subscribes(&self) -> bool {
        self.capabilities.contains(&Capability::Subscribe)
    }
}

/// Bytes of keys and values together, as IVS counts the 1 KB limit.
pub fn attributes_size(attributes: &BTreeMap<String, String>) -> usize {
    attributes.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The warning for asking more PUBLISH tokens at once than a stage admits publishers, or
/// None.
pub fn publisher_warning(requests: &[TokenRequest], stage: &str) -> Option<String> {
    let publishers = requests.iter().filter(|r| r.publishes()).count();
    (publishers > MAX_PUBLISHERS_PER_STAGE).then(|| {
        format!(
            "warning: {publishers} tokens with PUBLISH asked for stage `{stage}`, but a stage \
             admits at most {MAX_PUBLISHERS_PER_STAGE} publishers at once (IVS quota, not \
             adjustable): only {MAX_PUBLISHERS_PER_STAGE} of them can publish at the same time"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TokenRequest {
        TokenRequest {
            user_id: Some("broadcaster-123".into()),
            capabilities: default_capabilities(),
            duration_minutes: DEFAULT_DURATION_MINUTES,
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn capabilities_parse_in_any_case_and_separator() {
        use Capability::*;
        assert_eq!(
            parse_capabilities("PUBLISH,SUBSCRIBE").unwrap(),
            BTreeSet::from([Publish, Subscribe])
        );
        assert_eq!(
            parse_capabilities("subscribe").unwrap(),
            BTreeSet::from([Subscribe])
        );
        assert_eq!(
            parse_capabilities("publish|subscribe|publish").unwrap(),
            BTreeSet::from([Publish, Subscribe])
        );
        assert_eq!(parse_capabilities("PUBLISH + SUBSCRIBE").unwrap().len(), 2);
        assert!(
            parse_capabilities("PUBLISHER")
                .unwrap_err()
                .contains("unknown capability `PUBLISHER`")
        );
        assert!(
            parse_capabilities(" , ")
                .unwrap_err()
                .contains("no capability")
        );
    }

    #[test]
    fn attributes_are_key_value_and_unique() {
        assert_eq!(
            parse_attribute("displayName=John Doe").unwrap(),
            ("displayName".into(), "John Doe".into())
        );
        assert_eq!(
            parse_attribute("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert_eq!(
            parse_attribute("empty=").unwrap(),
            ("empty".into(), "".into())
        );
        assert!(parse_attribute("novalue").is_err());
        assert!(parse_attribute("=v").is_err());
        assert!(
            parse_attributes(["a=1", "a=2"])
                .unwrap_err()
                .contains("given twice")
        );
    }

    #[test]
    fn limits_of_the_api_model() {
        assert_eq!(request().check(), Ok(()));
        for (minutes, ok) in [(0, false), (1, true), (20_160, true), (20_161, false)] {
            let r = TokenRequest {
                duration_minutes: minutes,
                ..request()
            };
            assert_eq!(r.check().is_ok(), ok, "{minutes} minutes");
        }
        let r = TokenRequest {
            user_id: Some("é".repeat(128)),
            ..request()
        };
        assert_eq!(r.check(), Ok(()), "128 characters, more bytes");
        let r = TokenRequest {
            user_id: Some("u".repeat(129)),
            ..request()
        };
        assert!(r.check().unwrap_err().contains("129 characters"));
        // 1 KB exactly is allowed, one byte more is not.
        let mut attrs = BTreeMap::from([("k".to_string(), "v".repeat(1023))]);
        let r = TokenRequest {
            attributes: attrs.clone(),
            ..request()
        };
        assert_eq!(r.check(), Ok(()));
        attrs.insert("x".into(), String::new());
        let r = TokenRequest {
            attributes: attrs,
            ..request()
        };
        assert!(r.check().unwrap_err().contains("1025 bytes"));
    }

    #[test]
    fn more_than_twelve_publishers_is_a_warning() {
        let publisher = request();
        let viewer = TokenRequest {
            capabilities: BTreeSet::from([Capability::Subscribe]),
            ..request()
        };
        let mut asked = vec![publisher.clone(); 12];
        asked.extend(vec![viewer; 100]);
        assert_eq!(publisher_warning(&asked, "main"), None);
        asked.push(publisher);
        let w = publisher_warning(&asked, "main").unwrap();
        assert!(
            w.contains("13 tokens with PUBLISH") && w.contains("at most 12"),
            "{w}"
        );
    }
}
