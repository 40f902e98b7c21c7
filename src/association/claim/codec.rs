//! The body of an association claim in the private binary encoding (see `crate::codec`).
//!
//! After the head: program year, name, solution area, role, customer contact, company contact,
//! revenue details (optional), incentive payments, comments (optional), PoE references,
//! creation, notification, opt-out end and approval times, the review part (optional), and the
//! history. Each history entry: time, actor (by index once written), command, from (optional),
//! to, changed fields (bits), note (optional).

use super::{AssociationClaim, Data, Ending, HistoryEntry, Rejection, Review};
use crate::association::form::{AssociationContent, FieldSet, PurchaseChannel, RevenueDetails};
use crate::catalog::{ProgramYear, RoleId, SolutionAreaId};
use crate::claim::History;
use crate::codec::{
    ActorsIn, ActorsOut, AssociationHead, CodecError, Decoded, Reader, Writer, association_state,
    association_state_of, command_kind, command_kind_of, end_reason, end_reason_of,
    incentive_payments, incentive_payments_of, info_request_reason, info_request_reason_of,
    rejection_reason, rejection_reason_of,
};

impl AssociationClaim {
    /// Writes the body; the head (`Head::write_association`) comes first.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) {
        let d = &self.data;
        let c = &d.content;
        w.u8(d.program_year.two_digits());
        w.text(&c.name);
        w.str(c.solution_area.as_str());
        w.str(c.role.as_str());
        w.customer_contact(&c.customer_contact);
        w.company_contact(&c.company_contact);
        w.opt(c.revenue.as_ref(), |w, r| {
            w.text(&r.seller);
            w.text(&r.customer);
            w.text(&r.isv_product);
        });
        w.u8(incentive_payments(c.incentive_payments));
        w.u8(match c.purchase_channel {
            None => 0,
            Some(PurchaseChannel::VolumeLicensing) => 1,
            Some(PurchaseChannel::WebDirect) => 2,
        });
        w.opt_text(c.comments.as_ref());
        w.seq(&d.poe, Writer::text);
        w.time(d.created_at);
        w.opt_time(d.notified_at);
        w.opt_time(d.opt_out_until);
        w.opt_time(d.approved_at);
        w.opt(d.review.as_deref(), |w, review| {
            w.opt(review.info_request, |w, (reason, due)| {
                w.u8(info_request_reason(reason));
                w.time(due);
            });
            w.opt(review.rejection, |w, rejection| {
                w.u8(rejection_reason(rejection.reason));
                w.time(rejection.at);
                w.opt_time(rejection.dispute_until);
            });
            w.opt_time(review.disputed_at);
            w.opt(review.ending, |w, ending| {
                w.u8(end_reason(ending.reason));
                w.time(ending.at);
            });
            w.opt(review.supersedes, |w, id| w.uuid(id.as_uuid()));
            w.opt(review.superseded_by, |w, id| w.uuid(id.as_uuid()));
        });
        let mut actors = ActorsOut::new();
        w.len(d.history.len());
        for entry in &d.history {
            w.time(entry.at);
            actors.write(w, &entry.actor);
            w.u8(command_kind(entry.command));
            w.opt_code(entry.from, association_state);
            w.u8(association_state(entry.to));
            w.u32(entry.changed.bits());
            w.opt_text(entry.note.as_ref());
            w.request(entry.request.as_ref());
        }
    }

    /// Reads the body after `head`. The caller checks the claim's invariants.
    pub(crate) fn decode_body(head: AssociationHead, r: &mut Reader<'_>) -> Decoded<Self> {
        let at = r.offset();
        let program_year =
            ProgramYear::new(r.u8()?).ok_or(CodecError::new(at, "invalid program year"))?;
        let name = r.text()?;
        let at = r.offset();
        let solution_area = SolutionAreaId::parse(r.str()?)
            .map_err(|_| CodecError::new(at, "invalid solution area"))?;
        let at = r.offset();
        let role = RoleId::parse(r.str()?).map_err(|_| CodecError::new(at, "invalid role"))?;
        let customer_contact = r.customer_contact()?;
        let company_contact = r.company_contact()?;
        let revenue = r.opt(|r| {
            Ok(RevenueDetails {
                seller: r.text()?,
                customer: r.text()?,
                isv_product: r.text()?,
            })
        })?;
        let incentive_payments = r.code(incentive_payments_of, "invalid incentive payments")?;
        let at = r.offset();
        let purchase_channel = match r.u8()? {
            0 => None,
            1 => Some(PurchaseChannel::VolumeLicensing),
            2 => Some(PurchaseChannel::WebDirect),
            _ => return Err(CodecError::new(at, "invalid purchase channel")),
        };
        let comments = r.opt_text()?;
        let poe = r.seq(Reader::text)?;
        let created_at = r.time()?;
        let notified_at = r.opt_time()?;
        let opt_out_until = r.opt_time()?;
        let approved_at = r.opt_time()?;
        let review = r.opt(|r| {
            Ok(Box::new(Review {
                info_request: r.opt(|r| {
                    let reason = r.code(info_request_reason_of, "invalid info request reason")?;
                    Ok((reason, r.time()?))
                })?,
                rejection: r.opt(|r| {
                    let reason = r.code(rejection_reason_of, "invalid rejection reason")?;
                    Ok(Rejection {
                        reason,
                        at: r.time()?,
                        dispute_until: r.opt_time()?,
                    })
                })?,
                disputed_at: r.opt_time()?,
                ending: r.opt(|r| {
                    let reason = r.code(end_reason_of, "invalid end reason")?;
                    Ok(Ending {
                        reason,
                        at: r.time()?,
                    })
                })?,
                supersedes: r.opt(Reader::claim_id)?,
                superseded_by: r.opt(Reader::claim_id)?,
            }))
        })?;
        let mut actors = ActorsIn::new();
        let history = r.seq(|r| {
            let at = r.time()?;
            let actor = actors.read(r)?;
            let command = r.code(command_kind_of, "invalid command kind")?;
            let from = r.opt_code(association_state_of, "invalid association state")?;
            let to = r.code(association_state_of, "invalid association state")?;
            let bits_at = r.offset();
            let changed = FieldSet::from_bits(r.u32()?)
                .ok_or(CodecError::new(bits_at, "invalid field set"))?;
            Ok(HistoryEntry {
                at,
                actor,
                command,
                from,
                to,
                changed,
                note: r.opt_text()?,
                request: r.request()?,
            })
        })?;
        let data = Data {
            id: head.id,
            program_year,
            content: AssociationContent {
                name,
                partner: head.partner,
                tenant: head.tenant,
                solution_area,
                role,
                engagement: head.engagement,
                target: head.target,
                customer_contact,
                company_contact,
                revenue,
                incentive_payments,
                purchase_channel,
                comments,
            },
            poe,
            state: head.state,
            created_at,
            notified_at,
            opt_out_until,
            approved_at,
            review,
            history: History(history),
        };
        Ok(Self { data })
    }
}
