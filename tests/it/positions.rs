//! Positions of findings (issue 8 #3): the text rendering (`--> file:line:col`) and the
//! JSON rendering (`line`, `column`) come from one computation, honour YAML's three line
//! breaks (LF, CRLF, CR), count columns in characters, and never point past the file.

use ivstack::stack::{Diagnostics, load_str};

fn findings(src: &str) -> Diagnostics {
    match load_str("t.yaml", src) {
        Ok(l) => l.warnings,
        Err(d) => d,
    }
}

/// `(line, column)` of every `--> t.yaml:L:C` in the text rendering, in order.
fn text_positions(d: &Diagnostics) -> Vec<(usize, usize)> {
    d.render(false)
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> t.yaml:"))
        .map(|lc| {
            let (l, c) = lc.split_once(':').expect("line:col");
            (l.parse().expect("line"), c.parse().expect("col"))
        })
        .collect()
}

/// `(line, column)` of every finding with a position in the JSON rendering, in order.
fn json_positions(d: &Diagnostics) -> Vec<(usize, usize)> {
    let as_usize = |v: &serde_json::Value| v.as_u64().expect("number") as usize;
    d.to_json()
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f.get("line").is_some())
        .map(|f| (as_usize(&f["line"]), as_usize(&f["column"])))
        .collect()
}

/// The file's lines as YAML splits them (LF, CRLF or CR end a line).
fn yaml_lines(src: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = src;
    loop {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                lines.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                lines.push(rest);
                return lines;
            }
        }
    }
}

/// A position is in the file: an existing line, at most one column past its end.
fn assert_within(src: &str, what: &str, (line, col): (usize, usize)) {
    let lines = yaml_lines(src);
    assert!(
        line >= 1 && line <= lines.len(),
        "{what} line {line} of {} in {src:?}",
        lines.len()
    );
    let width = lines[line - 1].chars().count();
    assert!(
        col >= 1 && col <= width + 1,
        "{what} column {col} of a {width}-character line {line} in {src:?}"
    );
}

fn assert_agree(src: &str) -> Vec<(usize, usize)> {
    let d = findings(src);
    let text = text_positions(&d);
    let json = json_positions(&d);
    assert_eq!(
        text,
        json,
        "text and JSON disagree on {src:?}:\n{}",
        d.render(false)
    );
    for p in &json {
        assert_within(src, "finding", *p);
    }
    for f in d.to_json().as_array().expect("array") {
        if let (Some(l), Some(c)) = (f.get("end_line"), f.get("end_column")) {
            let end = (l.as_u64().unwrap() as usize, c.as_u64().unwrap() as usize);
            assert_within(src, "end", end);
        }
        for r in f
            .get("related")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let p = (
                r["line"].as_u64().unwrap() as usize,
                r["column"].as_u64().unwrap() as usize,
            );
            assert_within(src, "related", p);
        }
    }
    json
}

#[test]
fn an_error_at_the_end_of_a_file_without_a_final_newline() {
    let src = "region: us-east-1\nstack: ";
    assert_eq!(assert_agree(src), vec![(2, 8)]);
}

#[test]
fn lone_cr_line_breaks_are_line_breaks_in_both_renderings() {
    let src = "stack: demo\rregion: us-east-1\rstages:\r  live:\r    nmae: x\r";
    assert_eq!(assert_agree(src), vec![(5, 5)]);
    let text = findings(src).render(false);
    assert!(text.contains("--> t.yaml:5:5"), "{text}");
    // The source line shown is line 5 alone, with no carriage return in it.
    assert!(text.contains("5 |     nmae: x\n"), "{text}");
    assert!(!text.contains('\r'), "{text:?}");
}

#[test]
fn crlf_and_mixed_line_breaks_count_once() {
    let src = "stack: demo\r\nregion: us-east-1\r\nstages:\n  live:\r    nmae: x\r\n";
    assert_eq!(assert_agree(src), vec![(5, 5)]);
    let src = "stack: demo\r\nregion: us-east-1\r\nstages:\r\n  live:\r\n    nmae: x";
    assert_eq!(assert_agree(src), vec![(5, 5)]);
}

#[test]
fn columns_count_characters_not_bytes() {
    let src = "stack: démo\rregion: us-east-1\rtags: {é: 1, ü: [x]}\r";
    let d = findings(src);
    assert!(!d.is_empty(), "expected findings");
    assert_agree(src);
}

#[test]
fn related_positions_and_ends_follow_the_same_rules() {
    // A duplicate key carries a related position (the first definition).
    let src = "stack: demo\rregion: us-east-1\rstack: again\r";
    let d = findings(src);
    let json = d.to_json();
    let dup = json
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "duplicate-key")
        .expect("duplicate-key finding");
    assert_eq!(
        (dup["line"].as_u64(), dup["column"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(dup["end_line"].as_u64(), Some(3));
    assert_eq!(dup["end_column"].as_u64(), Some(6));
    assert_eq!(dup["related"][0]["line"].as_u64(), Some(1));
    assert_agree(src);
}

mod fuzzed {
    use super::*;
    use proptest::prelude::*;

    /// YAML-ish text: keys, values, indentation, flow syntax, quotes, non-ASCII, and all
    /// three line breaks, so that parsers and position code meet their edge cases.
    fn yamlish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("stack: demo".to_string()),
            Just("region: us-east-1".to_string()),
            Just("stages:".to_string()),
            Just("  live:".to_string()),
            Just("    nmae: x".to_string()),
            Just("    name: ".to_string()),
            Just("tags: {".to_string()),
            Just("é: ü".to_string()),
            Just("- [a, ".to_string()),
            Just("\"q".to_string()),
            Just("'".to_string()),
            Just("&a *a".to_string()),
            Just(": ".to_string()),
            Just("# c".to_string()),
            Just("\t".to_string()),
            Just("  ".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\r\n".to_string()),
            "[a-z:{}\\[\\],\"' -]{0,6}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn text_and_json_positions_agree_and_stay_in_the_file(src in yamlish()) {
            assert_agree(&src);
        }

        #[test]
        fn arbitrary_text_positions_agree(src in "[\\PC\r\n]{0,128}") {
            assert_agree(&src);
        }
    }
}
