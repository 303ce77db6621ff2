//! A seeded typing session, for `mergedb bench` when no trace is given.
//!
//! It imitates how people write: words from a vocabulary with a Zipf-like
//! skew, sentences and paragraphs; typos fixed with backspace at once; now
//! and then a jump back to revise an earlier sentence, or a selection deleted.
//! One patch per keystroke, like automerge-paper. The expected text is kept
//! beside it in a gap buffer, independent of the engine it checks.

use crate::trace::{Patch, Trace};

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "on",
    "be",
    "by",
    "this",
    "are",
    "from",
    "or",
    "an",
    "which",
    "can",
    "each",
    "we",
    "document",
    "change",
    "replica",
    "merge",
    "text",
    "user",
    "edit",
    "state",
    "data",
    "local",
    "network",
    "server",
    "sync",
    "order",
    "operation",
    "insert",
    "delete",
    "character",
    "list",
    "version",
    "history",
    "concurrent",
    "conflict",
    "algorithm",
    "structure",
    "application",
    "offline",
    "device",
    "collaboration",
    "consistent",
    "eventually",
    "storage",
    "compact",
    "snapshot",
    "peer",
    "message",
    "causal",
    "timestamp",
    "identifier",
    "sequence",
    "element",
    "position",
];

/// SplitMix64: small, seeded, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }

    /// Skewed towards the start of the list, as word frequencies are.
    fn word(&mut self) -> &'static str {
        let a = self.below(WORDS.len());
        let b = self.below(WORDS.len());
        WORDS[a.min(b)]
    }
}

/// The text being typed: a gap buffer, so keystrokes near the cursor cost
/// no more than the cursor's moves.
struct Text {
    before: Vec<char>,
    /// Reversed: the char right after the cursor is last.
    after: Vec<char>,
}

impl Text {
    fn len(&self) -> usize {
        self.before.len() + self.after.len()
    }

    fn seek(&mut self, pos: usize) {
        while self.before.len() > pos {
            if let Some(c) = self.before.pop() {
                self.after.push(c);
            }
        }
        while self.before.len() < pos {
            match self.after.pop() {
                Some(c) => self.before.push(c),
                None => break,
            }
        }
    }

    fn apply(&mut self, p: &Patch) {
        self.seek(p.pos);
        for _ in 0..p.del {
            self.after.pop();
        }
        self.before.extend(p.ins.chars());
    }

    fn into_string(mut self) -> String {
        self.after.reverse();
        self.before.into_iter().chain(self.after).collect()
    }
}

/// A session of `keystrokes` patches from `seed`.
pub fn typing_session(seed: u64, keystrokes: usize) -> Trace {
    let mut s = Session {
        rng: Rng(seed),
        text: Text {
            before: Vec::new(),
            after: Vec::new(),
        },
        cursor: 0,
        txns: Vec::with_capacity(keystrokes),
        limit: keystrokes,
    };
    while s.txns.len() < keystrokes {
        s.step();
    }
    Trace {
        txns: s.txns,
        end_content: s.text.into_string(),
    }
}

struct Session {
    rng: Rng,
    text: Text,
    cursor: usize,
    txns: Vec<Vec<Patch>>,
    /// Keystrokes past this are not typed, so the text ends where the trace does.
    limit: usize,
}

impl Session {
    fn key(&mut self, del: usize, ins: &str) {
        if self.txns.len() >= self.limit {
            return;
        }
        let patch = Patch {
            pos: self.cursor,
            del,
            ins: ins.to_string(),
        };
        self.text.apply(&patch);
        self.cursor += ins.chars().count();
        self.txns.push(vec![patch]);
    }

    fn backspace(&mut self, n: usize) {
        for _ in 0..n.min(self.cursor) {
            self.cursor -= 1;
            self.key(1, "");
        }
    }

    /// One word, sometimes with a typo fixed at once, then its punctuation.
    fn step(&mut self) {
        let r = &mut self.rng;
        if r.chance(60) && self.text.len() > 200 {
            // Revise: jump back into the text, and backspace over a phrase.
            let back = 1 + r.below(self.text.len().min(30_000));
            let erase = 3 + r.below(50);
            self.cursor = self.text.len() - back;
            self.backspace(erase);
        } else if r.chance(15) && self.text.len() > 200 {
            // Back to the end, to go on writing.
            self.cursor = self.text.len();
        } else if r.chance(10) && self.cursor > 100 {
            // Delete a selection: one keystroke.
            let n = 1 + self.rng.below(60);
            self.cursor -= n;
            self.key(n, "");
        }
        let word = self.rng.word();
        for (i, c) in word.chars().enumerate() {
            self.key(0, c.encode_utf8(&mut [0; 4]));
            if self.rng.chance(40) {
                let typo = char::from(b'a' + self.rng.below(26) as u8);
                self.key(0, typo.encode_utf8(&mut [0; 4]));
                self.backspace(1);
            }
            if i + 1 == word.len() && self.rng.chance(90) {
                self.backspace(word.len());
                return;
            }
        }
        let end = match self.rng.below(100) {
            0..=3 => ".\n\n",
            4..=11 => ". ",
            12..=17 => ", ",
            _ => " ",
        };
        for c in end.chars() {
            self.key(0, c.encode_utf8(&mut [0; 4]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_as_its_patches_say() {
        let t = typing_session(7, 20_000);
        assert_eq!(t.patches(), 20_000);
        let mut s = String::new();
        for p in t.txns.iter().flatten() {
            let at = s.char_indices().nth(p.pos).map_or(s.len(), |(i, _)| i);
            let end = s[at..]
                .char_indices()
                .nth(p.del)
                .map_or(s.len(), |(i, _)| at + i);
            s.replace_range(at..end, &p.ins);
        }
        assert_eq!(s, t.end_content);
        assert!(t.end_content.len() > 5_000);
    }

    #[test]
    fn the_same_seed_gives_the_same_session() {
        assert_eq!(
            typing_session(1, 5_000).end_content,
            typing_session(1, 5_000).end_content
        );
        assert_ne!(
            typing_session(1, 5_000).end_content,
            typing_session(2, 5_000).end_content
        );
    }
}
