//! The constants of the change format (SPEC.md §3). Encoder and decoder both
//! read them from here, so the two cannot drift apart.

/// The first four bytes of every encoded change: "MDBC".
pub const CHANGE_MAGIC: [u8; 4] = *b"MDBC";
/// The change format version that this build writes and reads.
pub const CHANGE_VERSION: u8 = 1;
/// Offset of the version byte in the frame.
pub(crate) const VERSION_OFFSET: usize = 4;
/// Offset of the crc32 in the frame.
pub(crate) const CRC_OFFSET: usize = 5;
/// Offset of the body length, where the checksummed bytes start.
pub(crate) const LENGTH_OFFSET: usize = 9;

/// The fewest bytes any valid op encodes in (SPEC.md §3.3): an op on the root
/// takes a map key, so it has a header, a key length, a value or type byte and a
/// pred count; an op on another object has a header and an object id of at least
/// two bytes, and then at least a value or type byte.
pub(crate) const MIN_OP_BYTES: u64 = 4;
/// The fewest bytes of one pred entry: a distance and an actor index.
pub(crate) const MIN_PRED_BYTES: u64 = 2;
/// The fewest bytes of one entry of the actor table: a length and one byte.
pub(crate) const MIN_ACTOR_BYTES: u64 = 2;

// The op header byte.
pub(crate) const ACTION_MASK: u8 = 0b0000_0011;
pub(crate) const ACTION_MAKE: u8 = 0;
pub(crate) const ACTION_PUT: u8 = 1;
pub(crate) const ACTION_DELETE: u8 = 2;
pub(crate) const ACTION_INCREMENT: u8 = 3;
pub(crate) const FLAG_INSERT: u8 = 1 << 2;
pub(crate) const FLAG_SEQ_KEY: u8 = 1 << 3;
pub(crate) const FLAG_OBJ_ID: u8 = 1 << 4;
pub(crate) const FLAG_ELEM_ID: u8 = 1 << 5;
pub(crate) const RESERVED_BITS: u8 = 0b1100_0000;

// Object type bytes.
pub(crate) const OBJ_MAP: u8 = 0;
pub(crate) const OBJ_LIST: u8 = 1;
pub(crate) const OBJ_TEXT: u8 = 2;
// 3 is the snapshot history's mark tag (SPEC.md §4): a table is 4 everywhere.
pub(crate) const OBJ_TABLE: u8 = 4;

/// The byte of an object type.
pub(crate) fn obj_type_byte(ty: crate::ObjType) -> u8 {
    match ty {
        crate::ObjType::Map => OBJ_MAP,
        crate::ObjType::List => OBJ_LIST,
        crate::ObjType::Text => OBJ_TEXT,
        crate::ObjType::Table => OBJ_TABLE,
    }
}

/// The object type of a byte read at `offset`.
pub(crate) fn obj_type_of(tag: u8, offset: usize) -> Result<crate::ObjType, crate::DecodeError> {
    match tag {
        OBJ_MAP => Ok(crate::ObjType::Map),
        OBJ_LIST => Ok(crate::ObjType::List),
        OBJ_TEXT => Ok(crate::ObjType::Text),
        OBJ_TABLE => Ok(crate::ObjType::Table),
        tag => Err(crate::DecodeError::UnknownTag {
            field: "object type",
            offset,
            tag,
        }),
    }
}

// Value tags.
pub(crate) const TAG_NULL: u8 = 0;
pub(crate) const TAG_FALSE: u8 = 1;
pub(crate) const TAG_TRUE: u8 = 2;
pub(crate) const TAG_INT: u8 = 3;
pub(crate) const TAG_UINT: u8 = 4;
pub(crate) const TAG_F64: u8 = 5;
pub(crate) const TAG_STR: u8 = 6;
pub(crate) const TAG_BYTES: u8 = 7;
pub(crate) const TAG_COUNTER: u8 = 8;
pub(crate) const TAG_TIMESTAMP: u8 = 9;
