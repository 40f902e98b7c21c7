mod common;
use common::mci::*;
use cpor::activity::ActivityState;

#[test]
fn every_activity_state_is_reachable_by_the_fixture() {
    for key in [ASSESSMENT, WORKSHOP, SMALL, MEDIUM, LARGE] {
        for state in ActivityState::ALL {
            let (claim, _) = activity_in(key, state);
            assert_eq!(claim.state(), state);
        }
    }
}
