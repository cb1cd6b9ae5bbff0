//! Byte offsets to lines and columns, the one computation behind every position ivstack
//! shows (the YAML tree's spans, the text rendering and the JSON rendering alike).
//!
//! Lines end where YAML says they do: at LF, CRLF or a lone CR. Lines and columns start at
//! 1 and columns count characters (what an editor shows), not bytes.

use std::ops::Range;

/// Where the lines of one source text start.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0. A text that ends with a
    /// line break has a last, empty line starting at its end.
    starts: Vec<usize>,
    /// Character offset of the start of each line; `None` for ASCII text, where
    /// characters are bytes.
    char_starts: Option<Vec<usize>>,
    len: usize,
}

impl LineIndex {
    pub fn new(src: &str) -> Self {
        let bytes = src.as_bytes();
        let ascii = src.is_ascii();
        let mut starts = vec![0];
        let mut char_starts = (!ascii).then(|| vec![0]);
        let mut chars = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            // Continuation bytes of a multi-byte character do not start a character.
            if b & 0xC0 != 0x80 {
                chars += 1;
            }
            let next = match b {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    chars += 1;
                    Some(i + 2)
                }
                b'\n' | b'\r' => Some(i + 1),
                _ => None,
            };
            match next {
                Some(n) => {
                    starts.push(n);
                    if let Some(c) = &mut char_starts {
                        c.push(chars);
                    }
                    i = n;
                }
                None => i += 1,
            }
        }
        LineIndex {
            starts,
            char_starts,
            len: src.len(),
        }
    }

    /// Number of lines (a text ending with a line break has a last, empty line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line of a byte offset; offsets past the end are on the last line.
    pub fn line_of(&self, byte: usize) -> usize {
        // starts[0] == 0, so at least one start is <= byte.
        self.starts
            .partition_point(|s| *s <= byte)
            .saturating_sub(1)
    }

    /// Byte range of a 0-based line, its line break included; `None` past the last line.
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.starts.get(line)?;
        let end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        Some(start..end)
    }

    /// 1-based line and column (in characters) of a byte offset in `src`, the text this
    /// index was built from. Offsets are clamped into the text.
    pub fn line_col(&self, src: &str, byte: usize) -> (usize, usize) {
        self.position(src, byte, None)
    }

    /// As [`LineIndex::line_col`], for a caller that already knows the character offset of
    /// `byte` (the YAML parser does): constant work per call however long the line.
    pub fn line_col_of_char(&self, src: &str, byte: usize, char_offset: usize) -> (usize, usize) {
        self.position(src, byte, Some(char_offset))
    }

    fn position(&self, src: &str, byte: usize, char_offset: Option<usize>) -> (usize, usize) {
        let mut byte = byte.min(src.len());
        let mut char_offset = char_offset;
        while !src.is_char_boundary(byte) {
            byte -= 1;
            char_offset = None;
        }
        // The LF of a CRLF belongs to the break that the CR starts.
        let b = src.as_bytes();
        if byte > 0 && b.get(byte) == Some(&b'\n') && b[byte - 1] == b'\r' {
            byte -= 1;
            char_offset = char_offset.map(|c| c.saturating_sub(1));
        }
        let line = self.line_of(byte);
        let start = self.starts[line];
        let col = match (&self.char_starts, char_offset) {
            (None, _) => byte - start,
            (Some(cs), Some(c)) => c.saturating_sub(cs[line]),
            (Some(_), None) => src[start..byte].chars().count(),
        };
        (line + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, byte: usize) -> (usize, usize) {
        LineIndex::new(src).line_col(src, byte)
    }

    #[test]
    fn every_yaml_line_break_ends_a_line() {
        let src = "a\nb\r\nc\rd";
        assert_eq!(LineIndex::new(src).line_count(), 4);
        assert_eq!(at(src, 0), (1, 1));
        assert_eq!(at(src, 2), (2, 1));
        assert_eq!(at(src, 5), (3, 1));
        assert_eq!(at(src, 7), (4, 1));
        assert_eq!(at(src, 8), (4, 2));
        // The CR and the LF of a CRLF are both the end of line 2.
        assert_eq!(at(src, 3), (2, 2));
        assert_eq!(at(src, 4), (2, 2));
    }

    #[test]
    fn columns_count_characters_and_offsets_are_clamped() {
        let src = "é: ü\rk: v";
        let ix = LineIndex::new(src);
        assert_eq!(ix.line_col(src, 4), (1, 4)); // `ü` is after `é`, `:` and a space
        assert_eq!(ix.line_col(src, 5), (1, 4)); // inside `ü`: its start
        assert_eq!(ix.line_col(src, 7), (2, 1));
        assert_eq!(ix.line_col(src, 1_000), (2, 5));
        // With the character offset known, the same answer.
        assert_eq!(ix.line_col_of_char(src, 4, 3), (1, 4));
        assert_eq!(ix.line_col_of_char(src, 7, 5), (2, 1));
    }

    #[test]
    fn the_end_of_a_file_is_on_its_last_line() {
        assert_eq!(at("region: x\nstack: ", 18), (2, 8));
        assert_eq!(at("a\n", 2), (2, 1));
        assert_eq!(at("", 0), (1, 1));
        let ix = LineIndex::new("a\rb");
        assert_eq!(ix.line_range(0), Some(0..2));
        assert_eq!(ix.line_range(1), Some(2..3));
        assert_eq!(ix.line_range(2), None);
    }
}
