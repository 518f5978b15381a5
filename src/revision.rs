//! MCP protocol revisions and what each one allows.
//!
//! Every rule that differs between revisions is a field of [`Revision`], so
//! supporting a new revision means adding one row to [`REVISIONS`].

use crate::jsonrpc;

/// One published revision of the MCP specification.
#[derive(Debug, PartialEq, Eq)]
pub struct Revision {
    pub version: &'static str,
    /// JSON-RPC batches (a JSON array of messages) may be posted. Only 2025-03-26 allowed them.
    pub batching: bool,
    /// Fields of tool / resource / prompt definitions and call results that this
    /// revision's schema does not know; they are left out of what we send.
    pub unknown_fields: &'static [&'static str],
    /// `structuredContent` may appear in a tools/call result.
    pub structured_content: bool,
    /// Client requests this revision defines (notifications are not listed).
    pub methods: &'static [&'static str],
    /// Sessions start with initialize. Without it (2026-07-28) every request
    /// carries its protocol version and client capabilities in `params._meta`.
    pub handshake: bool,
    /// Results carry `resultType` and the `serverInfo` `_meta` stamp; list
    /// results carry cache hints (`ttlMs`, `cacheScope`).
    pub stamped_results: bool,
    /// JSON-RPC errors get an HTTP status from [`error_status`] instead of 200.
    pub error_statuses: bool,
    /// Code for resources/read of an unknown URI.
    pub resource_not_found: i32,
    /// The server may send requests (elicitation, sampling) to the client on a
    /// response stream; without it they travel as multi-round-trip results.
    pub server_requests: bool,
    /// notifications/cancelled stops a running call. In 2026-07-28 a client
    /// cancels by closing the response stream instead.
    pub cancel_notifications: bool,
    /// Log notifications are sent only when the request opts in with a level in `_meta`.
    pub log_opt_in: bool,
}

impl Revision {
    pub fn knows_field(&self, field: &str) -> bool {
        !self.unknown_fields.contains(&field)
    }
}

const HANDSHAKE_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "logging/setLevel",
    "completion/complete",
];

/// 2026-07-28: lifecycle, ping, logging/setLevel and the subscribe pair are
/// gone; server/discover and subscriptions/listen are new.
const STATELESS_METHODS: &[&str] = &[
    "server/discover",
    "subscriptions/listen",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    // The tasks extension (io.modelcontextprotocol/tasks); its v1 methods
    // tasks/result and tasks/list are gone, so they stay unknown (-32601).
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
];

/// Supported revisions, oldest first.
pub const REVISIONS: &[Revision] = &[
    Revision {
        version: "2024-11-05",
        batching: false,
        unknown_fields: &[
            "title",
            "outputSchema",
            "annotations",
            "icons",
            "execution",
            "_meta",
            "size",
        ],
        structured_content: false,
        methods: HANDSHAKE_METHODS,
        handshake: true,
        stamped_results: false,
        error_statuses: false,
        resource_not_found: jsonrpc::RESOURCE_NOT_FOUND,
        server_requests: true,
        cancel_notifications: true,
        log_opt_in: false,
    },
    Revision {
        version: "2025-03-26",
        batching: true,
        unknown_fields: &["title", "outputSchema", "icons", "_meta", "execution"],
        structured_content: false,
        methods: HANDSHAKE_METHODS,
        handshake: true,
        stamped_results: false,
        error_statuses: false,
        resource_not_found: jsonrpc::RESOURCE_NOT_FOUND,
        server_requests: true,
        cancel_notifications: true,
        log_opt_in: false,
    },
    Revision {
        version: "2025-06-18",
        batching: false,
        unknown_fields: &["icons", "execution"],
        structured_content: true,
        methods: HANDSHAKE_METHODS,
        handshake: true,
        stamped_results: false,
        error_statuses: false,
        resource_not_found: jsonrpc::RESOURCE_NOT_FOUND,
        server_requests: true,
        cancel_notifications: true,
        log_opt_in: false,
    },
    Revision {
        version: "2025-11-25",
        batching: false,
        // Its schema knows `execution.taskSupport`, but for the tasks of that
        // revision (tasks/result, a `task` param), which this server does not
        // offer: task support is told only to clients of the extension.
        unknown_fields: &["execution"],
        structured_content: true,
        methods: HANDSHAKE_METHODS,
        handshake: true,
        stamped_results: false,
        error_statuses: false,
        resource_not_found: jsonrpc::RESOURCE_NOT_FOUND,
        server_requests: true,
        cancel_notifications: true,
        log_opt_in: false,
    },
    Revision {
        version: "2026-07-28",
        batching: false,
        unknown_fields: &[],
        structured_content: true,
        methods: STATELESS_METHODS,
        handshake: false,
        stamped_results: true,
        error_statuses: true,
        // -32002 is retired in this revision.
        resource_not_found: jsonrpc::INVALID_PARAMS,
        server_requests: false,
        cancel_notifications: false,
        log_opt_in: true,
    },
];

/// The newest revision that uses the initialize handshake; offered to clients
/// that ask for a version we do not speak.
pub const LATEST: &Revision = &REVISIONS[3];

/// Assumed when an HTTP request has no MCP-Protocol-Version header, as the
/// 2025-06-18 transport rules prescribe for backwards compatibility.
pub const HTTP_DEFAULT: &Revision = &REVISIONS[1];

impl Revision {
    pub fn has_method(&self, method: &str) -> bool {
        self.methods.contains(&method)
    }
}

/// The HTTP status for a JSON-RPC error in revisions with `error_statuses`
/// (the 2026-07-28 transport's table); anything unlisted stays 200.
pub fn error_status(code: i32) -> u16 {
    match code {
        jsonrpc::PARSE_ERROR
        | jsonrpc::INVALID_REQUEST
        | jsonrpc::INVALID_PARAMS
        | jsonrpc::HEADER_MISMATCH
        | jsonrpc::MISSING_REQUIRED_CLIENT_CAPABILITY
        | jsonrpc::UNSUPPORTED_PROTOCOL_VERSION => 400,
        jsonrpc::METHOD_NOT_FOUND => 404,
        _ => 200,
    }
}

pub fn find(version: &str) -> Option<&'static Revision> {
    REVISIONS.iter().find(|r| r.version == version)
}

pub fn index_of(revision: &Revision) -> usize {
    REVISIONS
        .iter()
        .position(|r| r.version == revision.version)
        .expect("revision comes from REVISIONS")
}

/// The version the server answers to an initialize asking for `requested`:
/// the same one when it is a handshake revision, otherwise the latest (the client then decides).
pub fn negotiate(requested: &str) -> &'static Revision {
    find(requested).filter(|r| r.handshake).unwrap_or(LATEST)
}

/// `["2024-11-05", ...]` as JSON, for discover results and -32022 errors.
pub fn supported_json() -> String {
    serde_json::to_string(&REVISIONS.iter().map(|r| r.version).collect::<Vec<_>>())
        .expect("strings serialise")
}

pub fn supported_list() -> String {
    REVISIONS
        .iter()
        .map(|r| r.version)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_known_versions_and_offers_latest_otherwise() {
        for r in REVISIONS.iter().filter(|r| r.handshake) {
            assert_eq!(negotiate(r.version).version, r.version);
        }
        assert_eq!(negotiate("1999-01-01").version, "2025-11-25");
        // 2026-07-28 has no initialize: a client asking for it there gets the latest handshake revision.
        assert_eq!(negotiate("2026-07-28").version, "2025-11-25");
    }

    #[test]
    fn the_stateless_revision_drops_the_lifecycle() {
        let modern = find("2026-07-28").unwrap();
        assert!(!modern.handshake && modern.has_method("server/discover"));
        assert!(
            !modern.has_method("initialize")
                && !modern.has_method("ping")
                && !modern.has_method("logging/setLevel")
        );
        assert!(!LATEST.has_method("server/discover"));
        assert_eq!(error_status(jsonrpc::METHOD_NOT_FOUND), 404);
        assert_eq!(error_status(jsonrpc::INTERNAL_ERROR), 200);
    }

    #[test]
    fn task_support_is_told_only_to_clients_of_the_extension() {
        for r in REVISIONS {
            assert_eq!(r.knows_field("execution"), !r.handshake, "{}", r.version);
        }
    }

    #[test]
    fn only_2025_03_26_batches() {
        let batching: Vec<_> = REVISIONS
            .iter()
            .filter(|r| r.batching)
            .map(|r| r.version)
            .collect();
        assert_eq!(batching, ["2025-03-26"]);
    }

    #[test]
    fn http_default_is_2025_03_26() {
        assert_eq!(HTTP_DEFAULT.version, "2025-03-26");
    }
}
