//! The per-request envelope of revision 2026-07-28: with no initialize, each
//! request names its protocol version and client capabilities in
//! `params._meta`, and HTTP headers mirror the routing fields of the body.

use crate::jsonrpc::{RpcError, HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION};
use crate::revision::{self, Revision};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
pub const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// The envelope fields of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEnvelope {
    pub revision: &'static Revision,
    /// Raw JSON of the client's capabilities for this request.
    pub client_capabilities: String,
    /// Raw JSON of the client's Implementation, when sent.
    pub client_info: Option<String>,
    /// The lowest log level the client wants notifications for; none means no logs.
    pub log_level: Option<String>,
}

/// The params fields the envelope check reads. `M` is `&RawValue` when
/// `_meta` is read on its own (to name what is wrong with it), else
/// `EnvelopeMeta`, read in the same pass.
#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
struct EnvelopeParams<'a, M> {
    #[serde(rename = "_meta", default = "none")]
    meta: Option<M>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "taskId", default)]
    task_id: Option<Cow<'a, str>>,
}

fn none<M>() -> Option<M> {
    None
}

#[derive(Deserialize)]
struct EnvelopeMeta<'a> {
    #[serde(borrow, rename = "io.modelcontextprotocol/protocolVersion", default)]
    protocol_version: Option<&'a RawValue>,
    #[serde(borrow, rename = "io.modelcontextprotocol/clientCapabilities", default)]
    client_capabilities: Option<&'a RawValue>,
    #[serde(borrow, rename = "io.modelcontextprotocol/clientInfo", default)]
    client_info: Option<&'a RawValue>,
    #[serde(borrow, rename = "io.modelcontextprotocol/logLevel", default)]
    log_level: Option<Cow<'a, str>>,
}

/// The HTTP headers that mirror the body in this revision.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoutingHeaders<'a> {
    pub protocol_version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Methods whose target is mirrored in `Mcp-Name`, and the params field it mirrors.
fn name_field(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    }
}

/// `=?base64?...?=` carries header values that are not plain printable ASCII.
pub fn decode_header_value(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        None => Some(value.to_string()),
        Some(payload) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()?;
            String::from_utf8(bytes).ok()
        }
    }
}

fn mismatch(what: &str) -> RpcError {
    RpcError::new(HEADER_MISMATCH, format!("Header mismatch: {what}"))
}

/// The unsupported-version error, naming what we do support.
pub fn unsupported_version(requested: &str) -> RpcError {
    RpcError::new(
        UNSUPPORTED_PROTOCOL_VERSION,
        format!("Unsupported protocol version: {requested}"),
    )
    .with_data(format!(
        "{{\"supported\":{},\"requested\":{}}}",
        revision::supported_json(),
        serde_json::to_string(requested).expect("strings serialise")
    ))
}

/// Validates one request's envelope against its headers, in the order the
/// spec's ladder gives: the `_meta` pair, then the headers, then the version.
pub fn check(
    method: &str,
    params: Option<&RawValue>,
    headers: RoutingHeaders,
) -> Result<RequestEnvelope, RpcError> {
    let params_text = params.map(RawValue::get).unwrap_or("{}");
    // A well-formed `_meta` is read in the same pass as params; anything else
    // is read again in two steps, to say which of them is wrong.
    let EnvelopeParams {
        meta,
        name,
        uri,
        task_id,
    } = match serde_json::from_str::<EnvelopeParams<EnvelopeMeta>>(params_text) {
        Ok(read @ EnvelopeParams { meta: Some(_), .. }) => read,
        _ => read_in_two_steps(params_text)?,
    };
    let meta = meta.expect("read above");
    let missing: Vec<&str> = [
        (PROTOCOL_VERSION_KEY, meta.protocol_version.is_none()),
        (CLIENT_CAPABILITIES_KEY, meta.client_capabilities.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, absent)| absent.then_some(k))
    .collect();
    if !missing.is_empty() {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!(
                "Invalid params: params._meta is missing {}",
                missing.join(", ")
            ),
        ));
    }
    let version: Option<String> = meta
        .protocol_version
        .and_then(|v| serde_json::from_str(v.get()).ok());
    if headers.protocol_version.map(str::trim) != version.as_deref() || version.is_none() {
        return Err(mismatch(
            "MCP-Protocol-Version does not match params._meta's protocol version",
        ));
    }
    if headers.method != Some(method) {
        return Err(mismatch("Mcp-Method does not match the request's method"));
    }
    if let Some(field) = name_field(method) {
        let body_value = match field {
            "name" => name.as_deref(),
            "uri" => uri.as_deref(),
            _ => task_id.as_deref(),
        };
        if let Some(value) = body_value {
            if headers.name.and_then(decode_header_value).as_deref() != Some(value) {
                return Err(mismatch(&format!("Mcp-Name does not match params.{field}")));
            }
        }
    }
    let version = version.expect("checked above");
    let revision = revision::find(&version)
        .filter(|r| !r.handshake)
        .ok_or_else(|| unsupported_version(&version))?;
    Ok(RequestEnvelope {
        revision,
        client_capabilities: meta
            .client_capabilities
            .expect("checked above")
            .get()
            .to_string(),
        client_info: meta.client_info.map(|c| c.get().to_string()),
        log_level: meta.log_level.map(Cow::into_owned),
    })
}

/// Params whose `_meta` did not read in one pass: params, then `_meta`, each
/// with the error naming it.
fn read_in_two_steps(params_text: &str) -> Result<EnvelopeParams<'_, EnvelopeMeta<'_>>, RpcError> {
    let body: EnvelopeParams<&RawValue> = serde_json::from_str(params_text).map_err(|_| {
        RpcError::new(
            INVALID_PARAMS,
            "Invalid params: params must be an object carrying _meta",
        )
    })?;
    let meta: EnvelopeMeta = body
        .meta
        .and_then(|m| serde_json::from_str(m.get()).ok())
        .ok_or_else(|| RpcError::new(INVALID_PARAMS, format!("Invalid params: params._meta must be an object carrying {PROTOCOL_VERSION_KEY:?} and {CLIENT_CAPABILITIES_KEY:?}")))?;
    Ok(EnvelopeParams {
        meta: Some(meta),
        name: body.name,
        uri: body.uri,
        task_id: body.task_id,
    })
}

/// Adds `resultType` and the `serverInfo` stamp to a result object (raw JSON).
pub fn stamp(result: &str, result_type: &str, server_info: &str) -> String {
    let mut out = Vec::with_capacity(result.len() + server_info.len() + 80);
    write_stamped(&mut out, result, result_type, server_info);
    String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
}

/// The JSON-RPC response carrying the stamped `result`, written in one buffer.
pub fn stamped_result_message(
    id: &str,
    result: &str,
    result_type: &str,
    server_info: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(112 + id.len() + result.len() + server_info.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b",\"result\":");
    write_stamped(&mut out, result, result_type, server_info);
    out.push(b'}');
    out
}

fn write_stamped(out: &mut Vec<u8>, result: &str, result_type: &str, server_info: &str) {
    let rest = result
        .trim_start()
        .strip_prefix('{')
        .unwrap_or("}")
        .trim_start();
    out.extend_from_slice(b"{\"resultType\":\"");
    out.extend_from_slice(result_type.as_bytes());
    out.extend_from_slice(b"\",\"_meta\":{\"");
    out.extend_from_slice(SERVER_INFO_KEY.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(server_info.as_bytes());
    out.push(b'}');
    if !rest.starts_with('}') {
        out.push(b',');
    }
    out.extend_from_slice(rest.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    const META: &str = r#"{"name":"add","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"info"}}"#;

    fn headers<'a>(version: &'a str, method: &'a str, name: Option<&'a str>) -> RoutingHeaders<'a> {
        RoutingHeaders {
            protocol_version: Some(version),
            method: Some(method),
            name,
        }
    }

    #[test]
    fn a_complete_envelope_passes() {
        let e = check(
            "tools/call",
            Some(&raw(META)),
            headers("2026-07-28", "tools/call", Some("add")),
        )
        .unwrap();
        assert_eq!(e.revision.version, "2026-07-28");
        assert_eq!(e.log_level.as_deref(), Some("info"));
        assert_eq!(e.client_capabilities, "{}");
    }

    #[test]
    fn missing_meta_is_invalid_params() {
        let e = check(
            "tools/list",
            Some(&raw("{}")),
            headers("2026-07-28", "tools/list", None),
        )
        .unwrap_err();
        assert_eq!(e.code, INVALID_PARAMS);
        let e = check(
            "tools/list",
            Some(&raw(
                r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#,
            )),
            headers("2026-07-28", "tools/list", None),
        )
        .unwrap_err();
        assert!(e.message.contains("clientCapabilities"));
    }

    #[test]
    fn headers_must_mirror_the_body() {
        let p = raw(META);
        assert_eq!(
            check(
                "tools/call",
                Some(&p),
                headers("2026-07-28", "tools/list", Some("add"))
            )
            .unwrap_err()
            .code,
            HEADER_MISMATCH
        );
        assert_eq!(
            check(
                "tools/call",
                Some(&p),
                headers("2026-07-28", "tools/call", Some("other"))
            )
            .unwrap_err()
            .code,
            HEADER_MISMATCH
        );
        assert_eq!(
            check(
                "tools/call",
                Some(&p),
                headers("2026-07-28", "tools/call", None)
            )
            .unwrap_err()
            .code,
            HEADER_MISMATCH
        );
        assert_eq!(
            check(
                "tools/call",
                Some(&p),
                headers("2025-11-25", "tools/call", Some("add"))
            )
            .unwrap_err()
            .code,
            HEADER_MISMATCH
        );
        // base64-wrapped names decode before comparing
        assert!(check(
            "tools/call",
            Some(&p),
            headers("2026-07-28", "tools/call", Some("=?base64?YWRk?="))
        )
        .is_ok());
    }

    #[test]
    fn malformed_envelopes_are_read_again_to_name_the_problem() {
        let h = headers("2026-07-28", "tools/list", None);
        let version_number = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":20260728,"io.modelcontextprotocol/clientCapabilities":{}}}"#,
        );
        assert_eq!(
            check("tools/list", Some(&version_number), h)
                .unwrap_err()
                .code,
            HEADER_MISMATCH
        );
        let level_number = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":3}}"#,
        );
        let e = check("tools/list", Some(&level_number), h).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMS);
        assert!(
            e.message.contains("params._meta must be an object"),
            "{}",
            e.message
        );
        let not_object = raw(r#"{"_meta":[]}"#);
        assert_eq!(
            check("tools/list", Some(&not_object), h).unwrap_err().code,
            INVALID_PARAMS
        );
        let missing_both = raw(r#"{"_meta":{}}"#);
        let e = check("tools/list", Some(&missing_both), h).unwrap_err();
        assert!(
            e.message.contains("protocolVersion") && e.message.contains("clientCapabilities"),
            "{}",
            e.message
        );
        let name_number = raw(
            r#"{"name":1,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}"#,
        );
        assert_eq!(
            check(
                "tools/call",
                Some(&name_number),
                headers("2026-07-28", "tools/call", Some("1"))
            )
            .unwrap_err()
            .code,
            INVALID_PARAMS
        );
        // escaped text reads the same in one pass
        let escaped = raw(
            r#"{"name":"a\u0064d","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"x":1},"io.modelcontextprotocol/clientInfo":{"name":"c"}}}"#,
        );
        let e = check(
            "tools/call",
            Some(&escaped),
            headers("2026-07-28", "tools/call", Some("add")),
        )
        .unwrap();
        assert_eq!(
            (e.client_capabilities.as_str(), e.client_info.as_deref()),
            (r#"{"x":1}"#, Some(r#"{"name":"c"}"#))
        );
    }

    #[test]
    fn unknown_versions_name_the_supported_ones() {
        let body = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}"#,
        );
        let e = check(
            "tools/list",
            Some(&body),
            headers("2099-01-01", "tools/list", None),
        )
        .unwrap_err();
        assert_eq!(e.code, UNSUPPORTED_PROTOCOL_VERSION);
        let data: serde_json::Value = serde_json::from_str(e.data.as_deref().unwrap()).unwrap();
        assert_eq!(data["requested"], "2099-01-01");
        assert!(data["supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "2026-07-28"));
    }

    #[test]
    fn stamping_keeps_the_result() {
        let s = stamp(
            r#"{"tools":[]}"#,
            "complete",
            r#"{"name":"x","version":"1"}"#,
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["resultType"], "complete");
        assert_eq!(v["_meta"][SERVER_INFO_KEY]["name"], "x");
        assert_eq!(v["tools"], serde_json::json!([]));
        let empty: serde_json::Value =
            serde_json::from_str(&stamp("{}", "complete", "{}")).unwrap();
        assert_eq!(empty["resultType"], "complete");
        let m: serde_json::Value = serde_json::from_slice(&stamped_result_message(
            "7",
            r#"{"content":[]}"#,
            "input_required",
            r#"{"name":"x","version":"1"}"#,
        ))
        .unwrap();
        assert_eq!(
            (m["id"].clone(), m["result"]["resultType"].clone()),
            (serde_json::json!(7), serde_json::json!("input_required"))
        );
        assert_eq!(m["result"]["content"], serde_json::json!([]));
        assert_eq!(m["result"]["_meta"][SERVER_INFO_KEY]["version"], "1");
    }
}
