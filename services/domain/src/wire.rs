//! The top-level fields of a protobuf message, as bytes: enough to hash a
//! message as written while leaving some fields out, without decoding it.

/// One top-level field: its number and every byte of it (key included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub number: u32,
    pub bytes: &'a [u8],
}

/// Why bytes are not a protobuf message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated protobuf at byte {0}")]
    Truncated(usize),
    #[error("unsupported protobuf wire type {wire_type} at byte {at}")]
    WireType { wire_type: u64, at: usize },
}

/// Iterates over the top-level fields of `bytes`, in the order written.
pub fn fields(bytes: &[u8]) -> impl Iterator<Item = Result<Field<'_>, WireError>> {
    let mut at = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || at >= bytes.len() {
            return None;
        }
        let next = field_at(bytes, at);
        match next {
            Ok((field, end)) => {
                at = end;
                Some(Ok(field))
            }
            Err(err) => {
                failed = true;
                Some(Err(err))
            }
        }
    })
}

fn field_at(bytes: &[u8], start: usize) -> Result<(Field<'_>, usize), WireError> {
    let (key, mut at) = varint(bytes, start)?;
    let wire_type = key & 7;
    let number = u32::try_from(key >> 3).map_err(|_| WireError::Truncated(start))?;
    at = match wire_type {
        0 => varint(bytes, at)?.1,
        1 => skip(bytes, at, 8)?,
        2 => {
            let (len, after) = varint(bytes, at)?;
            let len = usize::try_from(len).map_err(|_| WireError::Truncated(after))?;
            skip(bytes, after, len)?
        }
        5 => skip(bytes, at, 4)?,
        // Groups (3, 4) are not used by the contract.
        other => {
            return Err(WireError::WireType {
                wire_type: other,
                at: start,
            })
        }
    };
    Ok((
        Field {
            number,
            bytes: &bytes[start..at],
        },
        at,
    ))
}

fn skip(bytes: &[u8], at: usize, len: usize) -> Result<usize, WireError> {
    let end = at.checked_add(len).ok_or(WireError::Truncated(at))?;
    if end > bytes.len() {
        return Err(WireError::Truncated(at));
    }
    Ok(end)
}

fn varint(bytes: &[u8], start: usize) -> Result<(u64, usize), WireError> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().skip(start).take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, start + i + 1));
        }
    }
    Err(WireError::Truncated(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_proto::v1::{EventEnvelope, StreamRef};
    use proptest::prelude::*;
    use prost::Message;

    #[test]
    fn the_fields_of_a_message_are_its_bytes_cut_in_order() {
        let event = EventEnvelope {
            event_id: "e".into(),
            stream: Some(StreamRef {
                r#type: "t".into(),
                id: "i".into(),
            }),
            stream_version: 300,
            hash: vec![1; 32],
            ..Default::default()
        };
        let bytes = event.encode_to_vec();
        let fields: Vec<Field> = fields(&bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            fields.iter().map(|f| f.number).collect::<Vec<_>>(),
            [1, 2, 3, 15]
        );
        assert_eq!(
            fields.iter().map(|f| f.bytes.len()).sum::<usize>(),
            bytes.len()
        );
    }

    #[test]
    fn truncated_bytes_are_an_error_not_a_panic() {
        assert!(fields(&[0x0a, 0x05, b'a']).any(|f| f.is_err()));
        assert!(fields(&[0xff; 11]).any(|f| f.is_err()));
        assert!(fields(&[0x0b]).any(|f| f.is_err()), "group wire type");
    }

    proptest! {
        #[test]
        fn any_bytes_are_cut_or_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let total: usize = fields(&bytes).filter_map(Result::ok).map(|f| f.bytes.len()).sum();
            prop_assert!(total <= bytes.len());
        }
    }
}
