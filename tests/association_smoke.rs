mod common;
use common::*;
use cpor::association::AssociationState;

#[test]
fn every_state_is_reachable_by_the_fixture() {
    for state in AssociationState::ALL {
        let (claim, _) = claim_in(state);
        assert_eq!(claim.state(), state);
    }
}
