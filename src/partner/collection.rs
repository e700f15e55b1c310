//! The ChatBotKit API's collections of records (partner users, contacts)
//! and what is done the same way to each: one item's path, fetching and
//! deleting an item (404: none), and finding one in the list — the one
//! paging loop, which checks every answer instead of trusting the filter.

use super::errors::parse;
use super::transport::Request;
use super::wire::Page;
use super::PartnerClient;
use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Longest item id sent; no real id comes near it.
const MAX_ID_BYTES: usize = 4096;
/// Pages read when a server ignores the list filter (100 items each).
const MAX_LIST_PAGES: usize = 20;
const PAGE_SIZE: &str = "100";

/// A collection of records in the API.
#[derive(Debug)]
pub struct Collection {
    /// The path every item's URL hangs off, with a trailing `/`.
    pub path: &'static str,
    /// One item, in messages: `user`, `contact`.
    pub noun: &'static str,
    pub plural: &'static str,
    /// The filter its list is asked with, in messages.
    pub filter: &'static str,
}

/// Partner users: a ChatBotKit sub-account each.
pub const PARTNER_USERS: Collection = Collection {
    path: "/v1/partner/user/",
    noun: "user",
    plural: "users",
    filter: "email",
};

/// Contacts of the account the secret belongs to.
pub const CONTACTS: Collection = Collection {
    path: "/v1/contact/",
    noun: "contact",
    plural: "contacts",
    filter: "meta",
};

impl Collection {
    /// Refuses an id no item can have. `.` and `..` would be resolved as dot
    /// segments by any URL parser, even percent-encoded.
    pub fn check_id(&self, id: &str) -> Result<()> {
        if id.is_empty() || id == "." || id == ".." || id.len() > MAX_ID_BYTES {
            return Err(Error::invalid(format!(
                "a {} id must be a non-empty string other than `.` or `..`, of at most {MAX_ID_BYTES} bytes",
                self.noun
            )));
        }
        Ok(())
    }
}

impl PartnerClient {
    /// The oldest item of `collection` listed under `filter` that `matches`.
    /// A server that ignores the filter is paged through, up to a bound past
    /// which the answer is an error, never "none": answering "none" there
    /// would let `createUser` make a second user.
    pub(crate) async fn find_in_list<T: DeserializeOwned>(
        &self,
        collection: &Collection,
        filter: (&str, &str),
        matches: impl Fn(&T) -> bool,
    ) -> Result<Option<T>> {
        let what = format!("list {}", collection.plural);
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut query = vec![filter, ("order", "asc"), ("take", PAGE_SIZE)];
            if let Some(c) = &cursor {
                query.push(("cursor", c.as_str()));
            }
            let request = Request::collection(collection, "list").query(&query);
            let page: Page<T> = parse(&what, &self.send(&request).await?)?;
            if let Some(index) = page.items.iter().position(&matches) {
                return Ok(page.items.into_iter().nth(index));
            }
            match page.cursor {
                Some(next) if !page.items.is_empty() && cursor.as_ref() != Some(&next) => {
                    cursor = Some(next)
                }
                _ => return Ok(None),
            }
        }
        // Not seen in the pages read, but more remain: unknown, not absent.
        let Collection { noun, plural, .. } = collection;
        Err(Error::PartnerApi {
            status: None,
            partner_code: None,
            message: format!(
                "the {noun} list ignores the {} filter and the {noun} was not among the first {} {plural}, so whether one exists is unknown",
                collection.filter,
                MAX_LIST_PAGES * 100
            ),
        })
    }

    /// The item with this id, or `None` when the API answers 404 or the id
    /// is one no item can have (then nothing is sent).
    pub(crate) async fn fetch_item<T: DeserializeOwned>(
        &self,
        collection: &Collection,
        id: &str,
    ) -> Result<Option<T>> {
        let Ok(request) = Request::item(collection, id, "fetch") else {
            return Ok(None);
        };
        match self.send(&request).await {
            Ok(body) => parse(&format!("fetch {}", collection.noun), &body).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes an item; `Ok(false)` when there was none (404, or an id no
    /// item can have: then nothing is sent).
    pub(crate) async fn delete_item(&self, collection: &Collection, id: &str) -> Result<bool> {
        let Ok(request) = Request::item(collection, id, "delete") else {
            return Ok(false);
        };
        let empty = Value::Object(Map::new());
        match self
            .send(&request.post(&empty, super::Idempotence::Safe))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_no_item_can_have_are_refused() {
        for id in ["", ".", ".."] {
            assert!(PARTNER_USERS.check_id(id).is_err(), "{id:?}");
        }
        assert!(CONTACTS.check_id(&"x".repeat(MAX_ID_BYTES + 1)).is_err());
        let e = CONTACTS.check_id("..").unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(e.to_string().contains("a contact id"), "{e}");
        for id in ["a/b", "..a", "%2e%2e", "ü"] {
            assert!(PARTNER_USERS.check_id(id).is_ok(), "{id:?}");
        }
    }
}
