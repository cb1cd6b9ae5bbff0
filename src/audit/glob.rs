//! IAM's wildcards in action names and ARNs: `*` (any run of characters, `/` and `:`
//! included) and `?` (one character).
//!
//! Two questions need answering: does a pattern match a name (`ivs:Get*` and
//! `ivs:GetStage`), and can two patterns match a common string (`arn:aws:ivs:*:*:stage/*`
//! in a policy and the reference's `arn:${Partition}:ivs:${Region}:${Account}:stage/${ResourceId}`
//! template, whose `${...}` variables are wildcards too). The second decides which resource
//! types a policy's `Resource` can name.

/// Whether `pattern` (with `*` and `?`) matches all of `text`. Action names match
/// case-insensitively in IAM, ARNs case-sensitively: the caller decides.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase())) || a == '?'
    };
    // The classic linear matcher with one backtrack point (the last `*`).
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && same(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether some string matches both patterns. `${...}` variables (the reference's ARN
/// templates) count as `*`. Case-sensitive, as ARNs are.
pub fn overlap(a: &str, b: &str) -> bool {
    // The common cases without building anything: a whole-segment wildcard or variable,
    // or two literal texts.
    let any = |s: &str| {
        s == "*" || (s.starts_with("${") && s.ends_with('}') && s.find('}') == Some(s.len() - 1))
    };
    if any(a) || any(b) {
        return true;
    }
    let literal = |s: &str| !s.contains(['*', '?']) && !s.contains("${");
    if literal(a) && literal(b) {
        return a == b;
    }
    let a = tokens(a);
    let b = tokens(b);
    // seen[i][j]: the suffixes a[i..] and b[j..] were already shown not to overlap.
    let mut seen = vec![vec![false; b.len() + 1]; a.len() + 1];
    overlap_from(&a, &b, 0, 0, &mut seen)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Star,
    One,
    Char(char),
}

fn tokens(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Token::Star),
            '?' => out.push(Token::One),
            '$' if chars.peek() == Some(&'{') => {
                // A variable runs to its closing brace; an unclosed one is literal text.
                let rest: String = chars.clone().collect();
                match rest.find('}') {
                    Some(end) => {
                        for _ in 0..=end {
                            chars.next();
                        }
                        out.push(Token::Star);
                    }
                    None => out.push(Token::Char('$')),
                }
            }
            c => out.push(Token::Char(c)),
        }
    }
    out
}

fn overlap_from(a: &[Token], b: &[Token], i: usize, j: usize, seen: &mut [Vec<bool>]) -> bool {
    if seen[i][j] {
        return false;
    }
    let found = match (a.get(i), b.get(j)) {
        (None, None) => true,
        (Some(Token::Star), _) => {
            overlap_from(a, b, i + 1, j, seen)
                || (j < b.len() && overlap_from(a, b, i, j + 1, seen))
        }
        (_, Some(Token::Star)) => {
            overlap_from(a, b, i, j + 1, seen)
                || (i < a.len() && overlap_from(a, b, i + 1, j, seen))
        }
        (Some(x), Some(y)) => {
            let fits = match (x, y) {
                (Token::Char(x), Token::Char(y)) => x == y,
                _ => true,
            };
            fits && overlap_from(a, b, i + 1, j + 1, seen)
        }
        _ => false,
    };
    if !found {
        seen[i][j] = true;
    }
    found
}

/// Whether some ARN matches both ARN patterns (`*`, an ARN with wildcards, or a
/// reference template). IAM matches the partition, service, region and account segments
/// each on its own (a wildcard does not reach across their colons); the resource part,
/// which may itself hold colons, is the rest. `*` alone matches every ARN.
pub fn arn_overlap(a: &str, b: &str) -> bool {
    if a == "*" || b == "*" {
        return true;
    }
    let (a, b) = (segments(a), segments(b));
    match (a, b) {
        (Some(a), Some(b)) => a.iter().zip(&b).all(|(x, y)| overlap(x, y)),
        _ => false,
    }
}

/// Whether an ARN pattern matches an ARN (segment by segment, as [`arn_overlap`]).
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (segments(pattern), segments(arn)) {
        (Some(p), Some(a)) => p.iter().zip(&a).all(|(p, a)| matches(p, a, false)),
        _ => false,
    }
}

/// The six parts of an ARN: `arn`, partition, service, region, account, resource.
fn segments(arn: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6).then_some(parts)
}

/// Whether the text holds a wildcard.
pub fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_with_stars_and_question_marks() {
        assert!(matches("ivs:*", "ivs:CreateStage", false));
        assert!(matches("ivs:Get*", "ivs:GetStage", false));
        assert!(!matches("ivs:Get*", "ivs:ListStages", false));
        assert!(matches("*", "anything:at all", false));
        assert!(matches("ivs:?etStage", "ivs:GetStage", false));
        assert!(matches("ivs:*Stage", "ivs:GetStage", false));
        assert!(!matches("ivs:*Stage", "ivs:GetStages", false));
        assert!(matches("a*b*c", "aXXbYYbZc", false));
        assert!(!matches("a*b*c", "aXXbYYbZ", false));
        assert!(matches("ivs:getstage", "ivs:GetStage", true));
        assert!(!matches("ivs:getstage", "ivs:GetStage", false));
        assert!(matches("", "", false));
        assert!(!matches("", "x", false));
    }

    #[test]
    fn patterns_overlap_when_some_string_matches_both() {
        let stage = "arn:${Partition}:ivs:${Region}:${Account}:stage/${ResourceId}";
        assert!(overlap("*", stage));
        assert!(overlap(
            "arn:aws:ivs:us-west-2:123456789012:stage/AbCd",
            stage
        ));
        assert!(overlap("arn:aws:ivs:*:*:stage/*", stage));
        assert!(overlap("arn:aws:ivs:us-west-2:123456789012:*", stage));
        assert!(!overlap(
            "arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd",
            stage
        ));
        assert!(!overlap("arn:aws:iam::123456789012:policy/x", stage));
        assert!(overlap("arn:aws:ivs:us-west-2:1?3456789012:stage/x", stage));
        assert!(overlap("a*", "*b"));
        assert!(!overlap("a?", "abc"));
        assert!(overlap("a?c", "a*"));
        // ARNs match segment by segment: a wildcard region does not eat the account.
        assert!(!arn_overlap(
            "arn:aws:ivs:us-west-2:123456789012:stage/*",
            "arn:${Partition}:ivs:${Region}:${Account}:channel/${ResourceId}"
        ));
        assert!(arn_overlap(
            "arn:aws:ivs:us-west-2:123456789012:stage/*",
            stage
        ));
        assert!(arn_overlap("arn:aws:ivs:*:*:*", stage));
        assert!(arn_overlap("*", stage));
        assert!(!arn_overlap("arn:aws:ivs:*:stage/x", stage), "not an ARN");
        assert!(arn_matches(
            "arn:aws:ivs:*:*:stage/*",
            "arn:aws:ivs:us-west-2:123456789012:stage/AbCd"
        ));
        assert!(!arn_matches(
            "arn:aws:ivs:*:stage/*",
            "arn:aws:ivs:us-west-2:123456789012:stage/AbCd"
        ));
        assert!(arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a:b/c"
        ));
        // An unclosed variable is text.
        assert!(!overlap("${x", "a"));
        assert!(overlap("${x", "${x"));
    }
}
