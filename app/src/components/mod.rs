//! Reusable pieces of the UI.

pub mod ansi;
pub mod dialog;
pub mod editor;
pub mod engine;
pub mod feed;
pub mod form;
pub mod format;
pub mod layout;
pub mod log_filter;
pub mod logs;
pub mod palette;
pub mod providers;
pub mod stats;
pub mod theme;
pub mod toast;
pub mod workspace;
