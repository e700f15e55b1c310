//! Keeping secrets out of error messages that quote text from outside: a
//! Partner API error body, a store client's message. Such text may quote
//! the secret, a token, a key or a value — whole, or cut short by whoever
//! truncated it first — so every piece of a secret long enough to matter is
//! replaced, not only whole occurrences.

/// Shorter strings are field names or flags, not secrets; they are left be.
pub const MIN_SECRET: usize = 6;
/// The shortest piece of a secret that is replaced (a secret cut by a
/// truncation leaves a piece at the cut).
const MIN_PIECE: usize = 8;
const MARK: &str = "[redacted]";

/// `text` with every secret, and every piece of one of at least
/// [`MIN_PIECE`] bytes, replaced by `[redacted]`.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let secrets: Vec<&str> = secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| s.len() >= MIN_SECRET)
        .collect();
    if secrets.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        match longest_piece(text, at, &secrets) {
            Some(end) => {
                if !out.ends_with(MARK) {
                    out.push_str(MARK);
                }
                at = end;
            }
            None => {
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    out
}

/// The end of the longest run of `text` from `start` that is a piece of a
/// secret (a whole secret if it is shorter than a piece).
fn longest_piece(text: &str, start: usize, secrets: &[&str]) -> Option<usize> {
    let rest = &text[start..];
    let mut best = None;
    for secret in secrets {
        let min = MIN_PIECE.min(secret.len());
        if rest.len() < min || !secret.contains(prefix_of(rest, min)) {
            continue;
        }
        let mut found = None;
        for (offset, c) in rest.char_indices() {
            let end = offset + c.len_utf8();
            if !secret.contains(&rest[..end]) {
                break;
            }
            if end >= min {
                found = Some(start + end);
            }
        }
        best = best.max(found);
    }
    best
}

/// The first `len` bytes of `text`, or a little more to end on a character.
fn prefix_of(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_secrets_and_their_pieces_go() {
        let secret = "sk-0123456789abcdef0123456789abcdef";
        let out = redact(&format!("bad token {secret} here"), &[secret]);
        assert_eq!(out, "bad token [redacted] here");
        // Cut in half by someone else's truncation: the half still goes.
        let out = redact(&format!("bad token {}…", &secret[..17]), &[secret]);
        assert_eq!(out, "bad token [redacted]…");
        let out = redact(&format!("…{} tail", &secret[20..]), &[secret]);
        assert_eq!(out, "…[redacted] tail");
    }

    #[test]
    fn ordinary_text_stays() {
        assert_eq!(
            redact("connection lost", &["session:abc"]),
            "connection lost"
        );
        assert_eq!(redact("short ab", &["ab"]), "short ab");
        assert_eq!(redact("é ü ß", &["ééééééééé"]), "é ü ß");
        let none: [&str; 0] = [];
        assert_eq!(redact("text", &none), "text");
    }
}
