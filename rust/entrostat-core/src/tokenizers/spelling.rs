//! `TokenBytes`: the byte string of every token of a tokenizer whose decoding is the
//! concatenation of its tokens' bytes (tiktoken, the byte tokenizer, byte-level BPE with
//! a lone `ByteLevel` decoder in Hugging Face `tokenizers`). It checks the round
//! trip decode(encode(text)) == text as one byte comparison per token: the ids spell the
//! text's UTF-8 exactly, or they do not, and no decoded text is ever built.
//!
//! Equal bytes prove the round trip (the text is their one decoding). Unequal bytes do
//! not disprove it when the decoder replaces invalid UTF-8 by U+FFFD, so callers decode
//! the documents found unequal to settle them.

use crate::error::{Error, Result};
use crate::labels::{bits64, Label, Labels};
use crate::pool;
use crate::with_labels;
use ndarray::ArrayView1;
use rayon::prelude::*;

/// Bytes past the last token, so that any token can be read as one 8-byte word.
const SLACK: usize = 8;
/// `Span::len` of an id that names no token.
const HOLE: u32 = u32::MAX;

/// Where a token's bytes lie in `TokenBytes::bytes`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// The bytes of every token id, and which ids name no token (holes).
#[derive(Debug, Clone, Default)]
pub struct TokenBytes {
    /// The tokens' bytes one after the other, then `SLACK` zeros.
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

impl TokenBytes {
    /// The table of tokens `0, 1, ...` in order (`None` for a hole); an error if they
    /// hold 4 GiB of bytes or more (no tokenizer comes near).
    pub fn new<'a>(pieces: impl IntoIterator<Item = Option<&'a [u8]>>) -> Result<Self> {
        let too_big = || Error::value("pieces", "expected token bytes under 4 GiB in all");
        let mut bytes = Vec::new();
        let spans = pieces
            .into_iter()
            .map(|piece| {
                let start = u32::try_from(bytes.len()).map_err(|_| too_big())?;
                let len = match piece {
                    Some(p) => {
                        bytes.extend_from_slice(p);
                        u32::try_from(p.len())
                            .ok()
                            .filter(|&n| n != HOLE)
                            .ok_or_else(too_big)?
                    }
                    None => HOLE,
                };
                Ok(Span { start, len })
            })
            .collect::<Result<Vec<_>>>()?;
        if u32::try_from(bytes.len()).is_err() {
            return Err(too_big());
        }
        bytes.resize(bytes.len() + SLACK, 0);
        Ok(TokenBytes { bytes, spans })
    }

    /// Number of ids in the table (holes included).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether `ids` spell `text` exactly (every id a token, their bytes `text`'s).
    fn spells<T: Label>(&self, ids: ArrayView1<'_, T>, text: &[u8]) -> bool {
        match ids.as_slice() {
            Some(ids) => self.spells_each(ids.iter().copied(), text),
            None => self.spells_each(ids.iter().copied(), text),
        }
    }

    /// `spells` for any iterator of ids (a plain slice iterates fastest).
    #[inline(always)]
    fn spells_each<T: Label>(&self, ids: impl Iterator<Item = T>, text: &[u8]) -> bool {
        let word = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let mut at = 0;
        for id in ids {
            // Negative ids are patterns >= 2^63: past the table like too large ones.
            let Some(&Span { start, len }) = usize::try_from(bits64(id))
                .ok()
                .and_then(|i| self.spans.get(i))
            else {
                return false;
            };
            let (start, len) = (start as usize, len as usize);
            if len == HOLE as usize || len > text.len() - at {
                return false;
            }
            let same = if len <= 8 && text.len() - at >= 8 {
                // Most tokens: one masked comparison of 8-byte words.
                let mask = ((1u128 << (8 * len)) - 1) as u64;
                (word(&self.bytes[start..]) ^ word(&text[at..])) & mask == 0
            } else {
                self.bytes[start..start + len] == text[at..at + len]
            };
            if !same {
                return false;
            }
            at += len;
        }
        at == text.len()
    }

    /// Per document `d` (ids `offsets[d]..offsets[d + 1]`), whether its ids spell
    /// `texts[d]`; a text given as `None` (one with no UTF-8 form) is never spelled.
    /// Documents are checked in parallel.
    pub fn spell_batch(
        &self,
        ids: &Labels<'_>,
        offsets: &[usize],
        texts: &[Option<&[u8]>],
    ) -> Result<Vec<bool>> {
        if offsets.len() != texts.len() + 1 {
            return Err(Error::value(
                "offsets",
                format!(
                    "expected {} document offsets (one more than the texts), got {}",
                    texts.len() + 1,
                    offsets.len()
                ),
            ));
        }
        let n = ids.len();
        if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[texts.len()] != n {
            return Err(Error::value(
                "offsets",
                format!("expected non-decreasing document offsets from 0 to {n}"),
            ));
        }
        Ok(with_labels!(ids, v => pool::install(|| {
            (0..texts.len())
                .into_par_iter()
                .map(|d| {
                    let doc = v.slice(ndarray::s![offsets[d]..offsets[d + 1]]);
                    texts[d].is_some_and(|text| self.spells(doc, text))
                })
                .collect()
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> TokenBytes {
        // 0 "ab", 1 "c", 2 (hole), 3 "", 4 "\xc3", 5 "\xa9"
        let pieces: [Option<&[u8]>; 6] = [
            Some(b"ab"),
            Some(b"c"),
            None,
            Some(b""),
            Some(&[0xc3]),
            Some(&[0xa9]),
        ];
        TokenBytes::new(pieces).unwrap()
    }

    #[test]
    fn documents_are_spelled_byte_for_byte() {
        let t = table();
        assert_eq!(t.len(), 6);
        let ids: [i64; 9] = [0, 1, 3, 1, 0, 4, 5, 0, 2];
        let texts: [Option<&[u8]>; 5] = [
            Some(b"abc"),              // 0 1 3: the empty token changes nothing
            Some(b"cab"),              // 1 0
            Some("\u{e9}".as_bytes()), // 4 5: a character split over two tokens
            Some(b"abX"),              // 0 2: a hole spells nothing
            None,                      // no ids, no UTF-8 form
        ];
        let offsets = [0, 3, 5, 7, 9, 9];
        let got = t
            .spell_batch(&Labels::from(&ids[..]), &offsets, &texts)
            .unwrap();
        assert_eq!(got, [true, true, true, false, false]);
        // Too few, too many or other bytes, and ids outside the table.
        let cases: [(&[i64], &[u8], bool); 6] = [
            (&[0], b"abc", false),
            (&[0, 1, 1], b"abc", false),
            (&[1, 0], b"abc", false),
            (&[], b"", true),
            (&[6], b"", false),
            (&[-1], b"", false),
        ];
        for (ids, text, want) in cases {
            let got = t
                .spell_batch(&Labels::from(ids), &[0, ids.len()], &[Some(text)])
                .unwrap();
            assert_eq!(got, [want], "{ids:?} {text:?}");
        }
        // Unsigned ids spell as signed ones do, and strided ids as contiguous ones.
        let ids: [u8; 2] = [1, 0];
        let got = t
            .spell_batch(&Labels::from(&ids[..]), &[0, 2], &[Some(b"cab")])
            .unwrap();
        assert_eq!(got, [true]);
        let every_other: [i32; 4] = [1, 9, 0, 9];
        let strided = ArrayView1::from(&every_other[..]).slice_move(ndarray::s![..;2]);
        let got = t
            .spell_batch(&Labels::from(strided), &[0, 2], &[Some(b"cab")])
            .unwrap();
        assert_eq!(got, [true]);
    }

    #[test]
    fn negative_ids_name_no_token() {
        // -1 as int8 has the pattern of 255, the id of byte 0xff in a byte table: it must
        // still be no token, while 255 as uint8 is one.
        let all: Vec<[u8; 1]> = (0..=255u8).map(|b| [b]).collect();
        let t = TokenBytes::new(all.iter().map(|b| Some(&b[..]))).unwrap();
        let text: [Option<&[u8]>; 1] = [Some(&[0xff])];
        let signed: [i8; 1] = [-1];
        let unsigned: [u8; 1] = [255];
        let spell = |ids: Labels<'_>| t.spell_batch(&ids, &[0, 1], &text).unwrap();
        assert_eq!(spell(Labels::from(&signed[..])), [false]);
        assert_eq!(spell(Labels::from(&unsigned[..])), [true]);
    }

    #[test]
    fn word_comparisons_agree_with_concatenation() {
        // Tokens of 0..=12 bytes over a 3-letter alphabet (so that near misses are common),
        // documents of up to 40 of them, and texts that are their bytes, one byte changed,
        // one byte short or one byte long.
        let mut s = 11u64;
        let mut next = |m: u64| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) % m
        };
        let pieces: Vec<Vec<u8>> = (0..50)
            .map(|_| (0..next(13)).map(|_| b'a' + next(3) as u8).collect())
            .collect();
        let t = TokenBytes::new(pieces.iter().map(|p| Some(&p[..]))).unwrap();
        for _ in 0..20_000 {
            let ids: Vec<u16> = (0..next(41)).map(|_| next(50) as u16).collect();
            let mut text: Vec<u8> = ids
                .iter()
                .flat_map(|&i| pieces[i as usize].clone())
                .collect();
            match next(4) {
                0 if !text.is_empty() => {
                    let at = next(text.len() as u64) as usize;
                    text[at] = b'a' + (text[at] - b'a' + 1 + next(2) as u8) % 3;
                }
                1 => {
                    text.pop();
                }
                2 => text.push(b'a'),
                _ => {}
            }
            let want = ids
                .iter()
                .flat_map(|&i| pieces[i as usize].iter().copied())
                .eq(text.iter().copied());
            let got = t
                .spell_batch(&Labels::from(&ids[..]), &[0, ids.len()], &[Some(&text)])
                .unwrap();
            assert_eq!(got, [want], "{ids:?}");
        }
    }

    #[test]
    fn bad_offsets_are_refused() {
        let t = table();
        let ids: [u32; 2] = [0, 1];
        let ids = Labels::from(&ids[..]);
        let text: Option<&[u8]> = Some(b"abc");
        let cases: [(&[usize], usize); 5] = [
            (&[0, 2, 2], 1),    // one offset too many
            (&[1, 2], 1),       // not from 0
            (&[0, 1], 1),       // not to the ids' length
            (&[0, 3], 1),       // past it
            (&[0, 2, 0, 2], 3), // decreasing
        ];
        for (offsets, n_texts) in cases {
            let texts = vec![text; n_texts];
            assert!(t.spell_batch(&ids, offsets, &texts).is_err(), "{offsets:?}");
        }
    }
}
