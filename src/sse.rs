//! Server-sent events framing for JSON-RPC messages.

/// One `message` event. JSON from the engine has no raw newlines, but a
/// payload that does is split over several `data:` lines as the format requires.
pub fn event(message: &[u8], id: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 32);
    out.extend_from_slice(b"event: message\n");
    if let Some(id) = id {
        out.extend_from_slice(b"id: ");
        out.extend_from_slice(id.as_bytes());
        out.push(b'\n');
    }
    for line in message.split(|&b| b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_one_event() {
        assert_eq!(event(b"{}", None), b"event: message\ndata: {}\n\n");
        assert_eq!(event(b"{}", Some("7")), b"event: message\nid: 7\ndata: {}\n\n");
    }

    #[test]
    fn newlines_become_data_lines() {
        assert_eq!(event(b"a\nb", None), b"event: message\ndata: a\ndata: b\n\n");
    }
}
