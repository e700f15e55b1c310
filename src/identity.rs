//! Who an email names. Emails are compared trimmed and case-insensitively
//! everywhere (users, contacts, verification-token identifiers); this is
//! the one place that says how.

/// The one spelling of an email that keys, look-ups and comparisons use:
/// trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether `candidate` (an email as a directory holds it) names the same
/// address as `wanted`, which is already normalised.
pub fn same_email(candidate: Option<&str>, wanted: &str) -> bool {
    candidate.map(normalize_email).as_deref() == Some(wanted)
}

/// The spellings a look-up by email asks a directory's list for, in order:
/// the normalised one (how this adapter creates users), then the email as
/// given (trimmed) when that differs, for records made elsewhere that keep
/// their own spelling.
pub fn lookup_spellings(email: &str) -> Vec<String> {
    let normalized = normalize_email(email);
    let given = email.trim();
    if given == normalized {
        vec![normalized]
    } else {
        vec![normalized, given.to_owned()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  Ada@Example.COM \n"), "ada@example.com");
        assert_eq!(normalize_email("ÉLodie@b.fr"), "élodie@b.fr");
    }

    #[test]
    fn same_email_ignores_case_and_space_but_not_the_address() {
        assert!(same_email(Some(" ADA@example.com"), "ada@example.com"));
        assert!(!same_email(Some("ada@example.org"), "ada@example.com"));
        assert!(!same_email(Some("ada@example.com.evil"), "ada@example.com"));
        assert!(!same_email(None, "ada@example.com"));
    }

    #[test]
    fn the_normalised_spelling_is_asked_first_and_the_given_one_only_if_different() {
        assert_eq!(lookup_spellings(" a@b.co "), vec!["a@b.co"]);
        assert_eq!(lookup_spellings(" Ada@B.co "), vec!["ada@b.co", "Ada@B.co"]);
    }
}
