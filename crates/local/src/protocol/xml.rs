//! Writing documents as XML, the way the AWS XML protocols shape them: a structure's
//! members as elements, timestamps as ISO-8601; lists as `<member>` elements (awsQuery) or
//! flattened, one element per item named after the list (restXml, S3).

use base64::Engine as _;

use crate::document::Document;

/// Escape text for an element body or attribute value. `\r` is written as a character
/// reference because XML parsers would otherwise normalise it to `\n`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out);
    out
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// How lists and timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Style {
    /// Timestamps with three fractional digits.
    millis: bool,
    /// Lists as one element per item, named after the list (S3's `<Contents>`), instead
    /// of `<member>` elements inside it.
    flat_lists: bool,
}

/// Append the members of a structure document as elements.
pub fn write_members(doc: &Document, millis: bool, out: &mut String) {
    write_members_styled(
        doc,
        Style {
            millis,
            flat_lists: false,
        },
        out,
    );
}

/// Append the members of a structure document as restXml (S3) writes them: flattened
/// lists, timestamps with milliseconds (`2009-10-12T17:50:30.000Z`).
pub fn write_members_rest(doc: &Document, out: &mut String) {
    write_members_styled(
        doc,
        Style {
            millis: true,
            flat_lists: true,
        },
        out,
    );
}

fn write_members_styled(doc: &Document, style: Style, out: &mut String) {
    if let Document::Map(members) = doc {
        for (k, v) in members {
            write_styled(k, v, style, out);
        }
    }
}

/// Append `<name>…</name>` for `v`: nothing for null (absent), `<name/>` for an empty list,
/// `<member>` elements for list items, doubles with a fractional part (`1.0`).
pub fn write_element(name: &str, v: &Document, millis: bool, out: &mut String) {
    write_styled(
        name,
        v,
        Style {
            millis,
            flat_lists: false,
        },
        out,
    );
}

fn write_styled(name: &str, v: &Document, style: Style, out: &mut String) {
    let open = |out: &mut String| {
        out.push('<');
        out.push_str(name);
        out.push('>');
    };
    let close = |out: &mut String| {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    };
    match v {
        Document::Null => {}
        Document::List(items) if style.flat_lists => {
            for item in items {
                write_styled(name, item, style, out);
            }
        }
        Document::List(items) if items.is_empty() => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Document::List(items) => {
            open(out);
            for item in items {
                write_styled("member", item, style, out);
            }
            close(out);
        }
        Document::Map(_) => {
            open(out);
            write_members_styled(v, style, out);
            close(out);
        }
        scalar => {
            open(out);
            match scalar {
                Document::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Document::Int(i) => out.push_str(&i.to_string()),
                Document::Float(f) => out.push_str(&format!("{f:?}")),
                Document::Str(s) => escape_into(s, out),
                Document::Bytes(b) => {
                    out.push_str(&base64::engine::general_purpose::STANDARD.encode(b))
                }
                Document::Timestamp(t) => out.push_str(&crate::time::iso8601(*t, style.millis)),
                _ => {}
            }
            close(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("a<b>&\"c'\r\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n"
        );
    }

    #[test]
    fn writes_lists_structures_and_scalars() {
        let doc = Document::from_pairs([
            (
                "Dims",
                Document::List(vec![Document::from_pairs([
                    ("Name", Document::str("a&b")),
                    ("Value", Document::Float(1.0)),
                ])]),
            ),
            ("Empty", Document::List(vec![])),
            ("When", Document::Timestamp(0.0)),
            ("On", Document::Bool(true)),
        ]);
        let mut out = String::new();
        write_members(&doc, false, &mut out);
        assert_eq!(
            out,
            "<Dims><member><Name>a&amp;b</Name><Value>1.0</Value></member></Dims><Empty/>\
             <On>true</On><When>1970-01-01T00:00:00Z</When>"
        );
    }

    #[test]
    fn rest_xml_flattens_lists_and_writes_milliseconds() {
        let doc = Document::from_pairs([
            (
                "Contents",
                Document::List(vec![
                    Document::from_pairs([("Key", Document::str("a"))]),
                    Document::from_pairs([("Key", Document::str("b"))]),
                ]),
            ),
            ("CommonPrefixes", Document::List(vec![])),
            ("LastModified", Document::Timestamp(1_700_000_000.0)),
        ]);
        let mut out = String::new();
        write_members_rest(&doc, &mut out);
        assert_eq!(
            out,
            "<Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents>\
             <LastModified>2023-11-14T22:13:20.000Z</LastModified>"
        );
    }
}
