//! Checks over the normalized model.
