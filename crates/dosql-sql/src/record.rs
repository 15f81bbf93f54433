//! Row and key encodings for tables and indexes.
//!
//! A row is stored as a record: a varint column count, then per column a
//! type tag and its bytes (0 NULL; 1 INTEGER as a zigzag varint; 2 REAL as
//! 8 bytes; 3 TEXT and 4 BLOB as varint length + bytes). A rowid table's key
//! is the rowid as 8 big-endian bytes with the sign bit flipped, so byte
//! order is numeric order.

use crate::value::Value;

/// The tree key of a rowid.
pub fn rowid_key(rowid: i64) -> [u8; 8] {
    ((rowid as u64) ^ (1 << 63)).to_be_bytes()
}

/// The rowid a table key encodes.
pub fn key_rowid(key: &[u8]) -> Option<i64> {
    let b: [u8; 8] = key.try_into().ok()?;
    Some((u64::from_be_bytes(b) ^ (1 << 63)) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Encodes a row.
pub fn encode_row(values: &[Value]) -> Vec<u8> {
    // The exact size is at most this: no reallocation on long text.
    let payload: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        })
        .sum();
    let mut out = Vec::with_capacity(payload.saturating_add(values.len().saturating_mul(11)).saturating_add(10));
    put_varint(&mut out, values.len() as u64);
    for v in values {
        match v {
            Value::Null => out.push(0),
            Value::Integer(i) => {
                out.push(1);
                put_varint(&mut out, ((*i << 1) ^ (*i >> 63)) as u64);
            }
            Value::Real(r) => {
                out.push(2);
                out.extend_from_slice(&r.to_le_bytes());
            }
            Value::Text(s) => {
                out.push(3);
                put_varint(&mut out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Blob(b) => {
                out.push(4);
                put_varint(&mut out, b.len() as u64);
                out.extend_from_slice(b);
            }
        }
    }
    out
}

/// Decodes a row; `None` if the bytes are not a record.
pub fn decode_row(buf: &[u8]) -> Option<Vec<Value>> {
    decode_row_in(buf, 0)
}

/// Decodes a row into a vector with room for at least `room` values (the
/// columns added since it was written and the rowid the executor appends
/// then need no reallocation).
pub fn decode_row_in(buf: &[u8], room: usize) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    decode_row_into(buf, room, &mut out)?;
    Some(out)
}

/// Decodes a row into `out`, over what it held: a text or blob decoded
/// where one was reuses its allocation, so reading row after row into one
/// vector allocates nothing once it has grown. `room` is as for
/// [`decode_row_in`]. `None` (with `out` in some state) if the bytes are
/// not a record.
pub fn decode_row_into(buf: &[u8], room: usize, out: &mut Vec<Value>) -> Option<()> {
    let mut pos = 0;
    let n = get_varint(buf, &mut pos)?;
    if n > buf.len() as u64 {
        return None;
    }
    let n = n as usize;
    out.truncate(n);
    out.reserve(n.max(room).saturating_sub(out.len()));
    for i in 0..n {
        let tag = *buf.get(pos)?;
        pos += 1;
        let v = match tag {
            0 => Value::Null,
            1 => {
                let z = get_varint(buf, &mut pos)?;
                Value::Integer(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            2 => {
                let b: [u8; 8] = buf.get(pos..pos + 8)?.try_into().ok()?;
                pos += 8;
                Value::Real(f64::from_le_bytes(b))
            }
            3 | 4 => {
                let len = usize::try_from(get_varint(buf, &mut pos)?).ok()?;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                match (tag, out.get_mut(i)) {
                    // Checking first is much faster than the lossy decoder
                    // on valid text, which every text we write is.
                    (3, Some(Value::Text(s))) => {
                        s.clear();
                        match std::str::from_utf8(bytes) {
                            Ok(t) => s.push_str(t),
                            Err(_) => s.push_str(&String::from_utf8_lossy(bytes)),
                        }
                        continue;
                    }
                    (3, _) => Value::Text(match std::str::from_utf8(bytes) {
                        Ok(t) => t.to_owned(),
                        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
                    }),
                    (_, Some(Value::Blob(b))) => {
                        b.clear();
                        b.extend_from_slice(bytes);
                        continue;
                    }
                    _ => Value::Blob(bytes.to_vec()),
                }
            }
            _ => return None,
        };
        match out.get_mut(i) {
            Some(slot) => *slot = v,
            None => out.push(v),
        }
    }
    (pos == buf.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let row = vec![
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Integer(-1),
            Value::Integer(300),
            Value::Real(-0.5),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 255]),
        ];
        assert_eq!(decode_row(&encode_row(&row)), Some(row));
        assert_eq!(decode_row(&[5, 0]), None);
    }

    #[test]
    fn rowid_keys_sort_numerically() {
        let ids = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for w in ids.windows(2) {
            assert!(rowid_key(w[0]) < rowid_key(w[1]));
        }
        assert_eq!(key_rowid(&rowid_key(-42)), Some(-42));
    }
}
