//! Sizes of a text as the tokenizer report counts them: UTF-8 bytes, code points and
//! whitespace-separated words, with Python's `str.split()` idea of whitespace.

use crate::pool;
use rayon::prelude::*;

/// Python's `str.isspace()`: Unicode White_Space plus the four ASCII information
/// separators U+001C..U+001F (bidirectional class B or S), which `str.split()` splits on.
#[inline]
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's whitespace among ASCII bytes: `\t..=\r`, U+001C..U+001F and the space.
#[inline(always)]
fn is_ascii_py_space(b: u8) -> bool {
    (b.wrapping_sub(b'\t') < 5) | (b.wrapping_sub(0x1c) < 5)
}

/// Bytes tallied in `u8` lanes (vectorised, 16 or 32 to a register) before widening: at
/// most 255 flags, so no lane can overflow.
const BLOCK: usize = 255;

/// Words starting in an ASCII run: bytes that are not space and follow a space (or
/// `prev_space`, for the first). No loop-carried state, so that it vectorises.
fn ascii_word_starts(run: &[u8], prev_space: bool) -> u64 {
    let Some(&first) = run.first() else {
        return 0;
    };
    let mut words = (prev_space & !is_ascii_py_space(first)) as u64;
    for (a, b) in run[..run.len() - 1]
        .chunks(BLOCK)
        .zip(run[1..].chunks(BLOCK))
    {
        let starts = a
            .iter()
            .zip(b)
            .map(|(&a, &b)| (is_ascii_py_space(a) & !is_ascii_py_space(b)) as u8)
            .fold(0u8, u8::wrapping_add);
        words += starts as u64;
    }
    words
}

/// Code points of UTF-8: the bytes that do not continue a multi-byte sequence.
fn code_points(bytes: &[u8]) -> u64 {
    bytes
        .chunks(BLOCK)
        .map(|c| {
            c.iter()
                .map(|&b| ((b as i8) >= -0x40) as u8)
                .fold(0u8, u8::wrapping_add) as u64
        })
        .sum()
}

/// Length of the ASCII prefix of `bytes`, skipping whole ASCII blocks first.
fn ascii_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 32 <= bytes.len() && bytes[i..i + 32].is_ascii() {
        i += 32;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b >= 0x80)
        .unwrap_or(bytes.len() - i)
}

/// `(bytes, chars, words)` of `text`: `len(text.encode())`, `len(text)`,
/// `len(text.split())`. ASCII runs are counted a block at a time; only non-ASCII code
/// points are decoded.
pub fn text_sizes(text: &str) -> (u64, u64, u64) {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        let n = bytes.len() as u64;
        return (n, n, ascii_word_starts(bytes, true));
    }
    let mut words = 0u64;
    let mut prev_space = true;
    let mut rest = text;
    while !rest.is_empty() {
        let (run, tail) = rest.split_at(ascii_prefix(rest.as_bytes()));
        words += ascii_word_starts(run.as_bytes(), prev_space);
        if let Some(&last) = run.as_bytes().last() {
            prev_space = is_ascii_py_space(last);
        }
        // Decode the non-ASCII run that follows, up to the next ASCII byte.
        let mut chars = tail.chars();
        rest = chars.as_str();
        while let Some(c) = chars.next().filter(|c| !c.is_ascii()) {
            let space = is_py_space(c);
            words += (!space & prev_space) as u64;
            prev_space = space;
            rest = chars.as_str();
        }
    }
    (bytes.len() as u64, code_points(bytes), words)
}

/// The sums of `text_sizes` over `texts`, the texts shared among the worker threads.
pub fn total_text_sizes(texts: &[&str]) -> (u64, u64, u64) {
    let add = |a: (u64, u64, u64), b: (u64, u64, u64)| (a.0 + b.0, a.1 + b.1, a.2 + b.2);
    pool::install(|| {
        texts
            .par_iter()
            .map(|t| text_sizes(t))
            .reduce(|| (0, 0, 0), add)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition: a word starts at a non-space after a space (or the start).
    fn by_chars(text: &str) -> (u64, u64, u64) {
        let mut words = 0;
        let mut prev_space = true;
        for c in text.chars() {
            let space = is_py_space(c);
            words += (!space && prev_space) as u64;
            prev_space = space;
        }
        (text.len() as u64, text.chars().count() as u64, words)
    }

    #[test]
    fn ascii_runs_and_code_points_agree_with_the_plain_definition() {
        let pieces = [
            " ",
            "a",
            "bc",
            "\t",
            "\n\n",
            "\u{1c}",
            "\u{1f}",
            "\u{20}",
            "\u{7f}",
            "\u{e9}",
            "\u{a0}",
            "\u{85}",
            "\u{3000}",
            "\u{200b}",
            "\u{2028}",
            "\u{1F600}",
            "\u{ff}",
        ];
        let mut s = 7u64;
        for len in 0..400 {
            let mut text = String::new();
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(s >> 33) as usize % pieces.len()]);
            }
            assert_eq!(text_sizes(&text), by_chars(&text), "{text:?}");
        }
        // Runs longer than a block of the vectorised counts.
        let long = format!(
            "{}\u{e9} {}",
            "ab ".repeat(50_000),
            "\u{3000}x y".repeat(30_000)
        );
        assert_eq!(text_sizes(&long), by_chars(&long));
        let ascii = "word \t".repeat(40_000);
        assert_eq!(text_sizes(&ascii), by_chars(&ascii));
    }

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
        let texts = ["  a  bc\td\n", "", "caf\u{e9} x"];
        assert_eq!(total_text_sizes(&texts), (10 + 7, 10 + 6, 3 + 2));
    }
}
