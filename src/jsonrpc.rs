//! JSON-RPC 2.0 framing: parsing posted bodies into messages and writing
//! responses. Payloads that belong to user code (tool arguments, results)
//! stay raw JSON text and are never re-parsed here.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;

pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;
pub const METHOD_NOT_FOUND: i32 = -32601;
pub const INVALID_PARAMS: i32 = -32602;
pub const INTERNAL_ERROR: i32 = -32603;
/// MCP: resources/read for a URI that no resource or template matches.
pub const RESOURCE_NOT_FOUND: i32 = -32002;
/// 2026-07-28: HTTP headers disagree with the body, or required ones are missing.
pub const HEADER_MISMATCH: i32 = -32020;
/// 2026-07-28: the request lacks a client capability the server needs.
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i32 = -32021;
/// 2026-07-28: the request's protocol version is not one the server speaks.
pub const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;
/// A call refused by a rate limit (django-mcp's code, in the range JSON-RPC
/// leaves to implementations); `data.retryAfter` holds the seconds to wait.
pub const RATE_LIMITED: i32 = -32005;
/// Answer for a request that was cancelled before it finished.
pub const REQUEST_CANCELLED: i32 = -32800;

/// A JSON-RPC error, carrying the code and a message that names the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    /// Raw JSON for the optional `data` member.
    pub data: Option<String>,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: String) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
}

/// One message as posted by a client, borrowing from the request body.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    #[serde(borrow, default)]
    pub jsonrpc: Option<Cow<'a, str>>,
    /// `Some("null")` for an explicit null id, `None` when absent.
    #[serde(borrow, default, deserialize_with = "present")]
    pub id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub params: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub error: Option<&'a RawValue>,
}

/// Keeps an explicit `null` as a present raw value instead of folding it into `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// What one posted message asks for.
#[derive(Debug)]
pub enum Message<'a> {
    Request {
        id: &'a RawValue,
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    Notification {
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    /// A client's answer to a server-to-client request: its `result`, or its `error`.
    Response {
        id: &'a RawValue,
        outcome: Result<&'a RawValue, &'a RawValue>,
    },
    /// Not a valid JSON-RPC message; answered with this error (and the id when one could be read).
    Invalid {
        id: Option<&'a RawValue>,
        error: RpcError,
    },
}

/// The posted body: one message or a batch.
pub enum Body<'a> {
    Single(Message<'a>),
    Batch(Vec<Message<'a>>),
}

pub fn parse_body(body: &[u8]) -> Result<Body<'_>, RpcError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| RpcError::new(PARSE_ERROR, "Parse error: request body is not UTF-8"))?;
    let first = text.trim_start().as_bytes().first().copied();
    match first {
        None => Err(RpcError::new(
            PARSE_ERROR,
            "Parse error: request body is empty",
        )),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(parse_error)?;
            check_portable(text)?;
            if items.is_empty() {
                return Err(RpcError::new(
                    INVALID_REQUEST,
                    "Invalid Request: empty batch",
                ));
            }
            Ok(Body::Batch(
                items
                    .into_iter()
                    .map(|raw| classify_raw(raw.get()))
                    .collect(),
            ))
        }
        Some(_) => match serde_json::from_str::<Envelope>(text) {
            Ok(envelope) => {
                check_portable(text)?;
                Ok(Body::Single(classify(envelope)))
            }
            Err(_) => {
                // Syntax errors are parse errors; valid JSON of the wrong shape is an invalid request.
                let _: &RawValue = serde_json::from_str(text).map_err(parse_error)?;
                check_portable(text)?;
                Ok(Body::Single(classify_raw(text)))
            }
        },
    }
}

/// The most digits an integer may have. Python refuses to parse longer ones
/// from text (`sys.get_int_max_str_digits()`, 4300 by default since the
/// quadratic-time fix for CVE-2020-10735), so `json.loads` of a payload
/// holding one raises; the engine refuses such a body first.
pub const MAX_INTEGER_DIGITS: usize = 4300;

/// Refuses valid JSON that Python cannot take in or give back: an integer of
/// more than [`MAX_INTEGER_DIGITS`] digits, or a string with a lone surrogate
/// escape (`"\ud800"`: `json.loads` keeps it, but it has no UTF-8 form, so
/// the function's result or the answer holding it could not be encoded).
/// RFC 8259 leaves both to the receiver (sections 6 and 8.2); I-JSON (RFC
/// 7493) forbids the surrogates. `text` is syntactically valid JSON.
fn check_portable(text: &str) -> Result<(), RpcError> {
    let bytes = text.as_bytes();
    let may_hold_long_integer = bytes.len() > MAX_INTEGER_DIGITS;
    if !may_hold_long_integer && !text.contains("\\u") {
        return Ok(()); // the usual body: nothing to look at
    }
    let lone = || {
        RpcError::new(
            PARSE_ERROR,
            "Parse error: a string holds a lone surrogate escape (\\ud800-\\udfff without its pair), which is not Unicode text",
        )
    };
    let hex4 = |at: usize| -> Option<u32> {
        let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let high = 0xD800..0xDC00;
    let low = 0xDC00..0xE000;
    let mut in_string = false;
    // Digits of the integer part of the number being read; None outside one,
    // or past its integer part (a fraction or an exponent: Python parses
    // those as floats, whatever their length).
    let mut integer_digits: Option<usize> = None;
    let mut in_number = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'"' => in_string = false,
                b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                    let unit = hex4(i + 2).unwrap_or(0);
                    if low.contains(&unit) {
                        return Err(lone());
                    }
                    if high.contains(&unit) {
                        let paired = bytes.get(i + 6..i + 8) == Some(&b"\\u"[..])
                            && hex4(i + 8).is_some_and(|next| low.contains(&next));
                        if !paired {
                            return Err(lone());
                        }
                        i += 12;
                        continue;
                    }
                    i += 6;
                    continue;
                }
                b'\\' => {
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'0'..=b'9' => {
                if !in_number {
                    in_number = true;
                    integer_digits = Some(0);
                }
                if let Some(n) = integer_digits.as_mut() {
                    *n += 1;
                }
            }
            b'-' if !in_number => {
                in_number = true;
                integer_digits = Some(0);
            }
            b'.' | b'e' | b'E' | b'+' | b'-' if in_number => integer_digits = None,
            _ => {
                if integer_digits.is_some_and(|n| n > MAX_INTEGER_DIGITS) {
                    return Err(too_long());
                }
                in_number = false;
                integer_digits = None;
                in_string = b == b'"';
            }
        }
        i += 1;
    }
    if integer_digits.is_some_and(|n| n > MAX_INTEGER_DIGITS) {
        return Err(too_long());
    }
    Ok(())
}

fn too_long() -> RpcError {
    RpcError::new(
        PARSE_ERROR,
        format!("Parse error: an integer has more than {MAX_INTEGER_DIGITS} digits"),
    )
}

fn parse_error(e: serde_json::Error) -> RpcError {
    RpcError::new(PARSE_ERROR, format!("Parse error: {e}"))
}

fn classify_raw(text: &str) -> Message<'_> {
    match serde_json::from_str::<Envelope>(text) {
        Ok(envelope) => classify(envelope),
        Err(_) => Message::Invalid {
            id: None,
            error: RpcError::new(
                INVALID_REQUEST,
                "Invalid Request: a message must be a JSON object",
            ),
        },
    }
}

fn classify(env: Envelope<'_>) -> Message<'_> {
    let invalid = |id, msg: &str| Message::Invalid {
        id,
        error: RpcError::new(INVALID_REQUEST, format!("Invalid Request: {msg}")),
    };
    if env.jsonrpc.as_deref() != Some("2.0") {
        return invalid(
            env.id.filter(|id| valid_id(id)),
            "\"jsonrpc\" must be \"2.0\"",
        );
    }
    if let Some(id) = env.id {
        if !valid_id(id) {
            return invalid(None, "\"id\" must be a string or an integer");
        }
    }
    if let Some(params) = env.params {
        if !params.get().starts_with(['{', '[']) {
            return invalid(env.id, "\"params\" must be an object or an array");
        }
    }
    match (env.id, env.method) {
        (Some(id), Some(method)) => Message::Request {
            id,
            method,
            params: env.params,
        },
        (None, Some(method)) => Message::Notification {
            method,
            params: env.params,
        },
        (Some(id), None) => match (env.result, env.error) {
            (Some(result), None) => Message::Response {
                id,
                outcome: Ok(result),
            },
            (None, Some(error)) => Message::Response {
                id,
                outcome: Err(error),
            },
            (Some(_), Some(_)) => {
                invalid(Some(id), "a response has \"result\" or \"error\", not both")
            }
            (None, None) => invalid(Some(id), "\"method\" is missing"),
        },
        (id, None) => invalid(id, "\"method\" is missing"),
    }
}

/// MCP ids are strings or integers; JSON-RPC's null id is not allowed.
fn valid_id(id: &RawValue) -> bool {
    let t = id.get();
    t.starts_with('"') || (t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !t.is_empty())
}

/// `{"jsonrpc":"2.0","id":<id>,"result":<result>}` with both parts given as raw JSON.
pub fn result_message(id: &str, result: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + id.len() + result.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b",\"result\":");
    out.extend_from_slice(result.as_bytes());
    out.push(b'}');
    out
}

/// The id of the request in `body` (raw JSON), when it is one readable request;
/// for answering errors found before the body is otherwise read.
pub fn request_id(body: &[u8]) -> Option<String> {
    match parse_body(body) {
        Ok(Body::Single(Message::Request { id, .. })) => Some(id.get().to_string()),
        _ => None,
    }
}

pub fn error_message(id: Option<&str>, error: &RpcError) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + error.message.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.unwrap_or("null").as_bytes());
    out.extend_from_slice(b",\"error\":{\"code\":");
    out.extend_from_slice(error.code.to_string().as_bytes());
    out.extend_from_slice(b",\"message\":");
    serde_json::to_writer(&mut out, &error.message).expect("writing to a Vec cannot fail");
    if let Some(data) = &error.data {
        out.extend_from_slice(b",\"data\":");
        out.extend_from_slice(data.as_bytes());
    }
    out.extend_from_slice(b"}}");
    out
}

/// `{"jsonrpc":"2.0","method":<method>,"params":<params>}` with raw JSON params.
pub fn notification_message(method: &str, params: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + method.len() + params.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"method\":");
    serde_json::to_writer(&mut out, method).expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"params\":");
    out.extend_from_slice(params.as_bytes());
    out.push(b'}');
    out
}

/// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params>}`: a server-to-client request.
pub fn request_message(id: &str, method: &str, params: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + id.len() + method.len() + params.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b",\"method\":");
    serde_json::to_writer(&mut out, method).expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"params\":");
    out.extend_from_slice(params.as_bytes());
    out.push(b'}');
    out
}

/// Joins finished messages into one body: the message itself, or a JSON array for a batch.
pub fn join(messages: &[Vec<u8>], batch: bool) -> Vec<u8> {
    if !batch && messages.len() == 1 {
        return messages[0].clone();
    }
    let mut out = Vec::with_capacity(2 + messages.iter().map(|m| m.len() + 1).sum::<usize>());
    out.push(b'[');
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(m);
    }
    out.push(b']');
    out
}

/// Whether a response message written by this crate (`{"jsonrpc":"2.0","id":
/// ...,"result":...}` or `...,"error":...}`) is a result, without parsing
/// it: its first `"result":` is the top-level key unless an `"error":` comes
/// before it. An id cannot hold either (a quote inside a JSON string is
/// escaped), and only the value after the top-level key can. Only the bytes
/// up to the first `"result":` are searched, so a large result costs nothing.
pub fn is_result(message: &[u8]) -> bool {
    let find =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    match find(message, b"\"result\":") {
        Some(at) => find(&message[..at], b"\"error\":").is_none(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_told_from_errors_by_their_top_level_key() {
        assert!(is_result(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#));
        assert!(is_result(
            br#"{"jsonrpc":"2.0","id":"a\"error\":","result":{"error":{"code":1}}}"#
        ));
        assert!(!is_result(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"\"result\":"}}"#
        ));
        assert!(!is_result(
            br#"{"jsonrpc":"2.0","id":"\"result\":","error":{"code":-32602,"message":"x"}}"#
        ));
        assert!(!is_result(b""));
    }

    fn single(body: &str) -> Message<'_> {
        match parse_body(body.as_bytes()).unwrap() {
            Body::Single(m) => m,
            Body::Batch(_) => panic!("expected a single message"),
        }
    }

    #[test]
    fn request_notification_and_response_are_told_apart() {
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Message::Request { .. }
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Message::Notification { .. }
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#),
            Message::Response { .. }
        ));
    }

    #[test]
    fn malformed_json_is_a_parse_error() {
        assert_eq!(
            parse_body(b"{\"jsonrpc\":").err().unwrap().code,
            PARSE_ERROR
        );
        assert_eq!(parse_body(b"").err().unwrap().code, PARSE_ERROR);
        assert_eq!(parse_body(b"\xff").err().unwrap().code, PARSE_ERROR);
    }

    #[test]
    fn what_python_cannot_represent_is_a_parse_error() {
        let long = "9".repeat(MAX_INTEGER_DIGITS + 1);
        for body in [
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"n":{long}}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"n":-{long}}}}}"#),
            format!(r#"[{{"jsonrpc":"2.0","id":1,"method":"x","params":[{long}]}}]"#),
            long.to_string(),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"\ud800"}}"#.to_string(),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"a\udfffb"}}"#.to_string(),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"\ud83d\u0041":1}}"#.to_string(),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"\ud83d"}}"#.to_string(),
        ] {
            assert_eq!(
                parse_body(body.as_bytes()).err().map(|e| e.code),
                Some(PARSE_ERROR),
                "{}",
                &body[..body.len().min(80)]
            );
        }
        let fine = "9".repeat(MAX_INTEGER_DIGITS);
        let long_string = "7".repeat(MAX_INTEGER_DIGITS * 2);
        for body in [
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"n":{fine}}}}}"#),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"f":{long}.5,"g":1e{long},"h":0.{long}}}}}"#
            ),
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"s":"{long_string}"}}}}"#),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"\ud83d\ude00 \\ud800 \u00e9"}}"#
                .to_string(),
        ] {
            assert!(
                parse_body(body.as_bytes()).is_ok(),
                "{}",
                &body[..body.len().min(80)]
            );
        }
    }

    #[test]
    fn wrong_shapes_are_invalid_requests() {
        for body in [
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":3}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"42"#,
        ] {
            match single(body) {
                Message::Invalid { error, .. } => assert_eq!(error.code, INVALID_REQUEST, "{body}"),
                other => panic!("{body} gave {other:?}"),
            }
        }
    }

    #[test]
    fn batches_keep_their_order() {
        let Ok(Body::Batch(items)) = parse_body(
            br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]"#,
        ) else {
            panic!("expected a batch")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1], Message::Notification { .. }));
        assert_eq!(parse_body(b"[]").err().unwrap().code, INVALID_REQUEST);
    }

    #[test]
    fn error_messages_escape_their_text() {
        let msg = error_message(
            Some("7"),
            &RpcError::new(METHOD_NOT_FOUND, "Method not found: \"x\""),
        );
        let v: serde_json::Value = serde_json::from_slice(&msg).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["error"]["code"], -32601);
        assert_eq!(v["error"]["message"], "Method not found: \"x\"");
    }

    #[test]
    fn join_makes_an_array_only_for_batches() {
        let m = vec![b"{}".to_vec()];
        assert_eq!(join(&m, false), b"{}");
        assert_eq!(join(&m, true), b"[{}]");
    }
}
