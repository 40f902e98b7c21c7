#![doc = include_str!("../docs/guide/index.md")]

pub mod program {
    #![doc = include_str!("../docs/guide/program.md")]
}

pub mod association {
    #![doc = include_str!("../docs/guide/association.md")]
    #![doc = include_str!("../docs/diagrams/association.svg")]
    #![doc = include_str!("../docs/guide/association-after-diagram.md")]
}

pub mod activity {
    #![doc = include_str!("../docs/guide/activity.md")]
    #![doc = include_str!("../docs/diagrams/activity.svg")]
    #![doc = include_str!("../docs/guide/activity-after-diagram.md")]
}

pub mod rules {
    #![doc = include_str!("../docs/guide/rules.md")]
}

pub mod choices {
    #![doc = include_str!("../docs/guide/choices.md")]
}
