//! The engine's cost per message, the user function excluded: parse and plan
//! a tools/call, then serialise its response. `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, Criterion};
use django_mcp_core::catalog::{Catalog, Kind};
use django_mcp_core::engine::{Engine, Options, Outcome, ServerInfo};
use django_mcp_core::http::Headers;
use django_mcp_core::jsonrpc;
use django_mcp_core::security::HostPolicy;
use std::hint::black_box;

fn engine(json_response: bool) -> Engine {
    let mut catalog = Catalog::default();
    for i in 0..50 {
        let name = format!("tool_{i}");
        let def = format!(
            r#"{{"name":"{name}","description":"a tool","inputSchema":{{"type":"object","properties":{{"a":{{"type":"integer"}},"b":{{"type":"integer"}}}},"required":["a","b"]}}}}"#
        );
        catalog.register(Kind::Tool, &name, i, &def).unwrap();
    }
    catalog
        .register(
            Kind::Tool,
            "add",
            50,
            r#"{"name":"add","inputSchema":{"type":"object"}}"#,
        )
        .unwrap();
    let mut engine = Engine::new(
        ServerInfo {
            name: "bench".into(),
            title: None,
            version: "1".into(),
            instructions: None,
        },
        Options {
            json_response,
            hosts: HostPolicy {
                enabled: true,
                allowed_hosts: vec!["127.0.0.1".into(), "localhost".into()],
                allowed_origins: vec![],
            },
            page_size: 100,
            ..Default::default()
        },
    );
    engine.catalog = catalog;
    engine
}

const CALL: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"#;
const RESULT: &str =
    r#"{"content":[{"type":"text","text":"3"}],"structuredContent":{"result":3},"isError":false}"#;

fn headers() -> Headers<'static> {
    Headers {
        accept: Some("application/json, text/event-stream"),
        content_type: Some("application/json"),
        protocol_version: Some("2025-06-18"),
        host: Some("127.0.0.1:8000"),
        ..Default::default()
    }
}

fn tools_call(c: &mut Criterion) {
    for (label, json) in [("json", true), ("sse", false)] {
        let e = engine(json);
        let h = headers();
        c.bench_function(&format!("tools/call plan+finish ({label})"), |b| {
            b.iter(|| match e.handle("POST", &h, black_box(CALL), &[]) {
                Outcome::Run(plan) => {
                    let message = jsonrpc::result_message(&plan.calls[0].id, RESULT);
                    black_box(plan.finish(vec![message]))
                }
                Outcome::Respond(_) => unreachable!(),
            })
        });
    }
    let e = engine(true);
    let h = headers();
    let list = br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    c.bench_function("tools/list, 51 tools, cached", |b| {
        b.iter(|| match e.handle("POST", &h, black_box(list), &[]) {
            Outcome::Respond(r) => black_box(r.body.len()),
            Outcome::Run(_) => unreachable!(),
        })
    });
}

criterion_group!(benches, tools_call);
criterion_main!(benches);
