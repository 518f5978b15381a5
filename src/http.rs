//! Streamable HTTP transport rules: which requests the MCP endpoint accepts,
//! how it answers them (status, headers, JSON or an event stream).

use crate::jsonrpc::{self, RpcError, INVALID_REQUEST};
use crate::revision::{self, Revision};

/// The request headers the transport looks at. Names are lower-case, as ASGI gives them.
#[derive(Debug, Default, Clone)]
pub struct Headers<'a> {
    pub accept: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub protocol_version: Option<&'a str>,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub mcp_method: Option<&'a str>,
    pub mcp_name: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub last_event_id: Option<&'a str>,
}

impl<'a> Headers<'a> {
    /// Picks the headers we need out of `(name, value)` pairs.
    pub fn collect<I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(pairs: I) -> Headers<'a> {
        let mut h = Headers::default();
        for (name, value) in pairs {
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            match name {
                b"accept" => h.accept = Some(value),
                b"content-type" => h.content_type = Some(value),
                b"mcp-protocol-version" => h.protocol_version = Some(value),
                b"host" => h.host = Some(value),
                b"origin" => h.origin = Some(value),
                b"mcp-method" => h.mcp_method = Some(value),
                b"mcp-name" => h.mcp_name = Some(value),
                b"mcp-session-id" => h.session_id = Some(value),
                b"last-event-id" => h.last_event_id = Some(value),
                _ => {}
            }
        }
        h
    }
}

/// How a POST with requests in it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    EventStream,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::EventStream => "text/event-stream",
        }
    }
}

/// A complete HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("content-type", "application/json".into())],
            body,
        }
    }

    /// A transport-level rejection carrying a JSON-RPC error with a null id.
    pub fn rpc_error(status: u16, error: &RpcError) -> Response {
        Response::json(status, jsonrpc::error_message(None, error))
    }

    pub fn method_not_allowed(allow: &str) -> Response {
        let mut r = Response::rpc_error(
            405,
            &RpcError::new(
                INVALID_REQUEST,
                format!("Method Not Allowed: this endpoint accepts {allow}"),
            ),
        );
        r.headers.push(("allow", allow.to_string()));
        r
    }
}

/// Headers that go with an event-stream response; no-transform and
/// X-Accel-Buffering keep proxies from holding events back.
pub fn stream_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "text/event-stream".into()),
        ("cache-control", "no-cache, no-transform".into()),
        ("x-accel-buffering", "no".into()),
    ]
}

/// Checks that a GET takes an event stream (406 otherwise).
pub fn accepts_stream(headers: &Headers) -> Result<(), Response> {
    let ok = match headers.accept {
        None => false,
        Some(accept) => accept.split(',').any(|item| {
            let t = media_type(item);
            t.eq_ignore_ascii_case("text/event-stream")
                || t == "*/*"
                || t.eq_ignore_ascii_case("text/*")
        }),
    };
    if ok {
        return Ok(());
    }
    Err(Response::rpc_error(
        406,
        &RpcError::new(INVALID_REQUEST, format!("Not Acceptable: a GET opens an event stream; Accept must include text/event-stream (got {})", headers.accept.unwrap_or(""))),
    ))
}

/// Checks a POST's Content-Type (415) and picks the response format from
/// Accept (406 when the client takes neither JSON nor an event stream).
pub fn negotiate(headers: &Headers, prefer_json: bool) -> Result<Format, Response> {
    // The values MCP clients send, word for word: no parsing needed.
    if headers.content_type == Some("application/json")
        && headers.accept == Some("application/json, text/event-stream")
    {
        return Ok(if prefer_json {
            Format::Json
        } else {
            Format::EventStream
        });
    }
    let json_body = headers
        .content_type
        .map(|ct| media_type(ct).eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if !json_body {
        let got = headers.content_type.unwrap_or("none");
        return Err(Response::rpc_error(
            415,
            &RpcError::new(
                INVALID_REQUEST,
                format!(
                    "Unsupported Media Type: Content-Type must be application/json (got {got})"
                ),
            ),
        ));
    }
    // One pass over Accept for both media types.
    let (mut json, mut stream) = (headers.accept.is_none(), headers.accept.is_none());
    for item in headers.accept.unwrap_or("").split(',') {
        let t = media_type(item);
        json = json || covers(t, "application/json");
        stream = stream || covers(t, "text/event-stream");
        if json && stream {
            break;
        }
    }
    match (prefer_json, json, stream) {
        (true, true, _) | (false, true, false) => Ok(Format::Json),
        (false, _, true) | (true, false, true) => Ok(Format::EventStream),
        _ => Err(Response::rpc_error(
            406,
            &RpcError::new(
                INVALID_REQUEST,
                format!(
                    "Not Acceptable: Accept must include application/json or text/event-stream (got {})",
                    headers.accept.unwrap_or("")
                ),
            ),
        )),
    }
}

/// The revision named by MCP-Protocol-Version, or the transport's default when absent.
/// An unknown version is refused with 400, answering the request's `id` when
/// the body has a readable one.
pub fn request_revision(headers: &Headers, body: &[u8]) -> Result<&'static Revision, Response> {
    match headers.protocol_version {
        None => Ok(revision::HTTP_DEFAULT),
        Some(v) => revision::find(v.trim()).ok_or_else(|| {
            let mut e = crate::envelope::unsupported_version(v.trim());
            e.message = format!(
                "Bad Request: unsupported MCP-Protocol-Version {v:?} (supported: {})",
                revision::supported_list()
            );
            Response::json(
                400,
                jsonrpc::error_message(jsonrpc::request_id(body).as_deref(), &e),
            )
        }),
    }
}

/// How many codings `choose_encoding` tells apart (those after are ignored).
pub const MAX_CODINGS: usize = 8;

/// Content-coding negotiation for a response body: the index in `available`
/// (best first) of the coding the client's Accept-Encoding value rates
/// highest, ties going to the earlier one; None when it takes none of them
/// (q=0 refuses a coding, `*` stands for any not named, a later mention of a
/// coding overrides an earlier one, an unreadable q counts as 0).
pub fn choose_encoding<S: AsRef<str>>(accept_encoding: &str, available: &[S]) -> Option<usize> {
    let mut rated: [Option<f64>; MAX_CODINGS] = [None; MAX_CODINGS];
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let mut q = 1.0;
        for param in parts {
            let (name, number) = param.split_once('=').unwrap_or((param, ""));
            if name.trim().eq_ignore_ascii_case("q") {
                q = number.trim().parse::<f64>().unwrap_or(0.0);
            }
        }
        if coding == "*" {
            any = Some(q);
        } else if let Some(i) = available
            .iter()
            .take(MAX_CODINGS)
            .position(|a| a.as_ref().eq_ignore_ascii_case(coding))
        {
            rated[i] = Some(q);
        }
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, q) in rated.iter().take(available.len()).enumerate() {
        let q = q.or(any).unwrap_or(0.0);
        if q > 0.0 && best.map_or(true, |(_, b)| q > b) {
            best = Some((i, q));
        }
    }
    best.map(|(i, _)| i)
}

/// Whether a Content-Length value declares more than `limit` bytes. Only a
/// value of ASCII digits declares a length; one too big for u64 declares more.
pub fn declares_more_than(content_length: &[u8], limit: u64) -> bool {
    if content_length.is_empty() || !content_length.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut n: u64 = 0;
    for d in content_length {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) => n,
            None => return true,
        };
    }
    n > limit
}

/// Whether the Accept item `t` (a media range) takes `wanted`.
fn covers(t: &str, wanted: &str) -> bool {
    t.eq_ignore_ascii_case(wanted)
        || t == "*/*"
        || (t.ends_with("/*")
            && wanted.len() > t.len() - 1
            && wanted[..t.len() - 1].eq_ignore_ascii_case(&t[..t.len() - 1]))
}

/// `type/subtype` of a media range, without parameters (compare it case-insensitively).
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or("").trim()
}

#[cfg(test)]
mod length_tests {
    use super::declares_more_than;

    #[test]
    fn only_digits_declare_a_length() {
        assert!(declares_more_than(b"1001", 1000));
        assert!(!declares_more_than(b"1000", 1000));
        assert!(!declares_more_than(b"0", 0));
        assert!(
            declares_more_than(b"99999999999999999999999", 1000),
            "beyond u64 is more than any limit"
        );
        for value in [
            &b""[..],
            b" 5000",
            b"5000 ",
            b"-5000",
            b"5e9",
            b"0x5000",
            b"\xd9\xa3",
        ] {
            assert!(!declares_more_than(value, 10), "{value:?}");
        }
    }
}

#[cfg(test)]
mod encoding_tests {
    use super::choose_encoding;

    const HERE: [&str; 3] = ["zstd", "br", "gzip"];

    #[test]
    fn the_best_rated_coding_we_have() {
        assert_eq!(choose_encoding("gzip, deflate", &HERE), Some(2));
        assert_eq!(
            choose_encoding("gzip, deflate, br, zstd", &HERE),
            Some(0),
            "ties go to the better codec"
        );
        assert_eq!(choose_encoding("gzip;q=1.0, br;q=0.5", &HERE), Some(2));
        assert_eq!(choose_encoding(" GZIP ; Q=0.8 , identity", &HERE), Some(2));
        assert_eq!(choose_encoding("*", &HERE), Some(0));
        assert_eq!(choose_encoding("*;q=0.1, gzip;q=0.5", &HERE), Some(2));
        assert_eq!(
            choose_encoding("br;q=0.2, br;q=0.9, gzip;q=0.5", &HERE),
            Some(1),
            "the later mention counts"
        );
    }

    #[test]
    fn none_when_nothing_we_have_is_taken() {
        for value in [
            "",
            "identity",
            "deflate",
            "gzip;q=0",
            "*;q=0",
            "gzip;q=zero",
            "gzip;q=0, *;q=0",
            "compress, x-gzip",
        ] {
            assert_eq!(choose_encoding(value, &HERE), None, "{value:?}");
        }
        assert_eq!(choose_encoding("br", &["gzip"]), None);
        assert_eq!(choose_encoding::<&str>("*", &[]), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<'a>(ct: Option<&'a str>, accept: Option<&'a str>) -> Headers<'a> {
        Headers {
            content_type: ct,
            accept,
            ..Default::default()
        }
    }

    #[test]
    fn content_type_must_be_json() {
        assert_eq!(
            negotiate(&h(Some("text/plain"), None), true)
                .unwrap_err()
                .status,
            415
        );
        assert_eq!(negotiate(&h(None, None), true).unwrap_err().status, 415);
        assert!(negotiate(&h(Some("Application/JSON; charset=utf-8"), None), true).is_ok());
    }

    #[test]
    fn accept_picks_the_format() {
        let both = Some("application/json, text/event-stream");
        assert_eq!(
            negotiate(&h(Some("application/json"), both), true).unwrap(),
            Format::Json
        );
        assert_eq!(
            negotiate(&h(Some("application/json"), both), false).unwrap(),
            Format::EventStream
        );
        // Spelled otherwise, the same list is parsed to the same answers.
        let spaced = Some("text/event-stream ,application/json");
        assert_eq!(
            negotiate(&h(Some("application/json; charset=utf-8"), spaced), true).unwrap(),
            Format::Json
        );
        assert_eq!(
            negotiate(&h(Some("application/json; charset=utf-8"), spaced), false).unwrap(),
            Format::EventStream
        );
        assert_eq!(
            negotiate(
                &h(Some("application/json"), Some("application/json")),
                false
            )
            .unwrap(),
            Format::Json
        );
        assert_eq!(
            negotiate(
                &h(Some("application/json"), Some("text/event-stream")),
                true
            )
            .unwrap(),
            Format::EventStream
        );
        assert_eq!(
            negotiate(&h(Some("application/json"), Some("*/*")), false).unwrap(),
            Format::EventStream
        );
        assert_eq!(
            negotiate(&h(Some("application/json"), Some("text/html")), true)
                .unwrap_err()
                .status,
            406
        );
    }

    #[test]
    fn protocol_version_header() {
        let mut headers = h(None, None);
        assert_eq!(
            request_revision(&headers, b"").unwrap().version,
            "2025-03-26"
        );
        headers.protocol_version = Some("2025-06-18");
        assert_eq!(
            request_revision(&headers, b"").unwrap().version,
            "2025-06-18"
        );
        headers.protocol_version = Some("banana");
        let r = request_revision(&headers, b"").unwrap_err();
        assert_eq!(r.status, 400);
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains("banana") && body.contains("\"id\":null"));
        let body = br#"{"jsonrpc":"2.0","id":"r-7","method":"tools/list"}"#;
        let r = request_revision(&headers, body).unwrap_err();
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("\"id\":\"r-7\""));
    }
}
