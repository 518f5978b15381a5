//! Property-based fuzzing of the engine's entry points: whatever body, headers
//! and path a client sends, the engine never panics, never answers 5xx, and
//! hands the Python layer only JSON that Python can hold. Bounded to a few
//! seconds (`PROPTEST_CASES` raises the number of cases for a longer run).

use django_mcp_core::catalog::{Catalog, Kind};
use django_mcp_core::engine::{Engine, Options, Outcome, ServerInfo};
use django_mcp_core::http::Headers;
use django_mcp_core::jsonrpc;
use django_mcp_core::revision;
use django_mcp_core::route::Route;
use django_mcp_core::security::HostPolicy;
use django_mcp_core::session::Lookup;
use proptest::prelude::*;

fn engine(json_response: bool) -> Engine {
    let mut catalog = Catalog::default();
    for (i, (kind, name, definition)) in [
        (
            Kind::Tool,
            "add",
            r#"{"name":"add","inputSchema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}"#,
        ),
        (
            Kind::Tool,
            "echo",
            r#"{"name":"echo","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}}"#,
        ),
        (
            Kind::Prompt,
            "greet",
            r#"{"name":"greet","arguments":[{"name":"name","required":true}]}"#,
        ),
        (
            Kind::Resource,
            "test://static",
            r#"{"uri":"test://static","name":"static"}"#,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        catalog.register(kind, name, i, definition).unwrap();
    }
    let mut engine = Engine::new(
        ServerInfo {
            name: "fuzz".into(),
            title: Some("Fuzz".into()),
            version: "1".into(),
            instructions: None,
        },
        Options {
            json_response,
            hosts: HostPolicy {
                enabled: true,
                allowed_hosts: vec!["127.0.0.1".into(), ".example.org".into()],
                allowed_origins: vec![],
            },
            page_size: 2,
            ..Default::default()
        },
    );
    engine.catalog = catalog;
    engine
}

const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "completion/complete",
    "logging/setLevel",
    "subscriptions/listen",
    "server/discover",
    "notifications/initialized",
    "notifications/cancelled",
    "nonsense",
];

/// JSON values, with what breaks careless parsers mixed in: huge integers,
/// surrogate escapes (lone and paired), deep nesting, odd keys.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        // Past Python's 4300 digits (and f64's range, so serde_json refuses them too).
        (4301usize..4310).prop_map(|n| "7".repeat(n)),
        // Long, but floats: Python takes them.
        (4290usize..4310).prop_map(|n| format!("-0.{}e3", "1".repeat(n))),
        "[a-z \\\\\"]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        prop_oneof![
            Just(r#""\ud800""#),
            Just(r#""\udfff x""#),
            Just(r#""\ud83d\ude00""#),
            Just(r#""\\ud800""#),
            Just(r#""\u0000""#),
        ]
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("name"),
                        Just("arguments"),
                        Just("uri"),
                        Just("_meta"),
                        Just("a"),
                        Just("text"),
                        Just("ref"),
                        Just("argument"),
                        Just("protocolVersion"),
                        Just("requestState"),
                        Just("inputResponses"),
                        Just("requestId"),
                        Just("io.modelcontextprotocol/protocolVersion"),
                        Just("io.modelcontextprotocol/clientCapabilities"),
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|fields| {
                let body: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

fn message() -> impl Strategy<Value = String> {
    (
        prop::sample::select(METHODS),
        prop_oneof![
            Just(None),
            any::<i32>().prop_map(|n| Some(n.to_string())),
            Just(Some("\"x\"".to_string())),
            json_value().prop_map(Some)
        ],
        prop::option::of(json_value()),
    )
        .prop_map(|(method, id, params)| {
            let mut fields = vec![
                r#""jsonrpc":"2.0""#.to_string(),
                format!(r#""method":"{method}""#),
            ];
            if let Some(id) = id {
                fields.push(format!(r#""id":{id}"#));
            }
            if let Some(params) = params {
                fields.push(format!(r#""params":{params}"#));
            }
            format!("{{{}}}", fields.join(","))
        })
}

/// Well-formed calls of the catalogue's functions, with arbitrary arguments.
fn call_message() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(r#""method":"tools/call","params":{"name":"add","arguments":ARGS}"#),
            Just(r#""method":"tools/call","params":{"name":"echo","arguments":ARGS}"#),
            Just(r#""method":"prompts/get","params":{"name":"greet","arguments":ARGS}"#),
            Just(r#""method":"tools/call","params":{"name":"echo","arguments":{},"inputResponses":ARGS,"requestState":"x"}"#),
            Just(r#""method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"},"context":{"arguments":ARGS}}"#),
        ],
        json_value(),
        prop_oneof![Just("1".to_string()), json_value()],
    )
        .prop_map(|(shape, args, id)| format!(r#"{{"jsonrpc":"2.0","id":{id},{}}}"#, shape.replace("ARGS", &args)))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        message().prop_map(String::into_bytes),
        call_message().prop_map(String::into_bytes),
        call_message().prop_map(String::into_bytes),
        prop::collection::vec(message(), 1..4)
            .prop_map(|m| format!("[{}]", m.join(",")).into_bytes()),
        json_value().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("application/json, text/event-stream".to_string()),
        Just("application/json".to_string()),
        Just("2025-06-18".to_string()),
        Just("2026-07-28".to_string()),
        Just("127.0.0.1:8000".to_string()),
        Just("evil.example".to_string()),
        Just("https://a.example.org".to_string()),
        "[ -~]{0,16}",
    ])
}

#[derive(Debug, Clone)]
struct RequestHeaders(Vec<Option<String>>);

fn headers() -> impl Strategy<Value = RequestHeaders> {
    prop::collection::vec(header_value(), 9).prop_map(RequestHeaders)
}

impl RequestHeaders {
    fn view(&self) -> Headers<'_> {
        let h = |i: usize| self.0[i].as_deref();
        Headers {
            accept: h(0).or(Some("application/json, text/event-stream")),
            content_type: h(1).or(Some("application/json")),
            protocol_version: h(2),
            host: h(3).or(Some("127.0.0.1")),
            origin: h(4),
            mcp_method: h(5),
            mcp_name: h(6),
            session_id: h(7),
            last_event_id: h(8),
        }
    }
}

/// What reaches Python must be JSON Python can hold. serde_json refuses what
/// Python cannot (lone surrogates; the generated integers past 4300 digits,
/// beyond f64's range) and takes everything else generated.
fn python_can_hold(raw: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(raw).is_ok()
}

fn check(outcome: Outcome) -> Result<(), TestCaseError> {
    match outcome {
        Outcome::Respond(r) => {
            prop_assert!(
                r.status < 500,
                "status {} body {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            if !r.body.is_empty() {
                prop_assert!(
                    serde_json::from_slice::<serde_json::Value>(&r.body).is_ok()
                        || r.body.starts_with(b"event")
                        || r.body.starts_with(b"id")
                        || r.body.starts_with(b"data")
                );
            }
        }
        Outcome::Run(plan) => {
            for call in &plan.calls {
                prop_assert!(python_can_hold(&call.id), "id {}", call.id);
                prop_assert!(
                    python_can_hold(&call.arguments),
                    "arguments {}",
                    call.arguments
                );
                if let Some(responses) = &call.input_responses {
                    prop_assert!(python_can_hold(responses));
                }
            }
            let answers = plan
                .calls
                .iter()
                .map(|c| jsonrpc::result_message(&c.id, "{}"))
                .collect();
            let finished = plan.finish(answers);
            prop_assert!(!finished.is_empty() || plan.calls.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=100000 for a longer run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_stateless_endpoint_takes_anything(method in prop::sample::select(&["POST", "GET", "DELETE", "PUT"][..]), h in headers(), body in body(), json in any::<bool>()) {
        check(engine(json).handle(method, &h.view(), &body, &[]))?;
    }

    #[test]
    fn the_stateful_endpoint_takes_anything(method in prop::sample::select(&["POST", "GET", "DELETE"][..]), h in headers(), body in body(), known in any::<bool>(), seed in prop::collection::vec(any::<u8>(), 18)) {
        let lookup = if known {
            Lookup::Known { version: revision::find("2025-06-18").unwrap(), path: "/mcp" }
        } else {
            Lookup::Unknown
        };
        let (outcome, _) = engine(false).handle_stateful(method, &h.view(), &body, lookup, "/mcp", &seed, &[]);
        check(outcome)?;
    }

    #[test]
    fn the_sse_transport_takes_anything(h in headers(), body in body(), session in prop::option::of("[ -~]{0,24}")) {
        let lookup = Lookup::Known { version: revision::find("2024-11-05").unwrap(), path: "/mcp" };
        let (outcome, _) = engine(false).handle_sse_post(&h.view(), &body, session.as_deref(), lookup, "/mcp", &[]);
        check(outcome)?;
    }

    #[test]
    fn routes_match_any_path(path in "(/[ -~\\n\\u{e9}]{0,12}){0,5}") {
        let route = Route::new("/api/<slug:team>/<int:n>/<name>/<path:rest>", &["/http", "/sse"]).unwrap();
        let _ = route.matches(&path);
    }
}
