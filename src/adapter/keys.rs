//! Every store key the adapter uses, in one place. The layout is part of the
//! public contract (documented in the README) and stable across releases.
//! This is the only place a key prefix is applied, on every kind of store.
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
    /// Starts every key: the deprecated `RedisStore` `keyPrefix` (over such
    /// a store), then the adapter's `keyPrefix`.
    prefix: String,
    /// How much of `prefix` is the `RedisStore` part.
    store_part: usize,
}

impl Keys {
    /// `store_prefix`: the deprecated `keyPrefix` of the `RedisStore` the
    /// adapter runs over (else empty); `prefix`: the adapter's `keyPrefix`.
    pub fn new(store_prefix: &str, prefix: &str) -> Self {
        Self {
            prefix: format!("{store_prefix}{prefix}"),
            store_part: store_prefix.len(),
        }
    }

    /// What index members leave out of a record's key: the `RedisStore`
    /// part of the prefix. That store used to add it to keys itself, not to
    /// members, and indexes written then must keep naming their records.
    pub fn member_prefix(&self) -> &str {
        &self.prefix[..self.store_part]
    }

    /// How a per-user index or the set of outstanding tokens names the
    /// record at `key` (a key made here).
    pub fn member(&self, key: &str) -> String {
        key.strip_prefix(self.member_prefix())
            .unwrap_or(key)
            .to_owned()
    }

    /// The key of the record an index member names.
    pub fn member_key(&self, member: &str) -> String {
        format!("{}{member}", self.member_prefix())
    }

    /// Where `@chatbotkit/nextauth` kept a code (see `legacy.rs`): without
    /// the adapter's prefix, as the original wrote it; over a `RedisStore`
    /// with the deprecated `keyPrefix`, under that, as before.
    pub fn legacy_verification_token(&self, token: &str) -> String {
        format!("{}verificationToken:{token}", self.member_prefix())
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
        let k = Keys::new("", "app:");
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
        assert_eq!(k.member("app:session:abc"), "app:session:abc");
        assert_eq!(k.legacy_verification_token("t"), "verificationToken:t");
    }

    /// Over a `RedisStore` given the deprecated `keyPrefix`: the keys it
    /// wrote then, its prefix first; members without it, as it wrote them.
    #[test]
    fn layout_with_a_redis_store_prefix() {
        let k = Keys::new("myapp:", "app:");
        assert_eq!(k.session("abc"), "myapp:app:session:abc");
        assert_eq!(
            k.user_index("u1", IndexKind::Accounts),
            "myapp:app:user:{u1}:accounts"
        );
        assert_eq!(k.member("myapp:app:session:abc"), "app:session:abc");
        assert_eq!(k.member_key("app:session:abc"), "myapp:app:session:abc");
        assert_eq!(
            k.legacy_verification_token("t"),
            "myapp:verificationToken:t"
        );
        assert_eq!(
            k.legacy_verification_failures(),
            "myapp:app:verification-legacy-failures"
        );
    }
}
