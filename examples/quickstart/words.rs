//! The words of the walkthrough: what the application must do for each event, said as a
//! partner would say it.

use chrono::{DateTime, Utc};
use cpor::activity::ActivityEvent;
use cpor::association::{
    AssociationEvent, AssociationKey, EndReason, InfoRequestReason, KeyUnit, RejectionReason,
};
use cpor::catalog::EngagementId;
use cpor::event::Emitted;
use cpor::{Catalog, CustomerId, PartnerId, TenantId};

/// A date as a partner reads it: "Tue 10 Mar 2026".
pub fn date(at: DateTime<Utc>) -> String {
    at.format("%a %-d %b %Y").to_string()
}

/// The people and companies of the story, by the IDs the claims hold.
pub struct Names {
    /// The catalog, for the names of workloads and engagements.
    pub catalog: Catalog,
    /// Contoso's tenant.
    pub contoso: TenantId,
    /// Fabrikam's partner location.
    pub fabrikam: PartnerId,
}

impl Names {
    pub fn partner(&self, partner: PartnerId) -> &'static str {
        if partner == self.fabrikam {
            "Fabrikam"
        } else {
            "Northwind"
        }
    }

    /// The other partner of the story: the one an arbitration took the workload from.
    pub fn other_partner(&self, partner: PartnerId) -> &'static str {
        if partner == self.fabrikam {
            "Northwind"
        } else {
            "Fabrikam"
        }
    }

    pub fn customer(&self, customer: &CustomerId) -> String {
        match customer {
            CustomerId::Tenant(tenant) if *tenant == self.contoso => "Contoso".into(),
            other => format!("the customer {other}"),
        }
    }

    /// "Contoso's Teams usage (Modern Work and Security Usage)".
    pub fn key(&self, key: &AssociationKey) -> String {
        let unit = match &key.unit {
            KeyUnit::Workload(w) => self
                .catalog
                .workload(w)
                .map_or_else(|| w.to_string(), |w| w.name.clone()),
            KeyUnit::Subscription(s) => format!("subscription {s}"),
        };
        let engagement = self
            .catalog
            .engagement(&key.engagement)
            .map_or_else(|| key.engagement.to_string(), |e| e.name.clone());
        let customer = self.customer(&CustomerId::Tenant(key.tenant));
        format!("{customer}'s {unit} ({engagement})")
    }

    pub fn engagement(&self, engagement: &EngagementId) -> String {
        self.catalog
            .engagement(engagement)
            .map_or_else(|| engagement.to_string(), |e| e.name.clone())
    }
}

fn rejection_words(reason: RejectionReason) -> &'static str {
    match reason {
        RejectionReason::CustomerDeclined => "the customer declined",
        RejectionReason::InsufficientPoe => "the proof of execution was not enough",
        RejectionReason::PartnerRequest => "the partner asked for it",
        RejectionReason::NoResponse => "nobody answered the reviewer's request in time",
        RejectionReason::SupersededByArbitration => "another partner won the arbitration",
        _ => "another reason",
    }
}

fn info_words(reason: InfoRequestReason) -> &'static str {
    match reason {
        InfoRequestReason::MissingAllPoe => "a proof of execution",
        InfoRequestReason::MissingCustomerAcknowledgement => "the customer's acknowledgement",
        InfoRequestReason::MissingOrOldDates => "current dates on the proof of execution",
        InfoRequestReason::MissingPartnerSolution => "the partner's solution or service",
        InfoRequestReason::MissingProducts => "the products",
        _ => "more information",
    }
}

/// What the application must do for each event of an association claim, in a partner's words.
pub fn tell_association(names: &Names, partner: PartnerId, events: &[Emitted<AssociationEvent>]) {
    let who = names.partner(partner);
    let mut told = false;
    for event in events.iter().map(|e| &e.event) {
        let line = match event {
            AssociationEvent::CustomerNotified {
                contact,
                opt_out_until,
                ..
            } => format!(
                "Email the customer contact {contact}: {who} has claimed an association with \
                 you; you may opt out until {}.",
                date(*opt_out_until)
            ),
            AssociationEvent::InfoRequested { reason, respond_by } => format!(
                "Tell {who}: the reviewer needs {}; answer by {} or the claim is rejected.",
                info_words(*reason),
                date(*respond_by)
            ),
            AssociationEvent::AssociationStarted { keys } => {
                let what: Vec<String> = keys.iter().map(|k| names.key(k)).collect();
                format!(
                    "{who} is now the partner of record for {}.",
                    what.join(", ")
                )
            }
            AssociationEvent::SupersedeHolder { .. } => format!(
                "{} loses the association in the same write: it lost the arbitration.",
                names.other_partner(partner)
            ),
            AssociationEvent::AssociationEnded { keys, reason } => {
                let what: Vec<String> = keys.iter().map(|k| names.key(k)).collect();
                let why = match reason {
                    EndReason::CustomerDeclined => "the customer declined",
                    EndReason::Disassociated => "the partner ended it",
                    EndReason::Superseded => "another partner won the arbitration",
                    _ => "it ended",
                };
                format!("The association for {} ends: {why}.", what.join(", "))
            }
            AssociationEvent::Rejected {
                reason,
                dispute_until,
            } => format!(
                "Tell {} its claim was rejected because {}; {}.",
                // An arbitration rejects the previous holder's claim, not the winner's.
                if *reason == RejectionReason::SupersededByArbitration {
                    names.other_partner(partner)
                } else {
                    who
                },
                rejection_words(*reason),
                dispute_until.map_or_else(
                    || "this cannot be disputed".to_string(),
                    |until| format!("it may dispute until {}", date(until))
                )
            ),
            // Every accepted command also reports itself, for the claim's history.
            AssociationEvent::Transitioned { .. } => continue,
            _ => continue,
        };
        println!("      -> {line}");
        told = true;
    }
    if !told {
        println!("      -> nothing to send; the step is in the claim's history");
    }
}

/// What the application must do for each event of an activity claim, in a partner's words.
pub fn tell_activity(
    names: &Names,
    engagement: &EngagementId,
    customer: &CustomerId,
    events: &[Emitted<ActivityEvent>],
) {
    let mut told = false;
    for event in events.iter().map(|e| &e.event) {
        let line = match event {
            ActivityEvent::ConsentEmailRequested { to, reminder } => format!(
                "Email the customer contact {to}: {}please consent to the {} that Fabrikam \
                 delivers to {}.",
                if *reminder { "a reminder: " } else { "" },
                names.engagement(engagement),
                names.customer(customer)
            ),
            ActivityEvent::ReferralRequested {
                customer,
                engagement,
            } => format!(
                "Create a partner-led referral for {} and the {}, then link it to the claim.",
                names.customer(customer),
                names.engagement(engagement)
            ),
            ActivityEvent::CoSellUpgradeRequested { customer } => format!(
                "Upgrade the referral for {} to co-sell: the customer qualifies.",
                names.customer(customer)
            ),
            ActivityEvent::PayoutDue { amount } => match amount {
                Some(amount) => format!("Pay Fabrikam ${amount}."),
                None => "Pay Fabrikam the engagement's fixed amount.".to_string(),
            },
            ActivityEvent::Transitioned { .. } => continue,
            _ => continue,
        };
        println!("      -> {line}");
        told = true;
    }
    if !told {
        println!("      -> nothing to send; the step is in the claim's history");
    }
}
