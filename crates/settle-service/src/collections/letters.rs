//! The dunning run's emails: the letter's data from the account's chased invoices, rendered
//! with the level's template, to be queued in the run's transaction and sent not before the
//! customer's contact window opens.

use jiff::Timestamp;
use jiff::civil::Date;
use settle_core::dunning::DunningDecision;
use settle_core::email::{DunningLetter, LetterItem, OutgoingEmail};
use settle_core::ids::CustomerId;
use settle_core::{Currency, Money};

use crate::outbox::EmailRoute;
use crate::templates::Renderer;
use crate::{ServiceResult, Settle};

/// An invoice of the action as the letter lists it: its dates and the amount chased.
pub(crate) struct ChasedItem {
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    /// What the run chases: the open balance less disputes and promises.
    pub amount: i64,
    /// The item's open balance.
    pub balance: i64,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn dunning_email(
    settle: &Settle,
    renderer: &Renderer<'_>,
    route: &EmailRoute,
    customer_code: &str,
    currency: Currency,
    decision: &DunningDecision,
    items: &[ChasedItem],
    as_of: Date,
    send_after: Option<Timestamp>,
) -> ServiceResult<OutgoingEmail> {
    let letter = DunningLetter {
        customer_code: customer_code.to_string(),
        customer_name: route.customer_name.clone(),
        contact_name: route.contact_name.clone(),
        level: decision.level,
        template: decision.template.clone(),
        company_name: settle.entity().name.clone(),
        items: items
            .iter()
            .map(|item| LetterItem {
                number: item.number.clone(),
                issue_date: item.issue_date,
                due_date: item.due_date,
                days_overdue: i64::from((as_of - item.due_date).get_days()),
                open_balance: Money::new(item.amount, currency),
            })
            .collect(),
        as_of,
    };
    let rendered = renderer.render_dunning(&letter)?;
    Ok(OutgoingEmail {
        customer: Some(CustomerId(route.customer)),
        to: route.to.clone(),
        cc: Vec::new(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        attachments: Vec::new(),
        not_before: send_after,
        source: "dunning".to_string(),
        source_id: format!("{customer_code}/{as_of}/{currency}/{}", decision.level),
    })
}
