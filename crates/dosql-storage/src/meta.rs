//! The meta record: the root of everything durable in the data file.
//!
//! Two slots, at byte 0 and byte 4096 of the file, hold alternate
//! checkpoints; a checkpoint writes the slot of the older one, so a torn
//! write of the meta record leaves the previous checkpoint intact. Each slot
//! is 512 bytes, checksummed; the slot with the valid checksum and the
//! highest checkpoint id wins. Data pages start at [`DATA_START`].
//!
//! ```text
//! offset size  field
//! 0      8     magic "DoSQLdb\0"
//! 8      4     format version
//! 12     4     page size
//! 16     8     checkpoint id
//! 24     8     checkpoint LSN: every change with LSN <= it is in the trees
//! 32     8     next transaction id
//! 40     8     page count: pages [0, count) exist in the file
//! 48     8     system blob: first page
//! 56     8     system blob: length in bytes (0 = empty database)
//! 64     4     system blob: crc32
//! 68     4     flags: bit 0 = durable (the checkpoint's pages were fsynced
//!              before this record, and this record after it is written)
//! 72     8     checkpoint time, ms since the Unix epoch
//! 80     428   zero
//! 508    4     crc32 of bytes 0..508
//! ```

use crate::codec::le_u32;

/// Magic bytes at the start of every database file.
pub(crate) const MAGIC: &[u8; 8] = b"DoSQLdb\0";
/// The format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Byte offsets of the two meta slots.
pub(crate) const SLOT_OFFSETS: [u64; 2] = [0, 4096];
/// Size of one meta slot.
pub(crate) const SLOT_LEN: usize = 512;
/// Byte offset of page 0.
pub(crate) const DATA_START: u64 = 8192;

mod offset {
    pub const VERSION: usize = 8;
    pub const PAGE_SIZE: usize = 12;
    pub const CHECKPOINT_ID: usize = 16;
    pub const CHECKPOINT_LSN: usize = 24;
    pub const NEXT_TXID: usize = 32;
    pub const PAGE_COUNT: usize = 40;
    pub const SYSTEM_FIRST: usize = 48;
    pub const SYSTEM_LEN: usize = 56;
    pub const SYSTEM_CRC: usize = 64;
    pub const FLAGS: usize = 68;
    pub const TIMESTAMP: usize = 72;
    pub const CRC: usize = 508;
}

/// A decoded meta record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) page_size: u32,
    pub(crate) checkpoint_id: u64,
    pub(crate) checkpoint_lsn: u64,
    pub(crate) next_txid: u64,
    pub(crate) page_count: u64,
    pub(crate) system_first: u64,
    pub(crate) system_len: u64,
    pub(crate) system_crc: u32,
    pub(crate) timestamp_ms: u64,
    /// Whether the session that wrote the checkpoint made it durable
    /// (every mode but `synchronous = off`): opening it after a clean
    /// shutdown then needs no fsync.
    pub(crate) durable: bool,
}

/// Bit 0 of the flags field.
const FLAG_DURABLE: u32 = 1;

/// What a slot holds.
#[derive(Debug)]
pub(crate) enum SlotState {
    /// A valid record.
    Valid(Meta),
    /// The magic is there but the record is damaged (torn or corrupt).
    Damaged,
    /// A valid record of a newer format version.
    NewerVersion(u32),
    /// No DoSQL magic at all.
    Foreign,
}

impl Meta {
    pub(crate) fn encode(&self) -> [u8; SLOT_LEN] {
        let mut b = [0u8; SLOT_LEN];
        b[..8].copy_from_slice(MAGIC);
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(offset::VERSION, &FORMAT_VERSION.to_le_bytes());
        put(offset::PAGE_SIZE, &self.page_size.to_le_bytes());
        put(offset::CHECKPOINT_ID, &self.checkpoint_id.to_le_bytes());
        put(offset::CHECKPOINT_LSN, &self.checkpoint_lsn.to_le_bytes());
        put(offset::NEXT_TXID, &self.next_txid.to_le_bytes());
        put(offset::PAGE_COUNT, &self.page_count.to_le_bytes());
        put(offset::SYSTEM_FIRST, &self.system_first.to_le_bytes());
        put(offset::SYSTEM_LEN, &self.system_len.to_le_bytes());
        put(offset::SYSTEM_CRC, &self.system_crc.to_le_bytes());
        put(offset::TIMESTAMP, &self.timestamp_ms.to_le_bytes());
        let flags = if self.durable { FLAG_DURABLE } else { 0 };
        put(offset::FLAGS, &flags.to_le_bytes());
        let crc = crc32fast::hash(&b[..offset::CRC]);
        b[offset::CRC..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8]) -> SlotState {
        if b.len() < SLOT_LEN || &b[..8] != MAGIC {
            return SlotState::Foreign;
        }
        if crc32fast::hash(&b[..offset::CRC]) != le_u32(b, offset::CRC) {
            return SlotState::Damaged;
        }
        let u64_at = |off: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[off..off + 8]);
            u64::from_le_bytes(a)
        };
        let version = le_u32(b, offset::VERSION);
        if version > FORMAT_VERSION {
            return SlotState::NewerVersion(version);
        }
        if version == 0 {
            return SlotState::Damaged;
        }
        SlotState::Valid(Meta {
            page_size: le_u32(b, offset::PAGE_SIZE),
            checkpoint_id: u64_at(offset::CHECKPOINT_ID),
            checkpoint_lsn: u64_at(offset::CHECKPOINT_LSN),
            next_txid: u64_at(offset::NEXT_TXID),
            page_count: u64_at(offset::PAGE_COUNT),
            system_first: u64_at(offset::SYSTEM_FIRST),
            system_len: u64_at(offset::SYSTEM_LEN),
            system_crc: le_u32(b, offset::SYSTEM_CRC),
            timestamp_ms: u64_at(offset::TIMESTAMP),
            durable: le_u32(b, offset::FLAGS) & FLAG_DURABLE != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let m = Meta {
            page_size: 4096,
            checkpoint_id: 9,
            checkpoint_lsn: 1234,
            next_txid: 77,
            page_count: 10,
            system_first: 3,
            system_len: 100,
            system_crc: 5,
            timestamp_ms: 1,
            durable: true,
        };
        let mut b = m.encode();
        assert!(matches!(Meta::decode(&b), SlotState::Valid(x) if x == m));
        let off = Meta { durable: false, ..m };
        assert!(matches!(Meta::decode(&off.encode()), SlotState::Valid(x) if x == off));
        b[100] ^= 1;
        assert!(matches!(Meta::decode(&b), SlotState::Damaged));
        b[0] = b'X';
        assert!(matches!(Meta::decode(&b), SlotState::Foreign));
    }
}
