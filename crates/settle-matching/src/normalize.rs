//! The forms references and names are compared in.
//!
//! Remittance text is typed by people and read by machines: prefixes are dropped or added,
//! spaces and dashes come and go, letters change case, digits are swapped or read as letters.
//! Every reference is compared as a key of its letters and digits only; a second, folded key
//! maps the characters OCR confuses (O/0, I/L/1, S/5, B/8, Z/2) onto one, and a third keeps the
//! digits alone (without leading zeros), for numbers whose prefix the payer left out.

/// Letters and digits only, upper case: `inv-00123` → `INV00123`.
pub fn reference_key(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The key with the characters OCR confuses folded onto digits.
pub fn folded_key(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            'O' | 'Q' | 'D' => '0',
            'I' | 'L' | 'J' => '1',
            'S' => '5',
            'B' => '8',
            'Z' => '2',
            'G' => '6',
            other => other,
        })
        .collect()
}

/// The digits of a key without leading zeros, when there are enough of them to mean
/// something on their own (`INV-000123456` → `123456`).
pub fn digits_key(key: &str) -> Option<String> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    (trimmed.len() >= MIN_DIGITS).then(|| trimmed.to_string())
}

/// Fewer digits than this match too many things by chance.
pub const MIN_DIGITS: usize = 4;

/// The tokens of remittance text that could be references: runs of letters, digits and the
/// separators references contain, each as a key; and every two neighbours joined, for
/// references written with a space (`INV 1001`).
pub fn candidate_keys(text: &str) -> Vec<String> {
    let tokens: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '#')))
        .map(reference_key)
        .filter(|k| !k.is_empty())
        .collect();
    let mut keys = Vec::with_capacity(tokens.len() * 2);
    for (index, token) in tokens.iter().enumerate() {
        if token.chars().any(|c| c.is_ascii_digit()) {
            keys.push(token.clone());
        }
        if let Some(next) = tokens.get(index + 1) {
            let joined = format!("{token}{next}");
            if joined.chars().any(|c| c.is_ascii_digit()) && joined.len() <= 32 {
                keys.push(joined);
            }
        }
    }
    keys
}

/// Words that say what kind of company a name is, not which.
const LEGAL_FORMS: &[&str] = &[
    "INC",
    "INCORPORATED",
    "LLC",
    "LLP",
    "LP",
    "LTD",
    "LIMITED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "GMBH",
    "AG",
    "KG",
    "SA",
    "SAS",
    "SARL",
    "SRL",
    "SPA",
    "BV",
    "NV",
    "PLC",
    "PTY",
    "AB",
    "AS",
    "OY",
    "KK",
    "THE",
    "AND",
    "OF",
];

/// A name as comparable words: upper case, letters and digits, legal forms left out.
pub fn name_tokens(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .map(str::to_uppercase)
        .filter(|t| !t.is_empty() && !LEGAL_FORMS.contains(&t.as_str()))
        .collect()
}

/// How alike two names are, 0.0 to 1.0: the best pairing of their words by Jaro-Winkler,
/// weighted by word length, over the longer name's words.
pub fn name_similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut total = 0.0;
    let mut weight = 0.0;
    for word in long {
        let best = short
            .iter()
            .map(|other| jaro_winkler(word, other))
            .fold(0.0, f64::max);
        let w = word.chars().count() as f64;
        total += best * w;
        weight += w;
    }
    if weight == 0.0 { 0.0 } else { total / weight }
}

/// Jaro-Winkler similarity of two words.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let start = i.saturating_sub(window);
        let end = (i + window + 1).min(b.len());
        for j in start..end {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_order = a
        .iter()
        .zip(&a_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let b_order = b
        .iter()
        .zip(&b_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let transpositions = a_order.zip(b_order).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// An account number as comparable text: letters and digits, upper case.
pub fn account_key(account: &str) -> String {
    reference_key(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_punctuation_and_case() {
        assert_eq!(reference_key("inv-00123 "), "INV00123");
        assert_eq!(folded_key("INVO0I23"), "1NV00123");
        assert_eq!(digits_key("INV-000123456").as_deref(), Some("123456"));
        assert_eq!(digits_key("A-12"), None);
    }

    #[test]
    fn candidate_keys_join_neighbours() {
        let keys = candidate_keys("Payment for INV 1001, inv-1002 and PO#77812");
        assert!(keys.contains(&"INV1001".to_string()));
        assert!(keys.contains(&"INV1002".to_string()));
        assert!(keys.contains(&"PO77812".to_string()));
        assert!(!keys.contains(&"PAYMENT".to_string()));
    }

    #[test]
    fn names_compare_without_legal_forms() {
        let acme = name_tokens("Acme Corporation");
        assert_eq!(acme, ["ACME"]);
        assert!(name_similarity(&acme, &name_tokens("ACME CORP")) > 0.99);
        assert!(
            name_similarity(
                &name_tokens("Beta Logistics LLC"),
                &name_tokens("BETA LOGISTIC")
            ) > 0.9
        );
        assert!(name_similarity(&acme, &name_tokens("Globex Inc")) < 0.6);
        assert!((jaro_winkler("MARTHA", "MARHTA") - 0.961).abs() < 0.001);
    }
}
