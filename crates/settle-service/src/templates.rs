//! Emails from templates: dunning letters (a template per dunning level) and the message a
//! statement goes out with, rendered with the account's data into a subject, a plain-text
//! part and an HTML part.
//!
//! A template `NAME` is three files: `NAME.subject.txt`, `NAME.text.txt` and, optionally,
//! `NAME.html`. Built-in ones (`pre-due`, `first-reminder`, `second-notice`, `final-notice`,
//! `statement`, and the partials `_greeting.*` and `_items.*` they include) are compiled into
//! the program;
//! a directory given by the user overrides any of them file by file and may add new names.
//! Templates are minijinja (Jinja2 syntax); files ending in `.html` are HTML-escaped, the
//! others are not. A variable a template names but the letter does not have is an error, not
//! an empty string. Which letter goes to whom is the dunning run's business, not this module's.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use settle_core::email::DunningLetter;

use crate::error::{ServiceError, ServiceResult};

/// The longest template file read from a user's directory.
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

const BUILTIN: &[(&str, &str)] = &[
    ("_greeting.txt", include_str!("templates/_greeting.txt")),
    ("_greeting.html", include_str!("templates/_greeting.html")),
    ("_items.text.txt", include_str!("templates/_items.text.txt")),
    ("_items.html", include_str!("templates/_items.html")),
    (
        "pre-due.subject.txt",
        include_str!("templates/pre-due.subject.txt"),
    ),
    (
        "pre-due.text.txt",
        include_str!("templates/pre-due.text.txt"),
    ),
    ("pre-due.html", include_str!("templates/pre-due.html")),
    (
        "first-reminder.subject.txt",
        include_str!("templates/first-reminder.subject.txt"),
    ),
    (
        "first-reminder.text.txt",
        include_str!("templates/first-reminder.text.txt"),
    ),
    (
        "first-reminder.html",
        include_str!("templates/first-reminder.html"),
    ),
    (
        "second-notice.subject.txt",
        include_str!("templates/second-notice.subject.txt"),
    ),
    (
        "second-notice.text.txt",
        include_str!("templates/second-notice.text.txt"),
    ),
    (
        "second-notice.html",
        include_str!("templates/second-notice.html"),
    ),
    (
        "final-notice.subject.txt",
        include_str!("templates/final-notice.subject.txt"),
    ),
    (
        "final-notice.text.txt",
        include_str!("templates/final-notice.text.txt"),
    ),
    (
        "final-notice.html",
        include_str!("templates/final-notice.html"),
    ),
    (
        "statement.subject.txt",
        include_str!("templates/statement.subject.txt"),
    ),
    (
        "statement.text.txt",
        include_str!("templates/statement.text.txt"),
    ),
    ("statement.html", include_str!("templates/statement.html")),
];

/// The template a statement's email is written with.
pub const STATEMENT_TEMPLATE: &str = "statement";

/// One template file: its text and where it came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    text: String,
    origin: String,
}

/// The set of templates letters are rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    files: BTreeMap<String, Source>,
}

/// A rendered letter, ready to be put in an [`settle_core::email::OutgoingEmail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// What a template sees. Amounts are text in the currency's precision (`1234.50 USD`): a
/// template never does arithmetic on money.
#[derive(Debug, Serialize)]
struct LetterContext<'a> {
    customer_code: &'a str,
    customer_name: &'a str,
    contact_name: &'a str,
    level: u32,
    company_name: &'a str,
    as_of: String,
    items: Vec<ItemContext<'a>>,
    totals: Vec<TotalContext>,
}

#[derive(Debug, Serialize)]
struct ItemContext<'a> {
    number: &'a str,
    issue_date: String,
    due_date: String,
    days_overdue: i64,
    open_balance: String,
    amount: String,
    currency: String,
}

/// The email a statement goes out with: to whom, and what the attached statement says is due.
#[derive(Debug, Clone)]
pub struct StatementEmail {
    pub customer_code: String,
    pub customer_name: String,
    pub contact_name: String,
    pub company_name: String,
    pub as_of: settle_core::Date,
    /// The attachment's file name.
    pub attachment: String,
    /// The amount due in each currency the statement has a balance in.
    pub amounts_due: Vec<settle_core::Money>,
}

#[derive(Debug, Serialize)]
struct StatementContext<'a> {
    customer_code: &'a str,
    customer_name: &'a str,
    contact_name: &'a str,
    company_name: &'a str,
    as_of: String,
    attachment: &'a str,
    totals: Vec<TotalContext>,
}

#[derive(Debug, Serialize)]
struct TotalContext {
    amount: String,
    currency: String,
    text: String,
}

impl Templates {
    /// The templates compiled into the program.
    pub fn builtin() -> Templates {
        let files = BUILTIN
            .iter()
            .map(|(name, text)| {
                (
                    name.to_string(),
                    Source {
                        text: text.to_string(),
                        origin: format!("built-in template {name}"),
                    },
                )
            })
            .collect();
        Templates { files }
    }

    /// The built-in templates with every `*.txt` and `*.html` file of `dir` over them. Every
    /// template is compiled at once, so a syntax error is reported now, naming file and line.
    pub fn from_dir(dir: &Path) -> ServiceResult<Templates> {
        let mut templates = Templates::builtin();
        let io = |source| ServiceError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !(name.ends_with(".txt") || name.ends_with(".html")) || !path.is_file() {
                continue;
            }
            let size = entry.metadata().map_err(io)?.len();
            if size > MAX_TEMPLATE_BYTES {
                return Err(ServiceError::BadFile {
                    file: path.display().to_string(),
                    message: format!(
                        "{size} bytes; a template may have at most {MAX_TEMPLATE_BYTES}"
                    ),
                });
            }
            let text = std::fs::read_to_string(&path).map_err(|source| ServiceError::Io {
                path: path.clone(),
                source,
            })?;
            templates.files.insert(
                name.to_string(),
                Source {
                    text,
                    origin: path.display().to_string(),
                },
            );
        }
        templates.environment()?;
        Ok(templates)
    }

    fn environment(&self) -> ServiceResult<Environment<'_>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in &self.files {
            env.add_template(name, &source.text)
                .map_err(|e| self.template_error(&e))?;
        }
        Ok(env)
    }

    /// A minijinja error as a file and a line: the file is the one the error happened in,
    /// which may be a partial the rendered template includes.
    fn template_error(&self, error: &minijinja::Error) -> ServiceError {
        let file = error
            .name()
            .and_then(|name| self.files.get(name))
            .map_or_else(|| "template".to_string(), |s| s.origin.clone());
        let line = error
            .line()
            .map_or_else(String::new, |l| format!("line {l}: "));
        let detail = error.detail().map_or_else(
            || error.kind().to_string(),
            |d| format!("{}: {d}", error.kind()),
        );
        ServiceError::BadFile {
            file,
            message: format!("{line}{detail}"),
        }
    }

    /// Whether a letter template of this name (its subject and text at least) is available.
    pub fn has_letter(&self, name: &str) -> bool {
        self.has(&format!("{name}.subject.txt")) && self.has(&format!("{name}.text.txt"))
    }

    fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }
}

/// Renders a dunning letter with its level's template (or the one it names).
pub fn render_dunning_email(
    templates: &Templates,
    letter: &DunningLetter,
) -> ServiceResult<RenderedEmail> {
    templates.renderer()?.render_dunning(letter)
}

/// The templates compiled once, for a run that renders many letters.
pub struct Renderer<'a> {
    templates: &'a Templates,
    env: Environment<'a>,
}

impl Templates {
    /// Compiles every template once.
    pub fn renderer(&self) -> ServiceResult<Renderer<'_>> {
        Ok(Renderer {
            templates: self,
            env: self.environment()?,
        })
    }
}

impl Renderer<'_> {
    /// Renders a dunning letter with its level's template (or the one it names).
    pub fn render_dunning(&self, letter: &DunningLetter) -> ServiceResult<RenderedEmail> {
        self.render(letter.template_name(), &letter_context(letter)?)
    }

    /// Renders the email a statement is attached to, with the `statement` template.
    pub fn render_statement(&self, email: &StatementEmail) -> ServiceResult<RenderedEmail> {
        let context = StatementContext {
            customer_code: &email.customer_code,
            customer_name: &email.customer_name,
            contact_name: &email.contact_name,
            company_name: &email.company_name,
            as_of: email.as_of.to_string(),
            attachment: &email.attachment,
            totals: email.amounts_due.iter().map(total_context).collect(),
        };
        self.render(STATEMENT_TEMPLATE, &context)
    }

    /// Renders template `name` (its subject, text and, if present, HTML files) with `context`.
    fn render<C: Serialize>(&self, name: &str, context: &C) -> ServiceResult<RenderedEmail> {
        let templates = self.templates;
        let env = &self.env;
        let subject_name = format!("{name}.subject.txt");
        let text_name = format!("{name}.text.txt");
        let html_name = format!("{name}.html");
        if !templates.has(&subject_name) || !templates.has(&text_name) {
            return Err(ServiceError::InvalidInput {
                field: "template".to_string(),
                message: format!(
                    "no template {name:?}: it needs the files {subject_name} and {text_name}"
                ),
            });
        }
        let context = minijinja::Value::from(minijinja::value::Serde(context));
        let render = |template: &str| -> ServiceResult<String> {
            env.get_template(template)
                .and_then(|t| t.render(context.clone()))
                .map_err(|e| templates.template_error(&e))
        };
        let subject = render(&subject_name)?.trim().to_string();
        if subject.is_empty() || subject.contains(['\r', '\n']) {
            return Err(ServiceError::BadFile {
                file: templates.files[&subject_name].origin.clone(),
                message: "the subject must render to one non-empty line".to_string(),
            });
        }
        let text = render(&text_name)?;
        let html = if templates.has(&html_name) {
            Some(render(&html_name)?)
        } else {
            None
        };
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}

fn total_context(total: &settle_core::Money) -> TotalContext {
    TotalContext {
        amount: total.to_decimal_string(),
        currency: total.currency().code().to_string(),
        text: total.to_string(),
    }
}

fn letter_context(letter: &DunningLetter) -> ServiceResult<LetterContext<'_>> {
    let totals = letter.totals()?.iter().map(total_context).collect();
    Ok(LetterContext {
        customer_code: &letter.customer_code,
        customer_name: &letter.customer_name,
        contact_name: &letter.contact_name,
        level: letter.level,
        company_name: &letter.company_name,
        as_of: letter.as_of.to_string(),
        items: letter
            .items
            .iter()
            .map(|item| ItemContext {
                number: &item.number,
                issue_date: item.issue_date.to_string(),
                due_date: item.due_date.to_string(),
                days_overdue: item.days_overdue,
                open_balance: item.open_balance.to_string(),
                amount: item.open_balance.to_decimal_string(),
                currency: item.open_balance.currency().code().to_string(),
            })
            .collect(),
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_core::email::LetterItem;
    use settle_core::{Currency, Date, Money};

    #[allow(clippy::inconsistent_digit_grouping)]
    fn letter(level: u32) -> DunningLetter {
        let usd = Currency::from_code("USD").unwrap();
        let eur = Currency::from_code("EUR").unwrap();
        let item = |number: &str, days, minor, currency| LetterItem {
            number: number.into(),
            issue_date: Date::constant(2026, 9, 1),
            due_date: Date::constant(2026, 10, 1),
            days_overdue: days,
            open_balance: Money::new(minor, currency),
        };
        DunningLetter {
            customer_code: "ACME".into(),
            customer_name: "Acme <Tools> & Co".into(),
            contact_name: "Jo <script>".into(),
            level,
            template: String::new(),
            company_name: "Main company".into(),
            items: vec![
                item("INV-1", 30, 1_234_50, usd),
                item("INV-2", 12, 100_00, usd),
                item("INV-3", 30, 99_99, eur),
            ],
            as_of: Date::constant(2026, 10, 31),
        }
    }

    #[test]
    fn every_level_renders_items_and_totals_per_currency() {
        let templates = Templates::builtin();
        for (level, subject_word) in [
            (0, "due soon"),
            (1, "reminder"),
            (2, "Second notice"),
            (3, "Final notice"),
            (7, "Final notice"),
        ] {
            let email = render_dunning_email(&templates, &letter(level)).unwrap();
            assert!(email.subject.contains(subject_word), "{}", email.subject);
            assert!(email.subject.contains("ACME"));
            for part in [&email.text, email.html.as_ref().unwrap()] {
                assert!(part.contains("INV-1") && part.contains("INV-3"), "{part}");
                assert!(part.contains("1334.50 USD"), "{part}");
                assert!(part.contains("99.99 EUR"), "{part}");
                assert!(part.contains("2026-10-31"));
            }
            assert!(email.text.contains("Dear Jo <script>,"), "{}", email.text);
        }
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let email = render_dunning_email(&Templates::builtin(), &letter(1)).unwrap();
        let html = email.html.unwrap();
        assert!(html.contains("Jo &lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn a_directory_overrides_and_a_broken_file_is_named_with_its_line() {
        let dir = std::env::temp_dir().join(format!("settle_templates_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("first-reminder.subject.txt"),
            "Please pay, {{ customer_name }}\n",
        )
        .unwrap();
        let templates = Templates::from_dir(&dir).unwrap();
        let email = render_dunning_email(&templates, &letter(1)).unwrap();
        assert_eq!(email.subject, "Please pay, Acme <Tools> & Co");

        std::fs::write(
            dir.join("second-notice.text.txt"),
            "Hello\n\n{% for item in items %}\n{{ item.number }\n",
        )
        .unwrap();
        let error = Templates::from_dir(&dir).unwrap_err().to_string();
        assert!(error.contains("second-notice.text.txt"), "{error}");
        assert!(error.contains("line 4"), "{error}");

        std::fs::write(
            dir.join("second-notice.text.txt"),
            "Hello\n{{ customer_nmae }}\n",
        )
        .unwrap();
        let templates = Templates::from_dir(&dir).unwrap();
        let error = render_dunning_email(&templates, &letter(2))
            .unwrap_err()
            .to_string();
        assert!(error.contains("second-notice.text.txt: line 2"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[allow(clippy::inconsistent_digit_grouping)]
    fn a_statement_email_names_the_attachment_and_every_amount_due() {
        let usd = Currency::from_code("USD").unwrap();
        let eur = Currency::from_code("EUR").unwrap();
        let mut statement = StatementEmail {
            customer_code: "ACME".into(),
            customer_name: "Acme & Co".into(),
            contact_name: String::new(),
            company_name: "Main company".into(),
            as_of: Date::constant(2026, 11, 30),
            attachment: "statement-ACME-2026-11-30.pdf".into(),
            amounts_due: vec![Money::new(1_234_50, usd), Money::new(99_99, eur)],
        };
        let templates = Templates::builtin();
        let email = templates
            .renderer()
            .unwrap()
            .render_statement(&statement)
            .unwrap();
        assert_eq!(
            email.subject,
            "Statement of account as of 2026-11-30 from Main company (ACME)"
        );
        for part in [&email.text, email.html.as_ref().unwrap()] {
            assert!(part.contains("statement-ACME-2026-11-30.pdf"), "{part}");
            assert!(
                part.contains("1234.50 USD") && part.contains("99.99 EUR"),
                "{part}"
            );
        }
        assert!(
            email.text.contains("accounts payable team"),
            "{}",
            email.text
        );
        assert!(email.html.unwrap().contains("Acme &amp; Co"));

        statement.amounts_due.clear();
        let email = templates
            .renderer()
            .unwrap()
            .render_statement(&statement)
            .unwrap();
        assert!(email.text.contains("Nothing is open"), "{}", email.text);
    }

    #[test]
    fn an_unknown_template_is_refused() {
        let mut named = letter(1);
        named.template = "polite".into();
        let error = render_dunning_email(&Templates::builtin(), &named)
            .unwrap_err()
            .to_string();
        assert!(error.contains("polite.subject.txt"), "{error}");
    }
}
