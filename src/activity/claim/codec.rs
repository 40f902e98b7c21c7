//! The body of an activity claim in the private binary encoding (see `crate::codec`).
//!
//! After the head (which holds the next deadline): program year, name, origin, variable pay
//! (optional: hours, payout cents), a flags byte (referral requested), customer contact, company contact, mismatch reason
//! (optional), estimated deal size (optional cents), the creation, consent, first submission,
//! rejection, dispute and dispute resubmission times, the evidence (kind, reference, time),
//! the referral (optional), and the history. Each history entry: time, actor (by index once
//! written), command, from (optional), to, note (optional).

use super::{ActivityClaim, ActivityHistoryEntry, Data, VariablePay};
use crate::activity::Evidence;
use crate::catalog::ProgramYear;
use crate::claim::History;
use crate::codec::{
    ActivityHead, ActorsIn, ActorsOut, CodecError, Decoded, Reader, Writer, activity_command_kind,
    activity_command_kind_of, activity_state, activity_state_of, evidence_kind, evidence_kind_of,
    origin, origin_of,
};
use crate::money::Usd;

/// The bits of the flags byte.
const REFERRAL_REQUESTED: u8 = 1;
const ALL_FLAGS: u8 = REFERRAL_REQUESTED;

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
        w.u8(flag(d.referral_requested, REFERRAL_REQUESTED));
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
            w.request(entry.request.as_ref());
        }
    }

    /// Reads the body after `head`. The caller checks the claim's invariants.
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
                request: r.request()?,
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
            customer_contact,
            company_contact,
            mismatch_reason,
            estimated_deal_size,
            state: head.state,
            deadline: head.deadline,
            created_at,
            consented_at,
            first_submitted_at,
            rejected_at,
            disputed_at,
            dispute_resubmitted_at,
            evidence,
            referral_requested: flags & REFERRAL_REQUESTED != 0,
            referral,
            history: History(history),
        };
        Ok(Self { data })
    }
}
