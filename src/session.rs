//! Rules of the stateful transports: session ids, which requests need a
//! session, and the ids of stored events that a client resumes from.
//!
//! The engine never stores anything: the Python layer looks sessions up in
//! its store and tells the engine what it found.

use crate::http::Response;
use crate::jsonrpc::{RpcError, INVALID_REQUEST};
use crate::revision::Revision;
use base64::Engine as _;

/// The request header (lower-case, as ASGI gives it) and response header name.
pub const HEADER: &str = "mcp-session-id";

/// Longest session id or event id accepted from a client.
const MAX_ID_LEN: usize = 128;

/// Fewest random bytes behind a session id (128 bits, as an unguessable id needs).
pub const MIN_SEED: usize = 16;

/// What the session store knew about the request's `Mcp-Session-Id`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lookup<'a> {
    /// No header was sent.
    Absent,
    /// A header was sent but names no live session (expired, deleted or made up).
    Unknown,
    /// A live session: the revision it negotiated and the path it was opened at.
    Known {
        version: &'static Revision,
        path: &'a str,
    },
}

/// A session the engine asks the Python layer to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub id: String,
    pub version: &'static str,
}

/// A fresh session id from `seed` random bytes: URL-safe base64, no padding,
/// so it is visible ASCII as the transport requires.
pub fn mint(seed: &[u8]) -> Result<String, String> {
    if seed.len() < MIN_SEED {
        return Err(format!(
            "a session id needs at least {MIN_SEED} random bytes, got {}",
            seed.len()
        ));
    }
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed))
}

/// Session ids are visible ASCII (0x21 to 0x7E), as the transport allows.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Checks the session of a request that needs one (anything but initialize).
/// `path` is the path the request came to; a session is bound to the path
/// (and so to the path parameters) it was opened at.
pub fn require(
    lookup: Lookup<'_>,
    id: Option<&str>,
    path: &str,
) -> Result<&'static Revision, Response> {
    match lookup {
        Lookup::Absent => Err(Response::rpc_error(
            400,
            &RpcError::new(INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required; send initialize first to open a session"),
        )),
        Lookup::Unknown => Err(Response::rpc_error(
            404,
            &RpcError::new(
                INVALID_REQUEST,
                format!("Session not found: {} is unknown, expired or deleted; initialize a new session", id.unwrap_or("")),
            ),
        )),
        Lookup::Known { path: opened_at, .. } if opened_at != path => Err(Response::rpc_error(
            403,
            &RpcError::new(
                INVALID_REQUEST,
                format!("Forbidden: session {} was opened at {opened_at}, not at {path} (path parameters differ)", id.unwrap_or("")),
            ),
        )),
        Lookup::Known { version, .. } => Ok(version),
    }
}

/// A malformed `Mcp-Session-Id` header.
pub fn invalid_id() -> Response {
    Response::rpc_error(
        400,
        &RpcError::new(
            INVALID_REQUEST,
            "Bad Request: Mcp-Session-Id must be 1 to 128 visible ASCII characters",
        ),
    )
}

/// The id of a stored event: `<stream>.<position>`. Streams are named by the
/// server (hex); positions are the store's own (a counter, or a Redis stream id).
pub fn event_id(stream: &str, position: &str) -> String {
    format!("{stream}.{position}")
}

/// `(stream, position)` of a `Last-Event-ID` this server issued, else None.
pub fn parse_event_id(id: &str) -> Option<(&str, &str)> {
    if id.len() > MAX_ID_LEN {
        return None;
    }
    let (stream, position) = id.split_once('.')?;
    let stream_ok = !stream.is_empty() && stream.bytes().all(|b| b.is_ascii_hexdigit());
    let position_ok =
        !position.is_empty() && position.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    (stream_ok && position_ok).then_some((stream, position))
}

/// A `Last-Event-ID` this server could not have issued.
pub fn invalid_event_id(id: &str) -> Response {
    Response::rpc_error(
        400,
        &RpcError::new(
            INVALID_REQUEST,
            format!("Bad Request: Last-Event-ID {id:?} was not issued by this server"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision;

    #[test]
    fn minted_ids_are_valid_and_need_entropy() {
        let id = mint(&[0xfb; 18]).unwrap();
        assert_eq!(id.len(), 24);
        assert!(valid_id(&id));
        assert!(mint(&[1; 8]).is_err());
    }

    #[test]
    fn ids_are_visible_ascii() {
        assert!(valid_id("abc-DEF_123"));
        assert!(!valid_id(""));
        assert!(!valid_id("has space"));
        assert!(!valid_id("caf\u{e9}"));
        assert!(!valid_id(&"x".repeat(129)));
    }

    #[test]
    fn sessions_are_required_known_and_bound_to_their_path() {
        let v = revision::find("2025-06-18").unwrap();
        assert_eq!(
            require(Lookup::Absent, None, "/mcp").unwrap_err().status,
            400
        );
        assert_eq!(
            require(Lookup::Unknown, Some("x"), "/mcp")
                .unwrap_err()
                .status,
            404
        );
        let known = Lookup::Known {
            version: v,
            path: "/mcp/alice",
        };
        assert_eq!(
            require(known, Some("x"), "/mcp/bob").unwrap_err().status,
            403
        );
        assert_eq!(
            require(known, Some("x"), "/mcp/alice").unwrap().version,
            "2025-06-18"
        );
    }

    #[test]
    fn event_ids_round_trip() {
        assert_eq!(
            parse_event_id(&event_id("0a1f", "17")),
            Some(("0a1f", "17"))
        );
        assert_eq!(
            parse_event_id("0a1f.1700000000000-3"),
            Some(("0a1f", "1700000000000-3"))
        );
        assert_eq!(parse_event_id("nope"), None);
        assert_eq!(parse_event_id("zz.1"), None);
        assert_eq!(parse_event_id("0a.1;rm"), None);
    }
}
