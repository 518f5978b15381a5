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

/// The first event of a resumable stream: an id to resume from and the
/// reconnection delay, with no data (clients skip it as a message).
pub fn priming(id: &str, retry_ms: u64) -> Vec<u8> {
    format!("id: {id}\nretry: {retry_ms}\ndata: \n\n").into_bytes()
}

/// A named event with one line of text, e.g. the HTTP+SSE transport's `endpoint`.
pub fn named(event: &str, data: &str) -> Vec<u8> {
    let data = data.replace(['\r', '\n'], "");
    format!("event: {event}\ndata: {data}\n\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_one_event() {
        assert_eq!(event(b"{}", None), b"event: message\ndata: {}\n\n");
        assert_eq!(
            event(b"{}", Some("7")),
            b"event: message\nid: 7\ndata: {}\n\n"
        );
    }

    #[test]
    fn priming_and_named_events() {
        assert_eq!(priming("a1.0", 1000), b"id: a1.0\nretry: 1000\ndata: \n\n");
        assert_eq!(
            named("endpoint", "/mcp/messages/?session_id=x\n"),
            b"event: endpoint\ndata: /mcp/messages/?session_id=x\n\n"
        );
    }

    #[test]
    fn newlines_become_data_lines() {
        assert_eq!(
            event(b"a\nb", None),
            b"event: message\ndata: a\ndata: b\n\n"
        );
    }
}
