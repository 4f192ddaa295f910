//! Sizes of a text as the tokenizer report counts them: UTF-8 bytes, code points and
//! whitespace-separated words, with Python's `str.split()` idea of whitespace.

/// Python's `str.isspace()`: Unicode White_Space plus the four ASCII information
/// separators U+001C..U+001F (bidirectional class B or S), which `str.split()` splits on.
#[inline]
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `(bytes, chars, words)` of `text`: `len(text.encode())`, `len(text)`,
/// `len(text.split())`.
pub fn text_sizes(text: &str) -> (u64, u64, u64) {
    let mut words = 0u64;
    let mut in_word = false;
    let mut chars = 0u64;
    if text.is_ascii() {
        for &b in text.as_bytes() {
            let space = matches!(b, b'\t'..=b'\r' | b' ' | 0x1c..=0x1f);
            words += (!space && !in_word) as u64;
            in_word = !space;
        }
        return (text.len() as u64, text.len() as u64, words);
    }
    for c in text.chars() {
        chars += 1;
        let space = is_py_space(c);
        words += (!space && !in_word) as u64;
        in_word = !space;
    }
    (text.len() as u64, chars, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_python() {
        assert_eq!(text_sizes(""), (0, 0, 0));
        assert_eq!(text_sizes("  a  bc\td\n"), (10, 10, 3));
        assert_eq!(text_sizes("a\u{1c}b\u{1f}c"), (5, 5, 3));
        // U+00A0, U+3000 and U+2028 split; U+200B (zero width space) does not.
        assert_eq!(
            text_sizes("caf\u{e9}\u{a0}na\u{ef}ve\u{3000}x\u{2028}y\u{200b}z"),
            (25, 16, 4)
        );
    }
}
