//! Suppression comments: `# ivstack:allow IVS011 the green room is never public`.
//!
//! A suppression is a comment line of its own, in the block of comment lines directly
//! above the line a finding is on; it names one or more rule ids (`IVS003,IVS005`) and
//! says why. One without a reason suppresses nothing and is itself a finding (IVS017), as
//! is one that names no known rule; one that suppresses nothing is a note (IVS018).

use crate::stack::Span;
use crate::stack::position::LineIndex;

use super::rules::{self, Rule};

/// The marker after `#`.
pub const MARKER: &str = "ivstack:allow";

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct Allow {
    /// 1-based line of the comment.
    pub line: usize,
    /// Where the comment text (from `#`) is.
    pub span: Span,
    /// The rules it names, known ones only.
    pub rules: Vec<&'static Rule>,
    /// Ids it names that are not rules.
    pub unknown: Vec<String>,
    /// The reason; `None` when the comment gives none.
    pub reason: Option<String>,
}

impl Allow {
    /// Whether it can suppress anything: a reason and at least one rule.
    pub fn effective(&self) -> bool {
        self.reason.is_some() && !self.rules.is_empty()
    }
}

/// Every suppression comment of a file, and which lines are comment-only (1-based).
#[derive(Debug, Default)]
pub struct Suppressions {
    pub allows: Vec<Allow>,
    comment_lines: Vec<bool>,
}

impl Suppressions {
    /// Read them from a file's text.
    pub fn parse(source: &str) -> Suppressions {
        let index = LineIndex::new(source);
        let mut allows = Vec::new();
        let mut comment_lines = vec![false];
        for line in 0..index.line_count() {
            let Some(range) = index.line_range(line) else {
                break;
            };
            let text = source[range.clone()].trim_end_matches(['\r', '\n']);
            let trimmed = text.trim_start();
            let is_comment = trimmed.starts_with('#');
            comment_lines.push(is_comment);
            if !is_comment {
                continue;
            }
            let body = trimmed[1..].trim_start();
            let Some(rest) = body.strip_prefix(MARKER) else {
                continue;
            };
            // `ivstack:allowed` is not the marker.
            if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
                continue;
            }
            let hash = range.start + (text.len() - trimmed.len());
            let (line_no, col) = index.line_col(source, hash);
            let span = Span {
                start: hash,
                end: range.start + text.len(),
                line: line_no,
                col,
            };
            allows.push(parse_allow(rest, line_no, span));
        }
        Suppressions {
            allows,
            comment_lines,
        }
    }

    /// The suppressions that apply to a finding of `rule` on `line` (1-based): those in
    /// the comment block directly above it that name the rule.
    pub fn for_finding(&self, rule: &Rule, line: usize) -> Vec<usize> {
        let mut above = line.saturating_sub(1);
        let mut block = Vec::new();
        while above >= 1 && self.comment_lines.get(above).copied().unwrap_or(false) {
            block.push(above);
            above -= 1;
        }
        self.allows
            .iter()
            .enumerate()
            .filter(|(_, a)| block.contains(&a.line) && a.rules.iter().any(|r| r.id == rule.id))
            .map(|(i, _)| i)
            .collect()
    }
}

fn parse_allow(rest: &str, line: usize, span: Span) -> Allow {
    let mut rules_named = Vec::new();
    let mut unknown = Vec::new();
    let mut words = rest.split_whitespace().peekable();
    // Leading words that look like rule ids (`IVS003`, `IVS003,IVS005`) are ids; the rest
    // is the reason.
    while let Some(word) = words.peek() {
        let ids: Vec<&str> = word.split(',').filter(|s| !s.is_empty()).collect();
        let looks_like_ids = !ids.is_empty()
            && ids.iter().all(|id| {
                id.len() > 3
                    && id[..3].eq_ignore_ascii_case("IVS")
                    && id[3..].chars().all(|c| c.is_ascii_digit())
            });
        if !looks_like_ids {
            break;
        }
        for id in ids {
            match rules::by_id(id) {
                Some(r) if !rules_named.iter().any(|x: &&Rule| x.id == r.id) => rules_named.push(r),
                Some(_) => {}
                None => unknown.push(id.to_string()),
            }
        }
        words.next();
    }
    let reason: Vec<&str> = words.collect();
    let reason = reason.join(" ");
    let reason = reason.trim_start_matches(['-', ':', '—']).trim();
    Allow {
        line,
        span,
        rules: rules_named,
        unknown,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_name_rules_and_reasons() {
        let src = "stages:\n  # ivstack:allow IVS011 the green room is never public\n  green: {}\n  \
                   # ivstack:allow IVS003,ivs005 -- legacy dashboard\n  # ivstack:allow IVS011\n  \
                   # ivstack:allow IVS999 why\n  # ivstack:allowed IVS011 x\n  x: 1 # ivstack:allow IVS011 trailing\n";
        // The trailing comment and `ivstack:allowed` are not suppressions.
        let s = Suppressions::parse(src);
        assert_eq!(s.allows.len(), 4);
        let a = &s.allows[0];
        assert_eq!((a.line, a.span.col), (2, 3));
        assert_eq!(a.rules.iter().map(|r| r.id).collect::<Vec<_>>(), ["IVS011"]);
        assert_eq!(a.reason.as_deref(), Some("the green room is never public"));
        assert!(a.effective());
        let b = &s.allows[1];
        assert_eq!(
            b.rules.iter().map(|r| r.id).collect::<Vec<_>>(),
            ["IVS003", "IVS005"]
        );
        assert_eq!(b.reason.as_deref(), Some("legacy dashboard"));
        assert_eq!(s.allows[2].reason, None);
        assert!(!s.allows[2].effective());
        assert_eq!(s.allows[3].unknown, ["IVS999"]);
        assert!(s.allows[3].rules.is_empty());
        assert_eq!(
            &src[a.span.start..a.span.end],
            "# ivstack:allow IVS011 the green room is never public"
        );
    }

    #[test]
    fn a_suppression_covers_the_comment_block_directly_above_a_line() {
        let src = "a: 1\n# ivstack:allow IVS011 one\n# other comment\nb: 2\n\n# ivstack:allow IVS011 two\n\nc: 3\n";
        let s = Suppressions::parse(src);
        let rule = rules::STAGE_WITHOUT_ALARM;
        assert_eq!(s.for_finding(rule, 4), [0]);
        assert!(
            s.for_finding(rule, 8).is_empty(),
            "a blank line ends the block"
        );
        assert!(s.for_finding(rules::WILDCARD_ACTION, 4).is_empty());
        assert!(s.for_finding(rule, 1).is_empty());
    }
}
