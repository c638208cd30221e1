//! One file per command: its usage text (which is its help), its argument
//! parser, and its `run`.

pub mod apply;
pub mod capture;
pub mod doctor;
pub mod fdb;
pub mod install;
pub mod list;
pub mod metrics;
pub mod persist;
pub mod set;
pub mod vf;
