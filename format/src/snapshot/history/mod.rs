//! The history section: every change of a document, in the order the document
//! applied them (a causal order), as columns (SPEC.md §4.3).
//!
//! Most of a change is predictable from the one before it: its seq is its
//! actor's last plus one, its start_op follows the previous change's ops, its
//! one dep is the change just before. Each column stores the difference from
//! that prediction, so a typing session is long runs of zeros and the text
//! itself, which zstd then shrinks to a few bits per keystroke.

mod read;
mod view;
mod write;

pub use read::{
    decode_history, decode_history_each, decode_history_kept, hash_history, HistoryReader,
    PREALLOC_CHANGES,
};
pub use view::{ActionView, ChangeView, OpView, ValueRef};
pub use write::{ChangeRef, HistoryWriter, IdRef, KeyRef, OpRef};

pub(super) const CHANGE_ACTOR: usize = 0;
pub(super) const CHANGE_SEQ: usize = 1;
pub(super) const CHANGE_START: usize = 2;
pub(super) const CHANGE_TIME: usize = 3;
pub(super) const CHANGE_MESSAGE: usize = 4;
pub(super) const CHANGE_MESSAGE_BYTES: usize = 5;
pub(super) const CHANGE_EXTRA: usize = 6;
pub(super) const CHANGE_EXTRA_BYTES: usize = 7;
pub(super) const CHANGE_DEPS: usize = 8;
pub(super) const CHANGE_OPS: usize = 9;
pub(super) const OP_HEADER: usize = 10;
pub(super) const OP_OBJ: usize = 11;
pub(super) const OP_OBJ_ACTOR: usize = 12;
pub(super) const OP_KEY: usize = 13;
pub(super) const OP_ELEM: usize = 14;
pub(super) const OP_ELEM_ACTOR: usize = 15;
pub(super) const OP_TAG: usize = 16;
pub(super) const OP_LEN: usize = 17;
pub(super) const OP_BYTES: usize = 18;
pub(super) const OP_NUM: usize = 19;
pub(super) const OP_PRED: usize = 20;
pub(super) const OP_MARK: usize = 21;
pub(super) const OP_MARK_NAME: usize = 22;
pub(super) const COLUMNS: usize = 23;
pub(super) const NAMES: [&str; COLUMNS] = [
    "change actor",
    "change seq",
    "change start_op",
    "change time",
    "change message",
    "change message bytes",
    "change extra",
    "change extra bytes",
    "change deps",
    "change ops",
    "op header",
    "op obj",
    "op obj actor",
    "op key",
    "op elem",
    "op elem actor",
    "op value tag",
    "op value length",
    "op value bytes",
    "op value number",
    "op pred",
    "op mark",
    "op mark name",
];
/// In op value tag, for an op whose header says make: not an object type
/// but a mark, which op mark describes.
pub(super) const TAG_MARK: u8 = 3;
/// In op mark: the mark grows at its edge.
pub(super) const MARK_EXPAND: u64 = 1;
/// In op mark: it begins a mark (its name and value follow); else it ends one.
pub(super) const MARK_BEGIN: u64 = 2;
/// In the snapshot's op header (a change's op header plus this bit): the
/// op's pred is exactly its key's element, as for nearly every list delete.
pub(super) const FLAG_PRED_IS_ELEM: u8 = 1 << 6;
/// The op's element key is the op just before it: the same actor, one counter
/// lower. Typing inserts after the character just typed, and a backspace
/// deletes it, so most element keys are this, and need no column entry.
pub(super) const FLAG_ELEM_PREV: u8 = 1 << 7;
