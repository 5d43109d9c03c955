//! The two messages between the caller and a worker: a request (task, limits, input) and a
//! response (text, truncation, error, and whether the worker retires after it). Little-endian,
//! length-prefixed; a response is decoded as it streams in.

use super::{Produced, Task};
use crate::error::{ExtractError, Format};

/// Size of a request's fixed part: task, max output, max inflated, memory, CPU seconds, length.
pub(super) const REQUEST_HEAD: usize = 1 + 5 * 8;

/// A request as the worker reads it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Request {
    pub(super) task: Task,
    pub(super) max_output: usize,
    pub(super) max_inflated: u64,
    /// Address space the job may add to the worker's size at start.
    pub(super) max_memory: u64,
    /// CPU seconds the job may use.
    pub(super) cpu_seconds: u64,
    /// Length of the input that follows the head.
    pub(super) len: usize,
}

/// The head of a request (the input bytes are sent after it, unencoded).
pub(super) fn request_head(r: &Request) -> [u8; REQUEST_HEAD] {
    let mut out = [0u8; REQUEST_HEAD];
    out[0] = r.task.code();
    for (i, v) in [
        r.max_output as u64,
        r.max_inflated,
        r.max_memory,
        r.cpu_seconds,
        r.len as u64,
    ]
    .into_iter()
    .enumerate()
    {
        out[1 + 8 * i..9 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// The request of a head; `None` for an unknown task.
pub(super) fn parse_request_head(b: &[u8; REQUEST_HEAD]) -> Option<Request> {
    let n = |i: usize| u64::from_le_bytes(b[1 + 8 * i..9 + 8 * i].try_into().expect("8 bytes"));
    Some(Request {
        task: Task::from_code(b[0])?,
        max_output: usize::try_from(n(0)).ok()?,
        max_inflated: n(1),
        max_memory: n(2),
        cpu_seconds: n(3),
        len: usize::try_from(n(4)).ok()?,
    })
}

/// Response: tag (0 ok, 1 error), truncated, error kind, u64 number, u32 text length, text,
/// u32 detail length, detail, retire (1 when the worker exits after this response).
pub(super) fn encode_response(p: &Produced, retire: bool) -> Vec<u8> {
    let (kind, num, detail) = match &p.error {
        None => (0u8, 0u64, String::new()),
        Some(ExtractError::Malformed { reason, .. }) => (1, 0, reason.clone()),
        Some(ExtractError::Inflated { limit, .. }) => (2, *limit, String::new()),
        Some(ExtractError::Panicked { message, .. }) => (3, 0, message.clone()),
        Some(other) => (1, 0, other.to_string()),
    };
    let mut out = Vec::with_capacity(p.text.len() + detail.len() + 32);
    out.push(u8::from(p.error.is_some()));
    out.push(u8::from(p.truncated));
    out.push(kind);
    out.extend_from_slice(&num.to_le_bytes());
    out.extend_from_slice(&(p.text.len() as u32).to_le_bytes());
    out.extend_from_slice(p.text.as_bytes());
    out.extend_from_slice(&(detail.len() as u32).to_le_bytes());
    out.extend_from_slice(detail.as_bytes());
    out.push(u8::from(retire));
    out
}

/// The decoded response and its retire flag, or `None` while it is incomplete.
pub(super) fn decode_response(format: Format, b: &[u8]) -> Option<(Produced, bool)> {
    let head = b.get(..15)?;
    let text_len = u32::from_le_bytes(head[11..15].try_into().ok()?) as usize;
    let text = b.get(15..15 + text_len)?;
    let rest = &b[15 + text_len..];
    let detail_len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let detail = rest.get(4..4 + detail_len)?;
    let retire = *rest.get(4 + detail_len)? == 1;
    let detail = String::from_utf8_lossy(detail).into_owned();
    let num = u64::from_le_bytes(head[3..11].try_into().ok()?);
    let error = (head[0] == 1).then(|| match head[2] {
        2 => ExtractError::Inflated { format, limit: num },
        3 => ExtractError::Panicked {
            format,
            message: detail,
        },
        _ => ExtractError::Malformed {
            format,
            reason: detail,
        },
    });
    let produced = Produced {
        text: String::from_utf8_lossy(text).into_owned(),
        truncated: head[1] == 1,
        error,
    };
    Some((produced, retire))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_round_trip_and_partial_responses_wait() {
        for format in super::super::ISOLATED {
            let r = Request {
                task: Task::Extract(format),
                max_output: 7,
                max_inflated: 1 << 40,
                max_memory: 3,
                cpu_seconds: 12,
                len: 99,
            };
            assert_eq!(parse_request_head(&request_head(&r)), Some(r));
        }
        let mut bad = [0u8; REQUEST_HEAD];
        bad[0] = 99;
        assert_eq!(parse_request_head(&bad), None);

        let p = Produced {
            text: "héllo".into(),
            truncated: true,
            error: Some(ExtractError::Inflated {
                format: Format::Docx,
                limit: 42,
            }),
        };
        let wire = encode_response(&p, true);
        for cut in 0..wire.len() {
            assert!(
                decode_response(Format::Docx, &wire[..cut]).is_none(),
                "{cut}"
            );
        }
        let (back, retire) = decode_response(Format::Docx, &wire).expect("complete");
        assert!(retire);
        assert_eq!((back.text.as_str(), back.truncated), ("héllo", true));
        assert_eq!(back.error, p.error);
    }
}
