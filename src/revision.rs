//! MCP protocol revisions and what each one allows.
//!
//! Every rule that differs between revisions is a field of [`Revision`], so
//! supporting a new revision means adding one row to [`REVISIONS`].

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
}

impl Revision {
    pub fn knows_field(&self, field: &str) -> bool {
        !self.unknown_fields.contains(&field)
    }
}

/// Supported revisions, oldest first.
pub const REVISIONS: &[Revision] = &[
    Revision {
        version: "2024-11-05",
        batching: false,
        unknown_fields: &["title", "outputSchema", "annotations", "icons", "_meta", "size"],
        structured_content: false,
    },
    Revision {
        version: "2025-03-26",
        batching: true,
        unknown_fields: &["title", "outputSchema", "icons", "_meta"],
        structured_content: false,
    },
    Revision {
        version: "2025-06-18",
        batching: false,
        unknown_fields: &["icons"],
        structured_content: true,
    },
    Revision {
        version: "2025-11-25",
        batching: false,
        unknown_fields: &[],
        structured_content: true,
    },
];

/// The newest revision that uses the initialize handshake; offered to clients
/// that ask for a version we do not speak.
pub const LATEST: &Revision = &REVISIONS[REVISIONS.len() - 1];

/// Assumed when an HTTP request has no MCP-Protocol-Version header, as the
/// 2025-06-18 transport rules prescribe for backwards compatibility.
pub const HTTP_DEFAULT: &Revision = &REVISIONS[1];

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
/// the same one when supported, otherwise the latest (the client then decides).
pub fn negotiate(requested: &str) -> &'static Revision {
    find(requested).unwrap_or(LATEST)
}

pub fn supported_list() -> String {
    REVISIONS.iter().map(|r| r.version).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_known_versions_and_offers_latest_otherwise() {
        for r in REVISIONS {
            assert_eq!(negotiate(r.version).version, r.version);
        }
        assert_eq!(negotiate("1999-01-01").version, "2025-11-25");
    }

    #[test]
    fn only_2025_03_26_batches() {
        let batching: Vec<_> = REVISIONS.iter().filter(|r| r.batching).map(|r| r.version).collect();
        assert_eq!(batching, ["2025-03-26"]);
    }

    #[test]
    fn http_default_is_2025_03_26() {
        assert_eq!(HTTP_DEFAULT.version, "2025-03-26");
    }
}
