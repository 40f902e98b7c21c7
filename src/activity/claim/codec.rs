//! The body of an activity claim in the private binary encoding (see `crate::codec`).
//!
//! After the head: program year, name, origin, variable pay (optional: hours, payout cents),
//! the five deadline day counts, a flags byte (invoice and customer survey required, referral
//! enabled, referral requested), customer contact, company contact, mismatch reason
//! (optional), estimated deal size (optional cents), the creation, consent, first submission,
//! rejection, dispute and dispute resubmission times, the evidence (kind, reference, time),
//! the referral (optional), and the history. Each history entry: time, actor (by index once
//! written), command, from (optional), to, note (optional).

use super::{ActivityClaim, ActivityHistoryEntry, Data, EvidenceRules, VariablePay};
use crate::activity::Evidence;
use crate::catalog::{MciDeadlines, ProgramYear};
use crate::codec::{
    ActivityHead, ActorsIn, ActorsOut, CodecError, Decoded, Reader, Writer, activity_command_kind,
    activity_command_kind_of, activity_state, activity_state_of, evidence_kind, evidence_kind_of,
    origin, origin_of,
};
use crate::money::Usd;

/// The bits of the flags byte.
const INVOICE: u8 = 1;
const CUSTOMER_SURVEY: u8 = 2;
const REFERRAL_ENABLED: u8 = 4;
const REFERRAL_REQUESTED: u8 = 8;
const ALL_FLAGS: u8 = INVOICE | CUSTOMER_SURVEY | REFERRAL_ENABLED | REFERRAL_REQUESTED;

/// `bit` if `on`, else 0.
const fn flag(on: bool, bit: u8) -> u8 {
    if on { bit } else { 0 }
}

impl ActivityClaim {
    /// Writes the body; the head (`Head::write_activity`) comes first.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) {
        let d = &self.data;
        w.u8(d.program_year.two_digits());
        w.text(&d.name);
        w.u8(origin(d.origin));
        w.opt(d.variable, |w, v| {
            w.u32(v.hours);
            w.u64(v.proposed_payout.cents());
        });
        let days = d.deadlines;
        for n in [
            days.consent_days,
            days.first_submit_days,
            days.review_days,
            days.dispute_days,
            days.post_dispute_days,
        ] {
            w.u32(n);
        }
        w.u8(flag(d.evidence_rules.invoice, INVOICE)
            | flag(d.evidence_rules.customer_survey, CUSTOMER_SURVEY)
            | flag(d.referral_enabled, REFERRAL_ENABLED)
            | flag(d.referral_requested, REFERRAL_REQUESTED));
        w.customer_contact(&d.customer_contact);
        w.company_contact(&d.company_contact);
        w.opt_text(d.mismatch_reason.as_ref());
        w.opt(d.estimated_deal_size, |w, usd| w.u64(usd.cents()));
        w.time(d.created_at);
        w.opt_time(d.consented_at);
        w.opt_time(d.first_submitted_at);
        w.opt_time(d.rejected_at);
        w.opt_time(d.disputed_at);
        w.opt_time(d.dispute_resubmitted_at);
        w.seq(&d.evidence, |w, e| {
            w.u8(evidence_kind(e.kind));
            w.text(&e.reference);
            w.time(e.at);
        });
        w.opt_text(d.referral.as_ref());
        let mut actors = ActorsOut::new();
        w.len(d.history.len());
        for entry in &d.history {
            w.time(entry.at);
            actors.write(w, &entry.actor);
            w.u8(activity_command_kind(entry.command));
            w.opt_code(entry.from, activity_state);
            w.u8(activity_state(entry.to));
            w.opt_text(entry.note.as_ref());
        }
    }

    /// Reads the body after `head`, and checks the claim as deserializing does.
    pub(crate) fn decode_body(head: ActivityHead, r: &mut Reader<'_>) -> Decoded<Self> {
        let at = r.offset();
        let program_year =
            ProgramYear::new(r.u8()?).ok_or(CodecError::new(at, "invalid program year"))?;
        let name = r.text()?;
        let origin = r.code(origin_of, "invalid origin")?;
        let variable = r.opt(|r| {
            Ok(VariablePay {
                hours: r.u32()?,
                proposed_payout: Usd::from_cents(r.u64()?),
            })
        })?;
        let deadlines = MciDeadlines {
            consent_days: r.u32()?,
            first_submit_days: r.u32()?,
            review_days: r.u32()?,
            dispute_days: r.u32()?,
            post_dispute_days: r.u32()?,
        };
        let at = r.offset();
        let flags = r.u8()?;
        if flags & !ALL_FLAGS != 0 {
            return Err(CodecError::new(at, "invalid flags"));
        }
        let customer_contact = r.customer_contact()?;
        let company_contact = r.company_contact()?;
        let mismatch_reason = r.opt_text()?;
        let estimated_deal_size = r.opt(|r| r.u64().map(Usd::from_cents))?;
        let created_at = r.time()?;
        let consented_at = r.opt_time()?;
        let first_submitted_at = r.opt_time()?;
        let rejected_at = r.opt_time()?;
        let disputed_at = r.opt_time()?;
        let dispute_resubmitted_at = r.opt_time()?;
        let evidence = r.seq(|r| {
            let kind = r.code(evidence_kind_of, "invalid evidence kind")?;
            Ok(Evidence {
                kind,
                reference: r.text()?,
                at: r.time()?,
            })
        })?;
        let referral = r.opt_text()?;
        let mut actors = ActorsIn::new();
        let history = r.seq(|r| {
            let at = r.time()?;
            let actor = actors.read(r)?;
            let command = r.code(activity_command_kind_of, "invalid command kind")?;
            let from = r.opt_code(activity_state_of, "invalid activity state")?;
            let to = r.code(activity_state_of, "invalid activity state")?;
            Ok(ActivityHistoryEntry {
                at,
                actor,
                command,
                from,
                to,
                note: r.opt_text()?,
            })
        })?;
        let data = Data {
            id: head.id,
            program_year,
            name,
            partner: head.partner,
            customer: head.customer,
            resolved_tenant: head.resolved_tenant,
            engagement: head.engagement,
            origin,
            variable,
            deadlines,
            evidence_rules: EvidenceRules {
                invoice: flags & INVOICE != 0,
                customer_survey: flags & CUSTOMER_SURVEY != 0,
            },
            referral_enabled: flags & REFERRAL_ENABLED != 0,
            max_active_per_customer: head.max_active_per_customer,
            customer_contact,
            company_contact,
            mismatch_reason,
            estimated_deal_size,
            state: head.state,
            created_at,
            consented_at,
            first_submitted_at,
            rejected_at,
            disputed_at,
            dispute_resubmitted_at,
            evidence,
            referral_requested: flags & REFERRAL_REQUESTED != 0,
            referral,
            history,
        };
        let at = r.offset();
        Self::check(&data).map_err(|_| CodecError::new(at, "inconsistent activity claim"))?;
        Ok(Self { data })
    }
}
