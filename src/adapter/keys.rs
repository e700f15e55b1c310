//! Every store key the adapter uses, in one place. The layout is part of the
//! public contract (documented in the README) and stable across releases.
//!
//! Each variable part is percent-encoded (so `:`, `{` and `}` inside ids
//! cannot collide with the separators or the Redis Cluster hash tag). Keys of
//! one user's indexes carry the user id as hash tag, `{...}`, so they share a
//! cluster slot.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::borrow::Cow;

/// Everything but the unreserved characters, so a part is exactly one
/// segment: `/`, `?`, `#`, `%`, `\`, `.`, `:`, `{`, `}` and non-ASCII are
/// all encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// Percent-encodes `raw` as one key part. The API client uses it too, for
/// ids in URL paths, where it must be exactly one path segment.
/// Borrowed when nothing needs encoding (the usual case), so a key costs
/// one allocation.
pub fn encode_segment(raw: &str) -> Cow<'_, str> {
    utf8_percent_encode(raw, SEGMENT).into()
}

pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub fn verification_token(&self, identifier: &str, token: &str) -> String {
        format!(
            "{}verification:{{{}}}:{}",
            self.prefix,
            encode_segment(identifier),
            encode_segment(token)
        )
    }

    /// The set of an identifier's outstanding token keys.
    pub fn verification_tokens(&self, identifier: &str) -> String {
        format!(
            "{}verification-tokens:{{{}}}",
            self.prefix,
            encode_segment(identifier)
        )
    }

    /// The count of failed uses for an identifier.
    pub fn verification_failures(&self, identifier: &str) -> String {
        format!(
            "{}verification-failures:{{{}}}",
            self.prefix,
            encode_segment(identifier)
        )
    }

    /// The short lease held while a user is created for an email (trimmed,
    /// lower-cased), so that concurrent sign-ins make one user.
    pub fn user_creation(&self, email: &str) -> String {
        format!("{}user-creation:{{{}}}", self.prefix, encode_segment(email))
    }

    /// The count of failed looks for codes the original package issued
    /// (see `legacy.rs`): one for the whole store.
    pub fn legacy_verification_failures(&self) -> String {
        format!("{}verification-legacy-failures", self.prefix)
    }

    pub fn account(&self, provider: &str, provider_account_id: &str) -> String {
        format!(
            "{}account:{}:{}",
            self.prefix,
            encode_segment(provider),
            encode_segment(provider_account_id)
        )
    }

    pub fn session(&self, session_token: &str) -> String {
        format!("{}session:{}", self.prefix, encode_segment(session_token))
    }

    pub fn authenticator(&self, credential_id: &str) -> String {
        format!(
            "{}authenticator:{}",
            self.prefix,
            encode_segment(credential_id)
        )
    }

    /// Marks a user `deleteUser` removed, for an hour: a `linkAccount`,
    /// `createSession` or `createAuthenticator` racing the deletion finds it
    /// after its write and takes the write back.
    pub fn user_deleted(&self, user_id: &str) -> String {
        format!(
            "{}user:{{{}}}:deleted",
            self.prefix,
            encode_segment(user_id)
        )
    }

    /// The set of a user's record keys of one kind (`accounts`, `sessions`,
    /// `authenticators`).
    pub fn user_index(&self, user_id: &str, kind: IndexKind) -> String {
        format!(
            "{}user:{{{}}}:{}",
            self.prefix,
            encode_segment(user_id),
            kind.name()
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    Accounts,
    Sessions,
    Authenticators,
}

impl IndexKind {
    pub const ALL: [IndexKind; 3] = [
        IndexKind::Accounts,
        IndexKind::Sessions,
        IndexKind::Authenticators,
    ];

    fn name(self) -> &'static str {
        match self {
            IndexKind::Accounts => "accounts",
            IndexKind::Sessions => "sessions",
            IndexKind::Authenticators => "authenticators",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_escape() {
        for id in [
            "a/../../x",
            "?x=1",
            "#frag",
            "a\\b",
            "%2e%2e",
            "ü",
            "a\0b",
            "a:{b}",
        ] {
            let enc = encode_segment(id);
            assert!(
                enc.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_~%".contains(c)),
                "{id} -> {enc}"
            );
        }
        assert_eq!(encode_segment("a.b/c"), "a%2Eb%2Fc");
    }

    #[test]
    fn layout() {
        let k = Keys::new("app:");
        assert_eq!(k.session("abc"), "app:session:abc");
        assert_eq!(k.account("git:hub", "1"), "app:account:git%3Ahub:1");
        assert_eq!(
            k.user_index("u{1}", IndexKind::Sessions),
            "app:user:{u%7B1%7D}:sessions"
        );
        assert_eq!(
            k.verification_token("a@b.co", "t"),
            "app:verification:{a%40b%2Eco}:t"
        );
        assert_eq!(k.authenticator("c/d"), "app:authenticator:c%2Fd");
    }
}
