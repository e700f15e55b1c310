//! Who a user is in ChatBotKit, behind one seam. The adapter asks a
//! [`Directory`] to find, fetch, create, update and delete people and gets
//! back [`Person`]s; each directory maps its own records to and from that
//! shape. Two directories exist: partner users (`partner.rs`, one
//! sub-account each) and contacts of one account (`contact.rs`), both over
//! the one API client (`partner`). What Auth.js makes of a person (its user
//! shape, "one user per email") is the adapter's business.

mod contact;
mod partner;

pub use contact::{contact_fingerprint, ContactClient};

use crate::error::{Error, Result};
use crate::partner::{outcome_unknown, PartnerClient};

/// A user as the adapter sees it, whichever directory holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    /// Auth.js `emailVerified` in epoch ms; `None`: not verified.
    pub email_verified: Option<i64>,
}

/// What `createUser` asks a directory to make.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// Trimmed, as the caller spelled it.
    pub email: String,
    pub name: Option<String>,
    pub image: Option<String>,
    pub email_verified: Option<i64>,
}

/// What `updateUser` changes: an outer `None` leaves the field as it is, an
/// inner `None` clears it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub email: Option<String>,
    pub name: Option<Option<String>>,
    pub image: Option<Option<String>>,
    pub email_verified: Option<Option<i64>>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.name.is_none()
            && self.image.is_none()
            && self.email_verified.is_none()
    }

    /// `person` with these changes applied.
    pub fn apply(&self, mut person: Person) -> Person {
        if let Some(email) = &self.email {
            person.email = Some(email.clone());
        }
        if let Some(name) = &self.name {
            person.name = name.clone();
        }
        if let Some(image) = &self.image {
            person.image = image.clone();
        }
        if let Some(verified) = self.email_verified {
            person.email_verified = verified;
        }
        person
    }
}

/// Where the adapter's users live.
pub enum Directory {
    /// Partner users: `/v1/partner/user/...` (a sub-account each).
    Partner(PartnerClient),
    /// Contacts of the account the secret belongs to: `/v1/contact/...`.
    Contact(ContactClient),
}

impl Directory {
    /// The person whose email matches (trimmed, any case), never another.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Person>> {
        match self {
            Directory::Partner(client) => partner::find_by_email(client, email).await,
            Directory::Contact(client) => client.find_by_email(email).await,
        }
    }

    /// The person with this id; `None` when the directory has none.
    pub async fn fetch(&self, id: &str) -> Result<Option<Person>> {
        match self {
            Directory::Partner(client) => partner::fetch(client, id).await,
            Directory::Contact(client) => client.fetch(id).await,
        }
    }

    /// Creates a person and returns the id. A contact is created through
    /// `ensure` with a fingerprint of the email, so repeating it is safe; a
    /// partner user create is not, and the caller reconciles.
    pub async fn create(&self, new: &NewPerson) -> Result<String> {
        match self {
            Directory::Partner(client) => partner::create(client, new).await,
            Directory::Contact(client) => client.ensure(new).await,
        }
    }

    /// Applies `changes` to the current record (read fresh) and returns the
    /// person as it now is. `USER_NOT_FOUND` when there is none.
    pub async fn update(&self, id: &str, changes: &Changes) -> Result<Person> {
        match self {
            Directory::Partner(client) => partner::update(client, id, changes).await,
            Directory::Contact(client) => client.update(id, changes).await,
        }
    }

    /// Deletes a person; `Ok(false)` when there was none.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        match self {
            Directory::Partner(client) => partner::delete(client, id).await,
            Directory::Contact(client) => client.delete(id).await,
        }
    }

    /// The API client underneath, whichever resource it serves.
    fn client(&self) -> &PartnerClient {
        match self {
            Directory::Partner(client) => client,
            Directory::Contact(client) => client.client(),
        }
    }

    /// Retries after a first attempt, as configured.
    pub fn retries(&self) -> u32 {
        self.client().config().retries
    }

    /// The API secret, for redacting it from any message.
    pub fn secret(&self) -> &str {
        &self.client().config().secret
    }

    /// The overall deadline of one API call, retries included.
    pub fn timeout(&self) -> std::time::Duration {
        self.client().config().timeout
    }

    /// Whether a `create` that failed with `error` may still have made the
    /// person, so that the caller must look before creating again. Never
    /// for contacts: `ensure` is safe to repeat, and the client has
    /// repeated it already.
    pub fn create_outcome_unknown(&self, error: &Error) -> bool {
        match self {
            Directory::Partner(_) => outcome_unknown(error),
            Directory::Contact(_) => false,
        }
    }
}

/// `""` is how a cleared name or image is stored (the APIs take strings).
pub(crate) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|s| !s.is_empty()).map(str::to_owned)
}
