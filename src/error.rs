//! One error type for the whole core. Each variant has a stable `code` that
//! crosses to JS unchanged, so applications can branch on it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The adapter or a store was configured wrongly.
    Config(String),
    /// A caller passed a value of the wrong shape.
    InvalidInput(String),
    CreateDisabled,
    UpdateDisabled,
    DeleteDisabled,
    DuplicateUser,
    UserNotFound(String),
    /// A partner user (or a user given to `createUser`) has no email.
    MissingEmail,
    /// A non-2xx answer, or a 2xx answer we cannot read, from the Partner API.
    PartnerApi {
        status: Option<u16>,
        partner_code: Option<String>,
        message: String,
    },
    /// The call's overall deadline passed.
    Timeout(String),
    /// The Partner API could not be reached (refused, reset, DNS, TLS).
    Network(String),
    /// The store failed, rejected, threw or did not answer in time.
    Store(String),
    /// A record the caller named does not exist (e.g. an authenticator).
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "CONFIG",
            Error::InvalidInput(_) => "INVALID_INPUT",
            Error::CreateDisabled => "CREATE_DISABLED",
            Error::UpdateDisabled => "UPDATE_DISABLED",
            Error::DeleteDisabled => "DELETE_DISABLED",
            Error::DuplicateUser => "DUPLICATE_USER",
            Error::UserNotFound(_) => "USER_NOT_FOUND",
            Error::MissingEmail => "MISSING_EMAIL",
            Error::PartnerApi { .. } => "PARTNER_API",
            Error::Timeout(_) => "TIMEOUT",
            Error::Network(_) => "NETWORK",
            Error::Store(_) => "STORE",
            Error::NotFound(_) => "NOT_FOUND",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Error::PartnerApi { status, .. } => *status,
            _ => None,
        }
    }

    pub fn partner_code(&self) -> Option<&str> {
        match self {
            Error::PartnerApi { partner_code, .. } => partner_code.as_deref(),
            _ => None,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    pub fn store(msg: impl Into<String>) -> Self {
        Error::Store(msg.into())
    }

    /// The error with `secrets` redacted from text that came from outside
    /// (a store's or the Partner API's message).
    pub fn redacted<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        let clean = |m: String| crate::redact::redact(&m, secrets);
        match self {
            Error::Store(m) => Error::Store(clean(m)),
            Error::Network(m) => Error::Network(clean(m)),
            Error::PartnerApi {
                status,
                partner_code,
                message,
            } => Error::PartnerApi {
                status,
                partner_code: partner_code.map(clean),
                message: clean(message),
            },
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m) => write!(f, "invalid configuration: {m}"),
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            // One text for both adapters, naming both options.
            Error::CreateDisabled => f.write_str(
                "creating users is disabled (set autoCreateUser: true, or autoCreateContact: true on the Contact adapter, to let sign-in create them in ChatBotKit)",
            ),
            Error::UpdateDisabled => f.write_str(
                "updating users is disabled (set autoUpdateUser: true, or autoUpdateContact: true on the Contact adapter, to let the adapter update them in ChatBotKit)",
            ),
            Error::DeleteDisabled => f.write_str(
                "deleting users is disabled (set autoDeleteUser: true, or autoDeleteContact: true on the Contact adapter, to let the adapter delete them in ChatBotKit)",
            ),
            Error::DuplicateUser => f.write_str("a ChatBotKit user (partner user or contact) with this email already exists"),
            Error::UserNotFound(what) => write!(f, "no ChatBotKit user (partner user or contact) {what}"),
            Error::MissingEmail => f.write_str("the user has no email address"),
            Error::PartnerApi { status, message, .. } => match status {
                Some(s) => write!(f, "ChatBotKit Partner API error (HTTP {s}): {message}"),
                None => write!(f, "ChatBotKit Partner API error: {message}"),
            },
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::Network(m) => write!(f, "cannot reach the ChatBotKit Partner API: {m}"),
            Error::Store(m) => write!(f, "store error: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// `text` cut to at most `max` bytes (on a character boundary), with `…`
/// when something was cut: messages from outside stay readable and bounded.
pub fn shorten(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}
